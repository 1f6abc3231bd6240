/**
 * The model as the optimizer constructors see it: a list of parameters, each
 * with its full dotted name, shape, `requires_grad` and the module that owns
 * it. Nothing is instantiated; this is plain data a model description (or a
 * PyTorch `named_parameters()` dump) can provide.
 * @module
 */
import type { Issue } from '../schema/codec.js'

/** The module that owns a parameter directly. */
export interface ModuleInfo {
  /** The module's class name: `'Linear'`, `'Conv2d'`, `'BatchNorm2d'`, `'LayerNorm'`, `'GroupNorm'`, … */
  readonly type: string
  /**
   * Torch classes the module's class derives from, for subclasses whose own
   * name says nothing (e.g. `['LayerNorm']` for MMPretrain's `LayerNorm2d`).
   * MMEngine's rules use `isinstance`, so a base listed here counts.
   */
  readonly bases?: ReadonlyArray<string>
  /** `Conv2d.in_channels` (needed to recognise a depth-wise conv). */
  readonly inChannels?: number
  /** `Conv2d.groups` (default 1). */
  readonly groups?: number
}

export interface ParamInfo {
  /** Full dotted PyTorch name, e.g. `'backbone.layers.0.attn.qkv.weight'`. */
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly requiresGrad: boolean
  /** The module that owns the parameter directly. */
  readonly module: ModuleInfo
  /**
   * MMEngine's `is_dcn_module`: the owning module is a direct child of a
   * deformable conv (`DeformConv2d`/`ModulatedDeformConv2d`), such as its
   * `conv_offset`. The DCN's own `weight`/`bias` are not "in" it.
   */
  readonly inDcn?: boolean
  /** Set when this tensor is the same tensor as an earlier parameter (shared weights): that parameter's name. */
  readonly sameTensorAs?: string
  /**
   * `(layer_id, max_id)` as the model's `get_layer_depth(name)` returns it,
   * for MMPretrain's layer-decay constructor on backbones other than the
   * built-in vit/swin rules. Takes precedence over {@link BackboneInfo.kind}.
   */
  readonly layerDepth?: readonly [layerId: number, maxId: number]
}

/** What the layer-decay constructors read from `model.backbone`. */
export interface BackboneInfo {
  /**
   * Which `get_layer_depth` the backbone has (MMPretrain's constructor); MMSelfSup's takes `model_type` from the
   * optimizer cfg instead.
   */
  readonly kind?: 'vit' | 'swin'
  /** `len(backbone.layers)` (ViT). */
  readonly numLayers?: number
  /** `backbone.depths` (Swin, MixMIM). */
  readonly depths?: ReadonlyArray<number>
}

export interface ModelInfo {
  /**
   * In module recursion order (a module's own params, then its children): `named_parameters()` order, shared tensors
   * repeated.
   */
  readonly params: ReadonlyArray<ParamInfo>
  readonly backbone?: BackboneInfo
}

/**
 * The owning module's prefix: everything before the last dot (`''` for a root-level parameter).
 *
 * @example
 * ```ts
 * prefixOf('sub.gn.weight') // 'sub.gn'
 * prefixOf('param1') // ''
 * ```
 */
export const prefixOf = (name: string): string => {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(0, dot)
}

/**
 * The parameter's own name inside its module: everything after the last dot.
 *
 * @example
 * ```ts
 * ownNameOf('sub.gn.weight') // 'weight'
 * ```
 */
export const ownNameOf = (name: string): string => name.slice(name.lastIndexOf('.') + 1)

/**
 * The string MMEngine's default constructor matches `custom_keys` against:
 * `f'{prefix}.{name}'`, which for a root-level parameter is `'.' + name`
 * (the leading-dot quirk, spec §10).
 *
 * @example
 * ```ts
 * matchNameOf('param1') // '.param1'
 * matchNameOf('sub.param1') // 'sub.param1'
 * ```
 */
export const matchNameOf = (name: string): string => `${prefixOf(name)}.${ownNameOf(name)}`

const classes = (module: ModuleInfo): ReadonlyArray<string> => [module.type, ...(module.bases ?? [])]

// `_BatchNorm`, `_InstanceNorm`, `GroupNorm`, `LayerNorm` and their torch subclasses (spec §10 `is_norm`).
const normClasses: ReadonlySet<string> = new Set([
  '_BatchNorm',
  'BatchNorm1d',
  'BatchNorm2d',
  'BatchNorm3d',
  'SyncBatchNorm',
  'LazyBatchNorm1d',
  'LazyBatchNorm2d',
  'LazyBatchNorm3d',
  '_InstanceNorm',
  'InstanceNorm1d',
  'InstanceNorm2d',
  'InstanceNorm3d',
  'LazyInstanceNorm1d',
  'LazyInstanceNorm2d',
  'LazyInstanceNorm3d',
  'GroupNorm',
  'LayerNorm',
])

