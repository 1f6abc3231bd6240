/**
 * A component (neck, head, loss) as the plan sees it: its argument codec and
 * the parameters it has under a prefix, computed from its arguments alone.
 * The component's tensor code (`build`, see `./registry.ts`) lists the same
 * parameters through the same function, so planning and training read one
 * definition, and planning loads no tensor code.
 * @module
 */
import type { ParamInfo } from '../models/ModelInfo.js'
import type { AnyCodec } from '../schema/codec.js'
import * as Registries from '../schema/registry.js'

/** A component type without its tensor code. */
export interface ComponentDescription {
  readonly name: string
  readonly kind: 'neck' | 'loss'
  readonly args: AnyCodec
  /**
   * The parameters under `prefix` (no dot at its end; `''` for none) for decoded arguments, nested parts described
   * through `registry`. Throws, naming the component, where the tensor code would refuse the arguments.
   */
  readonly info: (args: never, prefix: string, registry: Descriptions) => ReadonlyArray<ParamInfo>
}

export type Descriptions = Registries.Registry<ComponentDescription>

/** A component dict as decoded: its `type` and the rest of its arguments. */
export type ComponentDict = { readonly type: string; readonly [key: string]: unknown }

/**
 * The parameters under `prefix` of the component a decoded dict names; `where` names it in errors, `kind` is the
 * kind the caller expects. Throws as building it would.
 */
export const describeComponent = (
  registry: Descriptions,
  dict: ComponentDict,
  prefix: string,
  where: string,
  kind?: ComponentDescription['kind'],
): ReadonlyArray<ParamInfo> => {
  const resolved = Registries.resolve(registry, dict.type)
  if (resolved._tag === 'Left') throw new Error(`${where}: ${resolved.left}`)
  const { type: _type, ...rest } = dict
  const decoded = resolved.right.args.decode(rest)
  if (decoded._tag === 'Left') throw new Error(`${where}: invalid ${dict.type} arguments`)
  const kinds = { neck: 'neck', loss: 'head or loss' } as const
  if (kind !== undefined && resolved.right.kind !== kind)
    throw new Error(`${where}: ${dict.type} is a ${kinds[resolved.right.kind]}, expected a ${kinds[kind]}`)
  return resolved.right.info(decoded.right as never, prefix, registry)
}
