/**
 * `OptimWrapper` and `AmpOptimWrapper` (spec §7, §8) as a composition of
 * combinators around an optimizer:
 *
 *     accumulate(k)( withLossScaling(scaler)?( chain(clip?, optimizer) ) )
 *
 * Accumulation is outermost (gradients of micro-batches are summed, the rest
 * runs only when a window closes); loss scaling unscales the summed gradients
 * and skips non-finite steps; clipping acts on the unscaled gradients, before
 * the optimizer. The wrapper also answers what the interpreter needs around
 * the backward pass: the loss divisor and the loss scale of the next
 * micro-batch.
 *
 * @example
 * ```ts
 * const built = OptimWrapper.build({ optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 }, accumulative_counts: 4 },
 * groups)
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as tf from '@tensorflow/tfjs-core'
import type { Issue } from '../schema/codec.js'
import { chain } from './GradientTransformation.js'
import type { GradientTransformation } from './GradientTransformation.js'
import type { Hyper, ParamGroup } from './ParamGroups.js'
import { optimizerTypes } from './optimizers/registry.js'
import type { OptimizerType } from './optimizers/registry.js'
import { accumulate } from './transforms/accumulate.js'
import type { Accumulation, AccumulationPolicy, AccumulateState } from './transforms/accumulate.js'
import { clipByGlobalNorm, clipByValue } from './transforms/clip.js'
import type { ClipNormState } from './transforms/clip.js'
import { scalerFromConfig, withLossScaling } from './transforms/lossScaling.js'
import type { MeanReducer } from './transforms/meanReducer.js'
import { reduceGradients } from './transforms/reduceGradients.js'
import type { LossScaling, ScalerState } from './transforms/lossScaling.js'
import type { Tree } from '../tensor/tree.js'
import { describeWrapper } from './WrapperSettings.js'
import type { ClipSettings, WrapperConfig, WrapperGroups, WrapperSettings } from './WrapperSettings.js'

export type { ClipSettings, WrapperConfig, WrapperGroups, WrapperSettings } from './WrapperSettings.js'
export { describeWrapper, learningRates, scheduledGroups, withScheduled } from './WrapperSettings.js'

export interface OptimWrapper {
  readonly type: WrapperSettings['type']
  readonly optimizer: OptimizerType
  /** The optimizer's defaults with the config's values (PyTorch's `optimizer.defaults`). */
  readonly defaults: Hyper
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  readonly accumulation: Accumulation<any>
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  readonly scaling: LossScaling<any> | undefined
  readonly clip: ClipSettings | undefined
  /** Precision emulated in the forward pass (`dtype`), if any. */
  readonly dtype: WrapperSettings['dtype']
  /** What runs when an accumulation window closes: loss scaling, clipping, the optimizer. */
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  readonly stepping: GradientTransformation<any>
}

// biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
export type WrapperState = AccumulateState<any>

/** The combinators of decoded settings (see `describeWrapper`). */
export const fromSettings = (
  settings: WrapperSettings,
  policy: AccumulationPolicy = { _tag: 'mmengine' },
): OptimWrapper => {
  const { type, clip } = settings
  const optimizer = optimizerTypes.entries.get(settings.optimizer.name)!
  const base = optimizer.build()
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  const inner: GradientTransformation<any> =
    clip === undefined
      ? base
      : chain(clip.type === 'norm' ? clipByGlobalNorm(clip.maxNorm, clip.normType) : clipByValue(clip.clipValue), base)
  const scaling = type === 'AmpOptimWrapper' ? withLossScaling(scalerFromConfig(settings.lossScale))(inner) : undefined
  const accumulation = accumulate(settings.accumulativeCounts, policy)(scaling ?? inner)
  return {
    type,
    optimizer,
    defaults: settings.defaults,
    accumulation,
    scaling,
    clip,
    stepping: scaling ?? inner,
    dtype: settings.dtype,
  }
}

/**
 * Build the wrapper for already-constructed groups (names and per-group
 * overrides). Errors carry paths relative to `optim_wrapper`.
 */
export const build = (
  cfg: WrapperConfig,
  groups: ReadonlyArray<ParamGroup>,
  policy: AccumulationPolicy = { _tag: 'mmengine' },
): E.Either<ReadonlyArray<Issue>, { readonly wrapper: OptimWrapper; readonly groups: WrapperGroups }> =>
  E.map((d: { readonly settings: WrapperSettings; readonly groups: WrapperGroups }) => ({
    wrapper: fromSettings(d.settings, policy),
    groups: d.groups,
  }))(describeWrapper(cfg, groups))

/**
 * The wrapper of one data-parallel worker: the gradients that step are first
 * averaged over the workers by `reduce` (see `reduceGradients`). Same state
 * layout as `wrapper`'s.
 */
export const withGradientReduction = (wrapper: OptimWrapper, reduce: MeanReducer): OptimWrapper => {
  const stepping = reduceGradients(reduce)(wrapper.stepping)
  const { k, policy } = wrapper.accumulation
  return { ...wrapper, stepping, accumulation: accumulate(k, policy)(stepping) }
}

/** The state of a new wrapper for these parameters. */
export const init = (wrapper: OptimWrapper, params: Tree): WrapperState => wrapper.accumulation.init(params)

/** The divisor of the next micro-batch's loss (accumulation). */
export const lossFactor = (wrapper: OptimWrapper, state: WrapperState): number => wrapper.accumulation.lossFactor(state)

/** The multiplier of the next micro-batch's loss (AMP loss scaling; 1 without it). */
export const lossScale = (wrapper: OptimWrapper, state: WrapperState): number =>
  wrapper.scaling === undefined ? 1 : wrapper.scaling.lossScale(state.inner as ScalerState<unknown>)

/** The state of the clip step, when clipping by norm (to log `grad_norm`). */
export const clipState = (wrapper: OptimWrapper, state: WrapperState): ClipNormState | undefined => {
  if (wrapper.clip?.type !== 'norm') return undefined
  const inner = wrapper.scaling === undefined ? state.inner : (state.inner as ScalerState<unknown>).inner
  return (inner as ReadonlyArray<unknown>)[0] as ClipNormState
}

/** The norm logged as `train/grad_norm` after the last step (a scalar tensor), if clipping by norm. */
export const gradNorm = (wrapper: OptimWrapper, state: WrapperState): tf.Scalar | undefined =>
  clipState(wrapper, state)?.gradNorm

/**
 * `clip_grad.error_if_nonfinite`: after a step, the problem if the clipped
 * gradients' total norm — {@link gradNorm}, read back by the caller (the
 * interpreter reads asynchronously, as WebGPU requires) — is NaN or infinite.
 */
export const nonFiniteNorm = (
  wrapper: OptimWrapper,
  state: WrapperState,
  norm: number | undefined,
): string | undefined => {
  if (wrapper.clip?.type !== 'norm' || !wrapper.clip.errorIfNonfinite || !state.stepped) return undefined
  return norm === undefined || Number.isFinite(norm)
    ? undefined
    : `the total norm of order ${wrapper.clip.normType} of the gradients is ${norm}; ` +
        `clip_grad.error_if_nonfinite is set`
}

/** One micro-batch: feed its gradients (of the divided, scaled loss); steps when the window closes. */
export const update = (
  wrapper: OptimWrapper,
  grads: Tree,
  state: WrapperState,
  params: Tree,
  groups: WrapperGroups,
): readonly [Tree, WrapperState] => wrapper.accumulation.update(grads, state, params, groups.real)
