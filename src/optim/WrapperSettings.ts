/**
 * An `optim_wrapper` config decoded, without building its combinators: the
 * wrapper type, the optimizer and its defaults, clipping, accumulation, loss
 * scaling and precision, and the param groups as the wrapper keeps them.
 * The plan reads these; `./OptimWrapper.ts` builds the combinators from them,
 * so both read one decoding.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import { unscoped } from '../schema/registry.js'
import { fillDefaults } from './ParamGroups.js'
import type { Hyper, ParamGroup, ParamGroups } from './ParamGroups.js'
import { describeOptimizer } from './optimizers/descriptions.js'
import type { OptimizerDescription } from './optimizers/descriptions.js'

/**
 * The parts of an `optim_wrapper` config the wrapper itself reads (the optimizer and constructor are read elsewhere).
 */
export interface WrapperConfig {
  readonly type?: string
  readonly optimizer: { readonly [key: string]: unknown }
  readonly accumulative_counts?: number
  readonly clip_grad?: {
    readonly type?: string
    readonly max_norm?: number
    readonly norm_type?: number | 'inf'
    readonly error_if_nonfinite?: boolean
    readonly clip_value?: number
  } | null
  readonly loss_scale?: unknown
  readonly dtype?: string | null
}

/** Param groups as the wrapper keeps them: the real groups, plus MMEngine's extra base group when there are several. */
export interface WrapperGroups {
  readonly real: ParamGroups
  /** `base_param_settings` (spec §7.4): the optimizer defaults, scheduled like a group, logged as `base_lr`. */
  readonly base: Hyper | undefined
}

/** `clip_grad`: by total norm (of order `normType`) or by value. */
export type ClipSettings =
  | { readonly type: 'norm'; readonly maxNorm: number; readonly normType: number; readonly errorIfNonfinite: boolean }
  | { readonly type: 'value'; readonly clipValue: number }

/** What the wrapper config says, decoded. */
export interface WrapperSettings {
  readonly type: 'OptimWrapper' | 'AmpOptimWrapper'
  readonly optimizer: OptimizerDescription
  /** The optimizer's defaults with the config's values (PyTorch's `optimizer.defaults`). */
  readonly defaults: Hyper
  readonly clip: ClipSettings | undefined
  /** `accumulative_counts`: micro-batches per optimizer step. */
  readonly accumulativeCounts: number
  /** `loss_scale` as configured (`AmpOptimWrapper`; `undefined` means dynamic). */
  readonly lossScale: unknown
  /** Precision emulated in the forward pass (`dtype`), if any. */
  readonly dtype: 'float16' | 'bfloat16' | undefined
}

/** The groups the schedulers see: the real ones, then the base group when there is one. */
export const scheduledGroups = (groups: WrapperGroups): ReadonlyArray<Hyper> =>
  groups.base === undefined ? groups.real.map((g) => g.hyper) : [...groups.real.map((g) => g.hyper), groups.base]

/** Write scheduled values back: the inverse of {@link scheduledGroups}. */
export const withScheduled = (groups: WrapperGroups, values: ReadonlyArray<Hyper>): WrapperGroups => ({
  real: groups.real.map((g, i) => ({ names: g.names, hyper: values[i] ?? g.hyper })),
  base: groups.base === undefined ? undefined : values[groups.real.length],
})

/** MMEngine's `get_lr()`: `lr` of every real group, and `base_lr` when there is a base group. */
export const learningRates = (groups: WrapperGroups): { readonly [key: string]: ReadonlyArray<number> } => ({
  ...(groups.base === undefined ? {} : { base_lr: [groups.base['lr'] as number] }),
  lr: groups.real.map((g) => g.hyper['lr'] as number),
})

/**
 * Decode the wrapper config for already-constructed groups (names and per-group overrides). Errors carry paths
 * relative to `optim_wrapper`.
 */
export const describeWrapper = (
  cfg: WrapperConfig,
  groups: ReadonlyArray<ParamGroup>,
): E.Either<ReadonlyArray<Issue>, { readonly settings: WrapperSettings; readonly groups: WrapperGroups }> => {
  const decoded = describeOptimizer(cfg.optimizer)
  if (decoded._tag === 'Left')
    return E.left(
      decoded.left.map((i) => ({ path: i.path === '' ? 'optimizer' : `optimizer.${i.path}`, message: i.message })),
    )
  const { type: optimizer, defaults } = decoded.right
  const type = cfg.type === undefined ? 'OptimWrapper' : unscoped(cfg.type)
  if (type !== 'OptimWrapper' && type !== 'AmpOptimWrapper')
    return E.left([
      { path: 'type', message: `expected 'OptimWrapper' or 'AmpOptimWrapper', got ${JSON.stringify(cfg.type)}` },
    ])
  const clipCfg = cfg.clip_grad ?? undefined
  const clip: ClipSettings | undefined =
    clipCfg === undefined
      ? undefined
      : clipCfg.type === 'value'
        ? { type: 'value', clipValue: clipCfg.clip_value! }
        : {
            type: 'norm',
            maxNorm: clipCfg.max_norm!,
            normType: clipCfg.norm_type === 'inf' ? Infinity : (clipCfg.norm_type ?? 2),
            errorIfNonfinite: clipCfg.error_if_nonfinite ?? false,
          }
  const real: ParamGroups = groups.map((g) => ({ names: g.names, hyper: fillDefaults(g.hyper, defaults) }))
  return E.right({
    settings: {
      type,
      optimizer,
      defaults,
      clip,
      accumulativeCounts: cfg.accumulative_counts ?? 1,
      lossScale: cfg.loss_scale,
      dtype: cfg.dtype === 'float16' || cfg.dtype === 'bfloat16' ? cfg.dtype : undefined,
    },
    groups: { real, base: real.length > 1 ? defaults : undefined },
  })
}
