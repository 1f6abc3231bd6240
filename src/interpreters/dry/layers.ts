/**
 * The dry run's services: a clock that stands still, a log and a file system
 * that record instead of writing, checkpoints that are listed (after their
 * `before_save_checkpoint` hooks ran), steps that compute nothing.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Layer from 'effect/Layer'
import * as Ev from '../../dsl/Event.js'
import type { Hook } from '../../dsl/Hook.js'
import {
  Checkpoints,
  Clock,
  Collective,
  Files,
  Logger,
  ModelOps,
  ParamSchedulers,
  Run,
  Steps,
  TensorOps,
} from '../../dsl/Services.js'
import { singleProcess } from '../collective/oneProcess.js'
import type { HookServices, LogLevel, RunFacts, SaveRequest } from '../../dsl/Services.js'
import { Trace } from '../Trace.js'
import type { TraceEntry } from '../Trace.js'
import { runStage } from '../interpret.js'
import { paramSchedulers } from '../paramSchedulers.js'
import type { EpochRun } from './epochRuns.js'

/** A log line the run would print, with the counters at that moment. */
export interface LogRecord {
  readonly level: LogLevel
  readonly message: string
  readonly epoch: number
  readonly iter: number
}

/** A file operation the run would perform. */
export interface FileRecord {
  readonly op: 'write' | 'append' | 'remove' | 'copy'
  readonly path: string
  readonly epoch: number
  readonly iter: number
}

/** A checkpoint the run would save. */
export interface SaveRecord extends SaveRequest {
  readonly atEpoch: number
  readonly atIter: number
}

/**
 * Log lines counted in a fast-forwarded stretch instead of written: `count` occurrences at iterations `from`,
 * `from + every`, … `to` of epoch `epoch`, each writing the `lines` log lines the same kind of occurrence wrote
 * when it was run for real (`samples`: those lines, the same text but for counters and lr).
 */
export interface LogRun {
  readonly epoch: number
  readonly from: number
  to: number
  every: number
  count: number
  readonly kind: string
  readonly lines: number
  readonly samples: ReadonlyArray<string>
}

/** What the fast-forward counted instead of recording one by one. */
export interface Counted {
  logs: number
  readonly runs: LogRun[]
  /** Writes and appends per file path. */
  readonly files: Map<string, { writes: number; appends: number }>
  /** Iterations whose hooks did not run (their effect was computed), and the stretches they came in. */
  iterations: number
  stretches: number
  /** Whole epochs left out as repeats of the epochs before them, and those runs. */
  epochs: number
  /** In an iteration-based loop: blocks of iterations left out as repeats of the ones before them (`epochRuns`). */
  blocks: number
  readonly epochRuns: EpochRun[]
}

/** Everything the dry services saw. `trace` keeps at most `traceLimit` entries; `traceCount` counts all. */
export interface Recording {
  readonly logs: LogRecord[]
  readonly files: FileRecord[]
  readonly saves: SaveRecord[]
  readonly trace: TraceEntry[]
  traceCount: number
  /** How often each stage occurred (independent of `traceLimit`). */
  readonly stageCounts: Map<string, number>
  /** Steps per mode. */
  readonly stepCounts: { train: number; val: number; test: number }
  /** Where each validation (and test) loop starts: the counters at `before_val` / `before_test`. */
  readonly evaluations: Array<{ readonly mode: 'val' | 'test'; readonly epoch: number; readonly iter: number }>
  /** Counters of the event being interpreted (for attributing log lines). */
  position: { epoch: number; iter: number }
  readonly counted: Counted
}

export const emptyRecording = (): Recording => ({
  logs: [],
  files: [],
  saves: [],
  trace: [],
  traceCount: 0,
  stageCounts: new Map(),
  stepCounts: { train: 0, val: 0, test: 0 },
  evaluations: [],
  position: { epoch: 0, iter: 0 },
  counted: { logs: 0, runs: [], files: new Map(), iterations: 0, stretches: 0, epochs: 0, blocks: 0, epochRuns: [] },
})

