/**
 * The tensor interpreter: `train(program)` builds the model, data, optimizer
 * wrapper, schedulers, evaluators and hooks the program describes, in
 * MMEngine's order (spec §1.3), and walks the same timeline as the dry run
 * with services that compute.
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * const result = await Effect.runPromise(train(program, { workDir: 'work_dirs/mnist' }))
 * result.evaluations.at(-1)?.metrics // { 'accuracy/top1': 97.8 }
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import type { Dataset } from '../../data/Dataset.js'
import type { Json } from '../../dsl/MessageHub.js'
import type { Program } from '../../dsl/Program.js'
import type { Collective, LogLevel } from '../../dsl/Services.js'
import type { State, TensorTree } from '../../dsl/State.js'
import type { Registries } from '../../config/Config.js'
import type * as Models from '../../models/registry.js'
import type { TraceEntry } from '../Trace.js'
import type { Communicator } from '../collective/Communicator.js'
import type { Writer } from './atomic.js'
import { resume } from './resume.js'
import { liveRoots, run } from './run.js'
import { setup } from './setup.js'
import { applyAutoScaleLr } from '../../config/autoScaleLr.js'
import { oneProcess } from '../collective/oneProcess.js'
import { interruptVotes } from '../collective/interruptVotes.js'
import { TensorStore } from './TensorStore.js'
import { TrainError } from './TrainError.js'
import { ensureBackend } from './ensureBackend.js'
import { describe } from '../../tensor/backend.js'

export { TrainError } from './TrainError.js'
export { timestampOf } from './setup.js'

export interface TrainOptions {
  readonly registries?: Registries
  readonly modelTypes?: typeof Models.defaultModelTypes
  /** The config's file stem: default work dir `work_dirs/<name>` and experiment name. */
  readonly configName?: string
  readonly configText?: string
  /** Overrides the config's `work_dir`. */
  readonly workDir?: string
  /** Resume from this checkpoint, or `'auto'`: the one `work_dir/last_checkpoint` names (MMEngine's `resume=True`). */
  readonly resume?: string | 'auto'
  /** Datasets to use instead of building the configured ones (tests and conformance replays). */
  readonly datasets?: { readonly train?: Dataset; readonly val?: Dataset; readonly test?: Dataset }
  /** Initial parameters by name (replaces the seeded initialisation; conformance replays). */
  readonly initialParams?: {
    readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: ReadonlyArray<number> }
  }
  /** Where log lines go. Default: standard output. */
  readonly print?: (level: LogLevel, message: string) => void
  /** Run the test loop after training. Default true when a test loop is configured. */
  readonly testAfterTrain?: boolean
  /** Which runner method the run is: `runner.train()` (default) or `runner.test()` (see `./test.ts`). */
  readonly entry?: 'train' | 'test'
  /** `YYYYMMDD_HHMMSS` of this run (its log folder). Default: now. */
  readonly timestamp?: string
  /** Every trace entry (hook calls, steps). */
  readonly trace?: (entry: TraceEntry) => void
  /**
   * Called after every train step with the new state and a reader for its tensors (conformance replays record
   * parameters).
   */
  readonly afterTrainStep?: (
    state: State,
    read: (tree: TensorTree) => { readonly [name: string]: Float32Array | Int32Array | Uint8Array },
  ) => void
  /** Polled before every training iteration: a signal name stops the run there with a resumable checkpoint. */
  readonly interrupt?: () => 'SIGINT' | 'SIGTERM' | undefined
  /** Data-parallel communication for hooks (default: the `communicator`'s). */
  readonly collective?: Collective['Service']
  /**
   * This worker's place among data-parallel workers (default: one process).
   * The train sampler reads this rank's shard, gradients are averaged before
   * each optimizer step, and only rank 0 writes files.
   */
  readonly communicator?: Communicator
  /** How checkpoint bytes reach the disk (tests inject faults). */
  readonly writer?: Writer
  /** Write checkpoints (default true). */
  readonly writeCheckpoints?: boolean
}

export interface Evaluation {
  readonly mode: 'val' | 'test'
  readonly epoch: number
  readonly iter: number
  readonly metrics: { readonly [name: string]: Json }
}

export interface TrainResult {
  readonly workDir: string
  readonly logDir: string
  /** The iteration the run ended at, counting those of the runs it resumed. */
  readonly iterations: number
  /** The iteration this run started from: 0, or the resumed checkpoint's. */
  readonly startIteration: number
  readonly epochs: number
  readonly seconds: number
  readonly evaluations: ReadonlyArray<Evaluation>
  readonly checkpoints: ReadonlyArray<string>
  /** The final parameters, by name. */
  readonly params: { readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: Float32Array } }
  /** The final buffers (BatchNorm statistics, momentum encoders, queues, memories), by name. */
  readonly buffers: {
    readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: Float32Array | Int32Array }
  }
  /** The final state, with tensor refs that are no longer live. */
  readonly state: State
  /** The last learning rates (`lr`, `base_lr`, …). */
  readonly lr: { readonly [name: string]: number }
  /** Set when a signal stopped the run early (a resumable checkpoint was saved). */
  readonly interrupted: 'SIGINT' | 'SIGTERM' | undefined
  /** This worker's rank (0 in one process): rank 0 wrote the checkpoints and logs. */
  readonly rank: number
}

/**
 * Train `program`: the whole run, from building its parts to `after_run`.
 * Errors are values: a bad config, unreadable data or checkpoint, or a step
 * that fails arrive as a `TrainError` naming what and where.
 */
export const train = (program: Program, options: TrainOptions = {}): Effect.Effect<TrainResult, TrainError> =>
  Effect.suspend(() => {
    // The run owns every tensor it makes: whatever happens, they are freed when it ends.
    const store = new TensorStore()
    return trainWith(program, options, store).pipe(Effect.ensuring(Effect.sync(() => store.clear())))
  })

/** Setup, then resume or load_from, then run (spec §1.3). */
const trainWith = (given: Program, local: TrainOptions, store: TensorStore): Effect.Effect<TrainResult, TrainError> =>
  Effect.gen(function* () {
    const started = performance.now()
    // Every rank answers an interrupt poll alike; the votes travel with the gradients.
    const votes =
      local.interrupt === undefined ? undefined : interruptVotes(local.communicator ?? oneProcess, local.interrupt)
    const options = votes === undefined ? local : { ...local, communicator: votes.communicator, interrupt: votes.poll }
    // MMEngine's Runner.scale_lr: `auto_scale_lr` scales the lrs for the real batch size before anything is built.
    const scaled = applyAutoScaleLr(given, (options.communicator ?? oneProcess).worldSize)
    const program = scaled.program
    // A script may call train without selectBackend: take what `--backend auto` takes.
    const chosen = yield* Effect.mapError(
      ensureBackend,
      (e) => new TrainError({ issues: [{ path: 'backend', message: e.message }] }),
    )
    const built = yield* setup(program, options, store)
    const loaded = yield* resume(program, options, store, built)
    const before = [
      ...(chosen === undefined ? [] : [describe(chosen)]),
      ...(scaled.line === undefined ? [] : [scaled.line]),
    ]
    const resumed = { ...loaded, messages: [...before, ...loaded.messages] }
    store.collect(liveRoots(resumed.state))
    return yield* run(program, options, store, built, resumed, started)
  })
