/**
 * A model type as the plan sees it: its config `type`, its argument codec and
 * the parameters it has for decoded arguments, without tensor code. A
 * {@link ModelType} (`./Model.ts`) adds the builder, whose model lists the
 * same parameters, so planning and training read one definition.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import type { Issue } from '../schema/codec.js'
import { isDict, issuesOf } from '../schema/codec.js'
import * as Registry from '../schema/registry.js'
import type { ModelInfo } from './ModelInfo.js'

export interface ModelDescription<A> {
  readonly name: string
  readonly args: t.Decoder<unknown, A>
  /**
   * The parameters (names, shapes, owning modules, `requires_grad`) of the model these arguments build. Throws, naming
   * the part, where building would refuse the arguments.
   */
  readonly info: (args: A) => ModelInfo
}

/** A `model` config resolved against a registry: the type and its decoded arguments; issues carry `model` paths. */
export const decodeModel = <T extends ModelDescription<unknown>>(
  cfg: unknown,
  types: Registry.Registry<T>,
): E.Either<ReadonlyArray<Issue>, { readonly type: T; readonly args: unknown }> => {
  if (!isDict(cfg) || typeof cfg['type'] !== 'string')
    return E.left([{ path: 'model', message: 'expected a model dict with a `type`' }])
  const resolved = Registry.resolve(types, cfg['type'])
  if (resolved._tag === 'Left') return E.left([{ path: 'model.type', message: resolved.left }])
  // `data_preprocessor` belongs to the runner (it normalises batches before the model sees them);
  // `init_cfg` too (the tensor interpreter loads a `Pretrained` checkpoint after the seeded initialisation).
  const { type: _type, data_preprocessor: _preprocessor, init_cfg: _init, ...rest } = cfg
  const args = resolved.right.args.decode(rest)
  if (args._tag === 'Left')
    return E.left(
      issuesOf(args.left).map((i) => ({ path: i.path === '' ? 'model' : `model.${i.path}`, message: i.message })),
    )
  return E.right({ type: resolved.right, args: args.right })
}

/**
 * The parameters of the model a `model` config describes, without building it; a refusal of the arguments is an
 * issue at `model`.
 */
export const describe = (
  cfg: unknown,
  types: Registry.Registry<ModelDescription<unknown>>,
): E.Either<ReadonlyArray<Issue>, ModelInfo> => {
  const decoded = decodeModel(cfg, types)
  if (decoded._tag === 'Left') return decoded
  try {
    return E.right(decoded.right.type.info(decoded.right.args))
  } catch (e) {
    return E.left([{ path: 'model', message: (e as Error).message }])
  }
}
