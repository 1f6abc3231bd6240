/**
 * Gradient accumulation (MMEngine's `accumulative_counts`, spec §7.2).
 *
 * Gradients of micro-batches are summed; the inner transformation steps only
 * when a window closes. The loss of each micro-batch is divided by
 * {@link lossFactor} *before* the backward pass (the interpreter does that),
 * so the sum is the gradient of a mean.
 *
 * Two policies decide where windows close and what the divisor is:
 * - `'mmengine'` (default): MMEngine's exact rule. The counter runs across
 *   epochs; a window closes when `count % k == 0` or at the last iteration of
 *   training; the divisor is `k`, except in the final short window
 *   (`max_iters % k` micro-batches), whose divisor is that remainder.
 * - `'epoch'`: windows also close at every epoch end (no window spans two
 *   epochs), and every micro-batch loss is weighted by its number of items
 *   over the items of its window, so a short window is an exact mean too.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from '../GradientTransformation.js'
import type { Tree } from '../../tensor/tree.js'
import { map } from '../../tensor/tree.js'
import { releaseIntermediate } from '../ownership.js'

export type AccumulationPolicy =
  | { readonly _tag: 'mmengine' }
  | {
      readonly _tag: 'epoch'
      /** Batches per epoch. */
      readonly batchesPerEpoch: number
      /** Items of the batch at an index within the epoch (the last batch may be short). */
      readonly batchItems: (indexInEpoch: number) => number
    }

export interface AccumulateState<S> {
  readonly inner: S
  /** Summed gradients of the open window, or undefined when no window is open. */
  readonly sum: Tree | undefined
  /** Micro-batches seen so far (MMEngine's `_inner_count`). */
  readonly count: number
  /** `max_iters`, or −1 before `initializeCountStatus` (then the divisor is always k). */
  readonly maxCounts: number
  /** Whether the last update closed a window and stepped. */
  readonly stepped: boolean
}

export interface Accumulation<S> extends GradientTransformation<AccumulateState<S>> {
  readonly k: number
  readonly policy: AccumulationPolicy
  /** The divisor to apply to the next micro-batch's loss. */
  readonly lossFactor: (state: AccumulateState<S>) => number
  /** MMEngine's `initialize_count_status(model, init_counts, max_counts)`. */
  readonly initializeCountStatus: (
    state: AccumulateState<S>,
    initCounts: number,
    maxCounts: number,
  ) => AccumulateState<S>
  /** Will the update after the next micro-batch step the inner transformation? */
  readonly closesWindow: (state: AccumulateState<S>) => boolean
}

/** Where the window that contains micro-batch `count` (0-based) starts and ends, under the epoch policy. */
const epochWindow = (
  count: number,
  k: number,
  batchesPerEpoch: number,
): { readonly start: number; readonly end: number } => {
  const epochStart = Math.floor(count / batchesPerEpoch) * batchesPerEpoch
  const offset = count - epochStart
  const start = epochStart + Math.floor(offset / k) * k
  return { start, end: Math.min(start + k, epochStart + batchesPerEpoch) }
}

export const accumulate =
  (k: number, policy: AccumulationPolicy = { _tag: 'mmengine' }) =>
  <S>(inner: GradientTransformation<S>): Accumulation<S> => {
    const closes = (state: AccumulateState<S>): boolean => {
      const after = state.count + 1
      if (policy._tag === 'epoch')
        return after === epochWindow(state.count, k, policy.batchesPerEpoch).end || after === state.maxCounts
      return after % k === 0 || after === state.maxCounts
    }
    return {
      k,
      policy,
      init: (params) => ({ inner: inner.init(params), sum: undefined, count: 0, maxCounts: -1, stepped: false }),
      initializeCountStatus: (state, initCounts, maxCounts) => ({ ...state, count: initCounts, maxCounts }),
      closesWindow: closes,
      lossFactor: (state) => {
        if (k === 1) return 1
        if (policy._tag === 'epoch') {
          const { start, end } = epochWindow(state.count, k, policy.batchesPerEpoch)
          let items = 0
          for (let c = start; c < end; c++) items += policy.batchItems(c % policy.batchesPerEpoch)
          return items / policy.batchItems(state.count % policy.batchesPerEpoch)
        }
        if (state.maxCounts === -1) return k
        const remainder = state.maxCounts % k
        return state.count < state.maxCounts - remainder ? k : remainder
      },
      update: (grads, state, params, groups) => {
        const step = closes(state)
        // The window's sum is the state's own: copy the first gradients rather than hold the caller's, unless
        // the window closes right here (k = 1, every step), where the sum is used at once and never held.
        const sum: Tree =
          state.sum === undefined
            ? step
              ? grads
              : map(grads, (g) => tf.clone(g))
            : Object.fromEntries(
                [...new Set([...Object.keys(state.sum), ...Object.keys(grads)])].map((n) => [
                  n,
                  state.sum![n] === undefined
                    ? grads[n]!
                    : grads[n] === undefined
                      ? state.sum![n]!
                      : tf.add(state.sum![n]!, grads[n]!),
                ]),
              )
        const count = state.count + 1
        if (!step) return [{}, { ...state, sum, count, stepped: false }]
        const [updates, innerState] = inner.update(sum, state.inner, params, groups)
        // The closed window's sum belongs to no state any more.
        releaseIntermediate(sum, [updates, innerState], grads)
        return [updates, { inner: innerState, sum: undefined, count, maxCounts: state.maxCounts, stepped: true }]
      },
    }
  }
