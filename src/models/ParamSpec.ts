/**
 * A model's parameters written once, as plain data: each parameter's
 * {@link ParamInfo} (name, shape, owning module, `requires_grad`) plus the
 * rule its initial value is drawn by. The tensor code initialises weights
 * from this list (`initFromSpecs` in `./initSpecs.ts`) and the dry run lists
 * it (`infoOfSpecs`), so the two cannot drift: a model has one description,
 * whatever its size, and describing ViT-L allocates nothing.
 *
 * The helpers build the specs of PyTorch's common modules under a prefix, with
 * PyTorch's default initialisation unless told otherwise.
 *
 * @example
 * ```ts
 * const specs = [...conv2dSpecs('conv1', { in: 3, out: 64, k: 7, bias: false }), ...batchNormSpecs('bn1', 64)]
 * infoOfSpecs(specs).map((p) => p.name) // ['conv1.weight', 'bn1.weight', 'bn1.bias']
 * ```
 * @module
 */
import type { ModuleInfo, ParamInfo } from './ModelInfo.js'

/** How a parameter's initial value is drawn (random rules draw from the seeded stream, in list order). */
export type InitRule =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number }
  /** U(−bound, bound). */
  | { readonly kind: 'uniform'; readonly bound: number }
  /** N(0, std²). */
  | { readonly kind: 'normal'; readonly std: number }
  /** N(0, std²) truncated to [−2, 2] (PyTorch's `trunc_normal_` defaults, not scaled by std). */
  | { readonly kind: 'truncNormal'; readonly std: number }

/** A parameter as described once: what the optimizer constructors see, and how its value starts. */
export interface ParamSpec extends ParamInfo {
  readonly init: InitRule
}

export const zeros: InitRule = { kind: 'zeros' }
export const ones: InitRule = { kind: 'ones' }

/** PyTorch's default `kaiming_uniform_(a=√5)` bound for a layer with this fan-in: 1/√fan_in. */
export const defaultBound = (fanIn: number): number => (fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0)

/** `xavier_uniform_`'s bound: √(6 / (fan_in + fan_out)). */
export const xavierUniformBound = (fanIn: number, fanOut: number): number => Math.sqrt(6 / (fanIn + fanOut))

/** `kaiming_normal_(mode='fan_out', nonlinearity='relu')`'s standard deviation: √(2 / fan). */
export const kaimingNormalStd = (fan: number): number => Math.sqrt(2 / fan)

/**
 * The description without the init rules: what `ModelInfo.params` lists.
 *
 * @example
 * ```ts
 * infoOfSpecs(linearSpecs('fc', 4, 2))[0] // { name: 'fc.weight', shape: [2, 4], requiresGrad: true, module: … }
 * ```
 */
export const infoOfSpecs = (specs: ReadonlyArray<ParamSpec>): ReadonlyArray<ParamInfo> =>
  specs.map(({ init: _init, ...info }) => info)

/**
 * The number of scalars in the parameters (shared tensors counted once).
 *
 * @example
 * ```ts
 * countParams(linearSpecs('fc', 4, 2)) // 10
 * ```
 */
export const countParams = (params: ReadonlyArray<ParamInfo>): number =>
  params.reduce((n, p) => (p.sameTensorAs === undefined ? n + p.shape.reduce((a, b) => a * b, 1) : n), 0)

/** The same specs with `requires_grad=False` (frozen encoders, fixed position embeddings). */
export const frozenSpecs = (specs: ReadonlyArray<ParamSpec>): ReadonlyArray<ParamSpec> =>
  specs.map((s) => ({ ...s, requiresGrad: false }))

/** One parameter. */
export const param = (
  name: string,
  shape: ReadonlyArray<number>,
  module: ModuleInfo,
  init: InitRule,
  requiresGrad = true,
): ParamSpec => ({ name, shape, requiresGrad, module, init })

/**
 * `nn.Linear(in, out, bias)` under `prefix`: PyTorch's default U(±1/√in) for both unless `weight`/`bias` rules are
 * given.
 */
export const linearSpecs = (
  prefix: string,
  inFeatures: number,
  outFeatures: number,
  options: { readonly bias?: boolean; readonly weight?: InitRule; readonly biasInit?: InitRule } = {},
): ReadonlyArray<ParamSpec> => {
  const module = { type: 'Linear' }
  const uniform: InitRule = { kind: 'uniform', bound: defaultBound(inFeatures) }
  const weight = param(`${prefix}.weight`, [outFeatures, inFeatures], module, options.weight ?? uniform)
  return options.bias === false
    ? [weight]
    : [weight, param(`${prefix}.bias`, [outFeatures], module, options.biasInit ?? uniform)]
}

/**
 * `nn.Conv2d(in, out, k, groups, bias)` under `prefix`: PyTorch's default U(±1/√(in/groups·k·k)) unless a `weight` rule
 * is given.
 */
export const conv2dSpecs = (
  prefix: string,
  cfg: {
    readonly in: number
    readonly out: number
    readonly k: number
    readonly groups?: number
    readonly bias?: boolean
    readonly weight?: InitRule
    readonly biasInit?: InitRule
  },
): ReadonlyArray<ParamSpec> => {
  const groups = cfg.groups ?? 1
  const module = { type: 'Conv2d', inChannels: cfg.in, groups }
  const uniform: InitRule = { kind: 'uniform', bound: defaultBound((cfg.in / groups) * cfg.k * cfg.k) }
  const weight = param(`${prefix}.weight`, [cfg.out, cfg.in / groups, cfg.k, cfg.k], module, cfg.weight ?? uniform)
  return cfg.bias === false ? [weight] : [weight, param(`${prefix}.bias`, [cfg.out], module, cfg.biasInit ?? uniform)]
}

/** An affine norm layer's `weight` (ones unless told) and `bias` (zeros): `LayerNorm`, `BatchNorm2d`, `GroupNorm`. */
export const normSpecs = (
  prefix: string,
  channels: number,
  type: string,
  weight: InitRule = ones,
): ReadonlyArray<ParamSpec> => {
  const module = { type }
  return [param(`${prefix}.weight`, [channels], module, weight), param(`${prefix}.bias`, [channels], module, zeros)]
}

/** The specs under another prefix: `backbone.x` → `momentum_encoder.0.x` for a target network's copy. */
export const renamedSpecs = (specs: ReadonlyArray<ParamSpec>, from: string, to: string): ReadonlyArray<ParamSpec> =>
  specs.map((s) => (s.name.startsWith(from) ? { ...s, name: `${to}${s.name.slice(from.length)}` } : s))
