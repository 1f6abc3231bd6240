/**
 * The arithmetic of MMEngine's averaged models (`mmengine/model/averaged_model.py`,
 * spec §4.1), as pure functions over numbers: which update the `steps`-th call
 * of `update_parameters` makes, and with what weight.
 *
 * MMEngine's convention: the weight (its `momentum`) is the share of the *new*
 * value, `avg = (1 − w)·avg + w·src` — the opposite of the usual "decay".
 *
 * | type | weight at `steps` (the counter before the update) |
 * | --- | --- |
 * | `ExponentialMovingAverage` | `momentum` |
 * | `MomentumAnnealingEMA` | `max(momentum, gamma / (gamma + steps))` |
 * | `StochasticWeightAverage` | `1 / (steps // interval + 1)` |
 *
 * The first update (`steps == 0`) copies the source; later ones average only
 * when `steps % interval == 0` and otherwise keep the average.
 *
 * @example
 * ```ts
 * import { updateAt } from './averaging.js'
 * const ema = { type: 'ExponentialMovingAverage', momentum: 0.1, gamma: 100, interval: 1 } as const
 * updateAt(ema, 0) // { _tag: 'Copy' }
 * updateAt(ema, 1) // { _tag: 'Lerp', weight: 0.1 }
 * ```
 * @module
 */

/** The averaged-model classes `EMAHook(ema_type=...)` accepts. */
export type AveragingType = 'ExponentialMovingAverage' | 'MomentumAnnealingEMA' | 'StochasticWeightAverage'

/** Every {@link AveragingType}, in MMEngine's order. */
export const averagingTypes: ReadonlyArray<AveragingType> = [
  'ExponentialMovingAverage',
  'MomentumAnnealingEMA',
  'StochasticWeightAverage',
]

/** An averaged model's settings (`momentum` and `gamma` are ignored where the type has none). */
export interface Averaging {
  readonly type: AveragingType
  readonly momentum: number
  readonly gamma: number
  readonly interval: number
}

/** What one `update_parameters` call does to every floating-point averaged tensor. */
export type Update =
  /** `avg ← src` (the first update, or a weight of exactly 1). */
  | { readonly _tag: 'Copy' }
  /** `avg` unchanged (off-interval steps, or a weight of exactly 0). */
  | { readonly _tag: 'Keep' }
  /** `avg ← (1 − weight)·avg + weight·src`. */
  | { readonly _tag: 'Lerp'; readonly weight: number }

/** Python's `//` for a non-negative dividend and positive divisor. */
const floorDiv = (a: number, n: number): number => Math.floor(a / n)

/** The weight of the new value at counter `steps` (≥ 1), before the special cases of {@link updateAt}. */
export const weightAt = (a: Averaging, steps: number): number => {
  switch (a.type) {
    case 'ExponentialMovingAverage':
      return a.momentum
    case 'MomentumAnnealingEMA':
      return Math.max(a.momentum, a.gamma / (a.gamma + steps))
    case 'StochasticWeightAverage':
      return 1 / (floorDiv(steps, a.interval) + 1)
  }
}

/** The update made when `update_parameters` runs with the counter at `steps` (it then becomes `steps + 1`). */
export const updateAt = (a: Averaging, steps: number): Update => {
  if (steps === 0) return { _tag: 'Copy' }
  if (steps % a.interval !== 0) return { _tag: 'Keep' }
  const weight = weightAt(a, steps)
  // Exact ends: torch's lerp gives `src` at weight 1 and `avg` at weight 0 bit for bit.
  if (weight === 0) return { _tag: 'Keep' }
  if (weight === 1) return { _tag: 'Copy' }
  return { _tag: 'Lerp', weight }
}

/**
 * PyTorch's `lerp` on one float32 element (the weight is rounded to float32
 * first): `avg + w·(src − avg)` for `w < 0.5`, else `src − (src − avg)·(1 − w)`.
 * The reference the tensor arithmetic is checked against.
 */
export const lerp32 = (avg: number, src: number, weight: number): number => {
  const f = Math.fround
  const w = f(weight)
  const diff = f(src - avg)
  return w < 0.5 ? f(avg + f(w * diff)) : f(src - f(diff * f(1 - w)))
}

/** One update of a float32 value, as {@link updateAt} decides it. */
export const apply32 = (update: Update, avg: number, src: number): number =>
  update._tag === 'Copy' ? Math.fround(src) : update._tag === 'Keep' ? avg : lerp32(avg, src, update.weight)

/** The average after feeding `values` one by one from `steps = 0` (a float32 reference for tests and docs). */
export const average32 = (
  a: Averaging,
  values: ReadonlyArray<number>,
  start?: { readonly avg: number; readonly steps: number },
): number => {
  let avg = start?.avg ?? 0
  let steps = start?.steps ?? 0
  for (const v of values) {
    avg = apply32(updateAt(a, steps), avg, v)
    steps += 1
  }
  return avg
}