/** All dry services, recording into `recording`. */
export const layer = (
  recording: Recording,
  facts: RunFacts,
  hooks: () => ReadonlyArray<Hook<HookServices>>,
  options: { readonly traceLimit: number; readonly clock?: Clock['Service'] },
): Layer.Layer<HookServices | Steps | Trace> => {
  const traceLimit = options.traceLimit
  const trace = Trace.of({
    record: (entry) =>
      Effect.sync(() => {
        recording.traceCount += 1
        recording.position = { epoch: entry.epoch, iter: entry.iter }
        if (entry._tag === 'Event') {
          recording.stageCounts.set(entry.stage, (recording.stageCounts.get(entry.stage) ?? 0) + 1)
          if (entry.stage === 'before_val' || entry.stage === 'before_test') {
            recording.evaluations.push({
              mode: entry.stage === 'before_val' ? 'val' : 'test',
              epoch: entry.epoch,
              iter: entry.iter,
            })
          }
        } else if (entry._tag === 'Step') recording.stepCounts[entry.mode] += 1
        if (recording.trace.length < traceLimit) recording.trace.push(entry)
      }),
  })
  const files = Files.of({
    writeText: (path) => Effect.sync(() => void recording.files.push({ op: 'write', path, ...recording.position })),
    appendText: (path) => Effect.sync(() => void recording.files.push({ op: 'append', path, ...recording.position })),
    remove: (path) => Effect.sync(() => void recording.files.push({ op: 'remove', path, ...recording.position })),
    writeBytes: (path) => Effect.sync(() => void recording.files.push({ op: 'write', path, ...recording.position })),
    appendBytes: (path) => Effect.sync(() => void recording.files.push({ op: 'append', path, ...recording.position })),
    copyOut: (fromDir, toDir) =>
      Effect.sync(() => {
        recording.files.push({ op: 'copy', path: `${fromDir} → ${toDir}`, ...recording.position })
        return []
      }),
  })
  const checkpoints: Checkpoints['Service'] = Checkpoints.of({
    // The hash of a file the dry run does not write is unknown: the name shows where it goes.
    publish: (path) =>
      Effect.sync(() => {
        const published = `${path.replace(/\.safetensors$/, '')}-<sha256>.safetensors`
        recording.files.push({ op: 'write', path: published, ...recording.position })
        return published
      }),
    save: (state, request) =>
      Effect.gen(function* () {
        const event = Ev.stage('before_save_checkpoint', state.counters.epoch, state.counters.iter)
        yield* runStage(hooks(), 'before_save_checkpoint', 1)(state, event)
        recording.saves.push({ ...request, atEpoch: state.counters.epoch, atIter: state.counters.iter })
      }).pipe(
        Effect.provideService(Trace, trace),
        Effect.provideService(Files, files),
        Effect.provideService(Checkpoints, checkpoints),
        Effect.provide(base),
      ),
  })
  const base: Layer.Layer<Clock | Logger | Run | ParamSchedulers | TensorOps | Collective | ModelOps> = Layer.mergeAll(
    // No tensors: arithmetic keeps the refs it is given, reads give zeros of the right size.
    Layer.succeed(TensorOps, {
      lerp: (avg) => Effect.succeed(avg),
      copy: (tree) => Effect.succeed(tree),
      read: (ref) => Effect.succeed(new Float32Array(ref.shape.reduce((a, b) => a * b, 1))),
      releaseMemory: Effect.succeed(undefined),
    }),
    Layer.succeed(Collective, singleProcess),
    // No tensors: nothing to extract or draw; new tensors are refs of their shapes.
    Layer.succeed(ModelOps, {
      extractFeatures: () => Effect.succeed(undefined),
      reinitialise: (state) => Effect.succeed(state),
      fromValues: (values) =>
        Effect.succeed(
          Object.fromEntries(
            Object.entries(values).map(([n, v]) => [n, { _tag: 'TensorRef', id: 0, shape: v.shape, dtype: v.dtype }]),
          ),
        ),
    }),
    // The dry clock stands still (every duration is 0) unless a test provides another.
    Layer.succeed(Clock, options.clock ?? { now: Effect.succeed(0) }),
    Layer.succeed(Logger, {
      log: (level, message) => Effect.sync(() => void recording.logs.push({ level, message, ...recording.position })),
    }),
    Layer.succeed(Run, facts),
    // Schedulers are numbers in the state: the dry run steps them exactly as the tensor run does.
    Layer.succeed(ParamSchedulers, paramSchedulers),
  )
  return Layer.mergeAll(
    base,
    Layer.succeed(Files, files),
    Layer.succeed(Trace, trace),
    Layer.succeed(Checkpoints, checkpoints),
    // The dry run computes nothing: steps leave the state alone and evaluations report no metrics.
    Layer.succeed(Steps, { run: (state) => Effect.succeed(state), evaluate: (state) => Effect.succeed(state) }),
  )
}
