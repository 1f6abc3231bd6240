/**
 * The model types loopwright provides, keyed by config `type`, and
 * `build(cfg)`: from `model = dict(type=..., ...)` to a {@link Model}, with
 * every argument checked (unknown keys get a did-you-mean).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import { isDict, issuesOf } from '../schema/codec.js'
import * as Registry from '../schema/registry.js'
import { LeNet5Model } from './LeNet5.js'
import { MLPModel } from './MLP.js'
import type { Model, ModelType } from './Model.js'
import { ResNetModel } from './ResNet.js'
import { TinyRegressorModel } from './TinyRegressor.js'
import { VisionTransformerModel } from './VisionTransformer.js'

const erase = <A>(type: ModelType<A>): ModelType<unknown> => type as unknown as ModelType<unknown>

/** Every model type loopwright provides. Add your own with `Registry.register(defaultModelTypes, myType)`. */
export const defaultModelTypes: Registry.Registry<ModelType<unknown>> = Registry.make('model', [
  erase(MLPModel),
  erase(TinyRegressorModel),
  erase(LeNet5Model),
  erase(ResNetModel),
  erase(VisionTransformerModel),
])

/** Build the model a `model` config describes; issues carry paths under `model`. */
export const build = (
  cfg: unknown,
  types: Registry.Registry<ModelType<unknown>> = defaultModelTypes,
): E.Either<ReadonlyArray<Issue>, Model> => {
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
  return E.right(resolved.right.build(args.right))
}