/**
 * MMEngine's `is_norm`: a BatchNorm, InstanceNorm, GroupNorm or LayerNorm (or a subclass listed in `bases`).
 *
 * @example
 * ```ts
 * isNorm({ type: 'SyncBatchNorm' }) // true
 * isNorm({ type: 'LayerNorm2d', bases: ['LayerNorm'] }) // true
 * ```
 */
export const isNorm = (module: ModuleInfo): boolean => classes(module).some((c) => normClasses.has(c))

/**
 * `isinstance(module, nn.Conv2d)`.
 *
 * @example
 * ```ts
 * isConv2d({ type: 'Conv2d' }) // true
 * ```
 */
export const isConv2d = (module: ModuleInfo): boolean => classes(module).includes('Conv2d')

/**
 * MMEngine's `is_dwconv`: a `Conv2d` with `in_channels == groups`. Without
 * `inChannels` the answer is unknown and taken as no.
 *
 * @example
 * ```ts
 * isDwConv({ type: 'Conv2d', inChannels: 2, groups: 2 }) // true
 * isDwConv({ type: 'Conv2d', inChannels: 3 }) // false (groups defaults to 1)
 * ```
 */
export const isDwConv = (module: ModuleInfo): boolean =>
  isConv2d(module) && module.inChannels !== undefined && module.inChannels === (module.groups ?? 1)

/**
 * Check that the description is self-consistent: unique names, and every
 * `sameTensorAs` names an earlier parameter with the same shape and
 * `requiresGrad` (it is the same tensor).
 *
 * @example
 * ```ts
 * validateModel({ params: [{ name: 'b', shape: [2], requiresGrad: true, module: { type: 'Linear' }, sameTensorAs: 'a'
 * }] })
 * // [{ path: 'model.params[0].sameTensorAs', message: "'a' is not an earlier parameter" }]
 * ```
 */
export const validateModel = (model: ModelInfo): ReadonlyArray<Issue> => {
  const issues: Issue[] = []
  const seen = new Map<string, ParamInfo>()
  model.params.forEach((p, i) => {
    const at = `model.params[${i}]`
    if (typeof p.name !== 'string' || p.name === '')
      issues.push({ path: `${at}.name`, message: 'expected a non-empty parameter name' })
    else if (seen.has(p.name))
      issues.push({
        path: `${at}.name`,
        message:
          `duplicate parameter name '${p.name}' (a shared tensor is listed again under its ` +
          `other name, with sameTensorAs)`,
      })
    if (!Array.isArray(p.shape) || !p.shape.every((d) => Number.isInteger(d) && d >= 0))
      issues.push({ path: `${at}.shape`, message: `expected a list of sizes, got ${JSON.stringify(p.shape)}` })
    if (typeof p.module?.type !== 'string' || p.module.type === '')
      issues.push({ path: `${at}.module.type`, message: 'expected the owning module class name, e.g. "Linear"' })
    if (p.sameTensorAs !== undefined) {
      const original = seen.get(p.sameTensorAs)
      if (original === undefined)
        issues.push({ path: `${at}.sameTensorAs`, message: `'${p.sameTensorAs}' is not an earlier parameter` })
      else if (original.requiresGrad !== p.requiresGrad || original.shape.join(',') !== p.shape.join(','))
        issues.push({
          path: `${at}.sameTensorAs`,
          message: `'${p.name}' is the same tensor as '${p.sameTensorAs}' but its shape or requiresGrad differs`,
        })
    }
    if (
      p.layerDepth !== undefined &&
      !(Array.isArray(p.layerDepth) && p.layerDepth.length === 2 && p.layerDepth.every((d) => Number.isInteger(d)))
    )
      issues.push({
        path: `${at}.layerDepth`,
        message: `expected [layer_id, max_id] integers, got ${JSON.stringify(p.layerDepth)}`,
      })
    if (typeof p.name === 'string' && !seen.has(p.name)) seen.set(p.name, p)
  })
  return issues
}

/**
 * The name of the first parameter holding the same tensor (itself when not shared).
 *
 * @example
 * ```ts
 * tensorOf(model)(model.params[3]) // 'conv1.weight' when params[3] has sameTensorAs: 'conv1.weight'
 * ```
 */
export const tensorOf = (model: ModelInfo): ((p: ParamInfo) => string) => {
  const byName = new Map(model.params.map((p) => [p.name, p] as const))
  return (p) => {
    let current = p
    // `sameTensorAs` chains end at the first holder (validated to point backwards).
    for (let hops = 0; current.sameTensorAs !== undefined && hops <= model.params.length; hops += 1)
      current = byName.get(current.sameTensorAs) ?? current
    return current.name
  }
}
