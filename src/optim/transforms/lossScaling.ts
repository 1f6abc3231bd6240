/**
 * Loss scaling with PyTorch's `GradScaler` algorithm (spec §8), around an
 * inner transformation: gradients arrive multiplied by the scale; they are
 * unscaled (`g · float32(1/scale)`), checked for non-finite values, and the
 * inner transformation steps only when all are finite — a skipped step leaves
 * parameters and inner state untouched. Then the scale is updated: backed off
 * after a non-finite step, grown after `growth_interval` finite steps, or
 * reset to a fixed value for a static scale.
 *
 * The scale is a float32 value, kept as a JS number rounded with `Math.fround`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from '../GradientTransformation.js'
import { map } from '../../tensor/tree.js'
import { releaseIntermediate } from '../ownership.js'

export interface ScalerConfig {
  readonly initScale: number
  readonly growthFactor: number
  readonly backoffFactor: number
  readonly growthInterval: number
  readonly enabled: boolean
  /** A static scale (`loss_scale=512.`): after every step the scale is reset to it. */
  readonly fixed: number | undefined
}

/** PyTorch's defaults: 2¹⁶, ×2 after 2000 finite steps, ×0.5 after a non-finite one. */
export const dynamicScaler: ScalerConfig = {
  initScale: 2 ** 16,
  growthFactor: 2,
  backoffFactor: 0.5,
  growthInterval: 2000,
  enabled: true,
  fixed: undefined,
}

/** `loss_scale` as MMEngine reads it: `'dynamic'`, a number (static), or a dict of GradScaler arguments. */
export const scalerFromConfig = (lossScale: unknown): ScalerConfig => {
  if (lossScale === 'dynamic' || lossScale === undefined) return dynamicScaler
  if (typeof lossScale === 'number') return { ...dynamicScaler, initScale: lossScale, fixed: lossScale }
  const d = lossScale as {
    init_scale?: number
    growth_factor?: number
    backoff_factor?: number
    growth_interval?: number
    enabled?: boolean
  }
  return {
    initScale: d.init_scale ?? dynamicScaler.initScale,
    growthFactor: d.growth_factor ?? dynamicScaler.growthFactor,
    backoffFactor: d.backoff_factor ?? dynamicScaler.backoffFactor,
    growthInterval: d.growth_interval ?? dynamicScaler.growthInterval,
    enabled: d.enabled ?? true,
    fixed: undefined,
  }
}

export interface ScalerState<S> {
  readonly inner: S
  readonly scale: number
  readonly growthTracker: number
  /** Whether the last step found a non-finite gradient (and was skipped). */
  readonly foundInf: boolean
}

export interface LossScaling<S> extends GradientTransformation<ScalerState<S>> {
  readonly config: ScalerConfig
  /** The factor to multiply the loss by before the backward pass. */
  readonly lossScale: (state: ScalerState<S>) => number
  /** GradScaler's `state_dict()`. */
  readonly stateDict: (state: ScalerState<S>) =>
    | {
        readonly scale: number
        readonly growth_factor: number
        readonly backoff_factor: number
        readonly growth_interval: number
        readonly _growth_tracker: number
      }
    | Record<never, never>
}

/** The next scale after a step (`GradScaler.update`), pure. */
export const nextScale = (
  config: ScalerConfig,
  scale: number,
  tracker: number,
  foundInf: boolean,
): { readonly scale: number; readonly growthTracker: number } => {
  if (config.fixed !== undefined) return { scale: Math.fround(config.fixed), growthTracker: tracker }
  if (foundInf) return { scale: Math.fround(scale * config.backoffFactor), growthTracker: 0 }
  const successful = tracker + 1
  if (successful === config.growthInterval) {
    const grown = Math.fround(scale * config.growthFactor)
    return { scale: Number.isFinite(grown) ? grown : scale, growthTracker: 0 }
  }
  return { scale, growthTracker: successful }
}

export const withLossScaling =
  (config: ScalerConfig) =>
  <S>(inner: GradientTransformation<S>): LossScaling<S> => ({
    config,
    lossScale: (state) => (config.enabled ? state.scale : 1),
    stateDict: (state) =>
      config.enabled
        ? {
            scale: state.scale,
            growth_factor: config.growthFactor,
            backoff_factor: config.backoffFactor,
            growth_interval: config.growthInterval,
            _growth_tracker: state.growthTracker,
          }
        : {},
    init: (params) => ({
      inner: inner.init(params),
      scale: Math.fround(config.initScale),
      growthTracker: 0,
      foundInf: false,
    }),
    update: (grads, state, params, groups) => {
      if (!config.enabled) {
        const [updates, innerState] = inner.update(grads, state.inner, params, groups)
        return [updates, { ...state, inner: innerState, foundInf: false }]
      }
      const inverse = Math.fround(1 / state.scale)
      const unscaled = map(grads, (g) => tf.mul(g, inverse))
      // One read-back per step: whether any gradient entry is non-finite.
      const foundInf = Object.values(unscaled).some((g) =>
        tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(g))).dataSync()[0] === 1),
      )
      const scale = nextScale(config, state.scale, state.growthTracker, foundInf)
      if (foundInf) {
        for (const g of Object.values(unscaled)) g.dispose()
        return [{}, { inner: state.inner, ...scale, foundInf: true }]
      }
      const [updates, innerState] = inner.update(unscaled, state.inner, params, groups)
      releaseIntermediate(unscaled, [updates, innerState], grads)
      return [updates, { inner: innerState, ...scale, foundInf: false }]
    },
  })
