/**
 * `State`: the one immutable value a run threads through its hooks and steps.
 *
 * It holds everything needed to continue a run: counters, the message hub,
 * random streams, the data cursor, every hook's own state, and opaque handles
 * to tensors (parameters, buffers, optimizer slots) that the tensor
 * interpreter owns. Serialising it and loading it back is what resume means.
 *
 * @example
 * ```ts
 * import { State } from 'loopwright'
 * const s0 = State.initial({ seed: 0, maxEpochs: 2, maxIters: 8 })
 * const s1 = State.setHookState(s0, 'IterTimerHook', { startIter: 0 })
 * s0 === s1 // false; s0 is unchanged
 * ```
 * @module
 */
import type { Json, MessageHub } from './MessageHub.js'
import * as Hub from './MessageHub.js'
import * as Rng from './Rng.js'

/** The runner's counters (spec §1.4). */
export interface Counters {
  readonly epoch: number
  readonly iter: number
  readonly maxEpochs: number
  readonly maxIters: number
}

/**
 * An opaque reference to a tensor owned by an interpreter. The dry-run
 * interpreter fills in shapes only; the tensor interpreter maps `id` to a
 * live tensor. Code outside the interpreters never dereferences it.
 */
export interface TensorRef {
  readonly _tag: 'TensorRef'
  readonly id: number
  readonly shape: ReadonlyArray<number>
  readonly dtype: 'float32' | 'int32' | 'bool'
}

/** Tensors by PyTorch-style dotted name (`backbone.fc1.weight`). */
export type TensorTree = { readonly [name: string]: TensorRef }

/**
 * The model's part of the state: parameters, buffers, and attributes hooks may adjust (e.g. DenseCL's `loss_lambda`).
 */
export interface ModelState {
  readonly params: TensorTree
  readonly buffers: TensorTree
  readonly attributes: { readonly [name: string]: Json }
  readonly training: boolean
}

/** Where the next training batch comes from. `samplerEpoch` is what `DistSamplerSeedHook` sets. */
export interface DataCursor {
  readonly samplerEpoch: number
}

/**
 * A val/test batch as the step saw it: inputs (as the dataset stores them, before preprocessing), targets, and the
 * model's outputs.
 */
export interface LastBatch {
  readonly mode: 'val' | 'test'
  readonly indices: ReadonlyArray<number>
  readonly inputs: TensorRef
  readonly targets: TensorRef
  readonly outputs: TensorRef
}

export interface State {
  readonly counters: Counters
  readonly messageHub: MessageHub
  /** The run's root random stream; consumers derive their own with `Rng.split`. */
  readonly rng: Rng.Rng
  readonly seed: number
  readonly data: DataCursor
  readonly model: ModelState
  /**
   * Optimizer-wrapper state (optimizer slots, accumulation, loss scaler, schedulers); shaped by the optimizer layer.
   */
  readonly optim: { readonly [key: string]: unknown }
  /** Each hook's own state, keyed by the hook's registration key. */
  readonly hooks: { readonly [hookKey: string]: unknown }
  /** Log variables of the latest train step (`loss`, `loss_*`, …), as read back for hooks. */
  readonly outputs: { readonly [name: string]: number }
  /**
   * The latest val/test step's batch and outputs (`data_batch` and `outputs`
   * of MMEngine's `after_*_iter`), for hooks that look at them such as
   * `NaiveVisualizationHook`. `undefined` outside evaluation and in the dry run.
   */
  readonly lastBatch: LastBatch | undefined
  /** Metrics of the latest val/test epoch, as passed to `after_val_epoch` / `after_test_epoch`. */
  readonly metrics: { readonly [name: string]: Json } | undefined
  /** MMEngine's `train_loop.stop_training`. */
  readonly stopTraining: boolean
}

/** The state before `before_run`. */
export const initial = (options: {
  readonly seed: number
  readonly maxEpochs: number
  readonly maxIters: number
}): State => ({
  counters: { epoch: 0, iter: 0, maxEpochs: options.maxEpochs, maxIters: options.maxIters },
  messageHub: Hub.empty,
  rng: Rng.make(options.seed),
  seed: options.seed,
  data: { samplerEpoch: 0 },
  model: { params: {}, buffers: {}, attributes: {}, training: true },
  optim: {},
  hooks: {},
  outputs: {},
  lastBatch: undefined,
  metrics: undefined,
  stopTraining: false,
})

/** The counters set to those of an event (the runner's view at that moment). */
export const atCounters = (state: State, epoch: number, iter: number): State =>
  state.counters.epoch === epoch && state.counters.iter === iter
    ? state
    : { ...state, counters: { ...state.counters, epoch, iter } }

/** A hook's own state, or `fallback` when it has none yet. */
export const hookState = <S>(state: State, hookKey: string, fallback: S): S =>
  hookKey in state.hooks ? (state.hooks[hookKey] as S) : fallback

/** Replace a hook's own state. */
export const setHookState = (state: State, hookKey: string, value: unknown): State => ({
  ...state,
  hooks: { ...state.hooks, [hookKey]: value },
})

/** Apply `f` to the message hub. */
export const modifyHub = (state: State, f: (hub: MessageHub) => MessageHub): State => ({
  ...state,
  messageHub: f(state.messageHub),
})

/** Request that training stop at the next point MMEngine checks (`stop_training = True`). */
export const requestStop = (state: State): State => (state.stopTraining ? state : { ...state, stopTraining: true })
