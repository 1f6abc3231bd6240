/**
 * The tensor interpreter's services: the real clock, a logger that prints
 * and appends to the run's log file, files on disk, checkpoints written as
 * safetensors, and the tensor steps.
 * @module
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as Effect from 'effect/Effect'
import * as Layer from 'effect/Layer'
import * as Ev from '../../dsl/Event.js'
import type { Hook } from '../../dsl/Hook.js'
import {
  Checkpoints,
  Clock,
  Collective,
  FileError,
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
import type { State } from '../../dsl/State.js'
import { Trace } from '../Trace.js'
import type { TraceEntry } from '../Trace.js'
import { runStage } from '../interpret.js'
import { paramSchedulers } from '../paramSchedulers.js'
import { writeAtomically } from './atomic.js'
import { logLine } from '../logLine.js'

/** Run a file operation, turning a thrown error into a `FileError` naming the path. */
export const fileOp = <A>(path: string, op: () => A): Effect.Effect<A, FileError> =>
  Effect.try({
    try: op,
    catch: (e) => new FileError({ path, message: e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e) }),
  })

const ensureDir = (file: string): void => void fs.mkdirSync(nodePath.dirname(file), { recursive: true })

/** Files on disk, parent folders created as needed. */
export const diskFiles: Files['Service'] = Files.of({
  // Whole-file writes replace the file atomically (`last_checkpoint` must never be half-written).
  writeText: (path, text) => fileOp(path, () => writeAtomically(path, text)),
  appendText: (path, text) =>
    fileOp(path, () => {
      ensureDir(path)
      return fs.appendFileSync(path, text)
    }),
  remove: (path) => fileOp(path, () => fs.rmSync(path, { force: true })),
  writeBytes: (path, bytes) => fileOp(path, () => writeAtomically(path, bytes)),
  appendBytes: (path, bytes) =>
    fileOp(path, () => {
      ensureDir(path)
      return fs.appendFileSync(path, bytes)
    }),
  copyOut: (fromDir, toDir, suffixes, keepLocal) =>
    fileOp(fromDir, () => {
      const copied: string[] = []
      if (!fs.existsSync(fromDir)) return copied
      for (const entry of fs.readdirSync(fromDir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !suffixes.some((suffix) => entry.name.endsWith(suffix))) continue
        const source = nodePath.join(entry.parentPath, entry.name)
        const target = nodePath.join(toDir, nodePath.relative(fromDir, source))
        fs.mkdirSync(nodePath.dirname(target), { recursive: true })
        fs.copyFileSync(source, target)
        if (!keepLocal) fs.rmSync(source)
        copied.push(target)
      }
      return copied
    }),
})

/** Where log lines go: the console (or a test's sink) and the log file. */
export interface LogSink {
  readonly print: (level: LogLevel, message: string) => void
  /** The run's log file (`work_dir/<timestamp>/<timestamp>.log`), or undefined for none. */
  readonly file: string | undefined
}

/** Print a log line and append it to the run's log file. */
export const writeLog = (sink: LogSink, level: LogLevel, message: string): void => {
  sink.print(level, message)
  if (sink.file !== undefined) {
    ensureDir(sink.file)
    fs.appendFileSync(sink.file, logLine(level, message, new Date()))
  }
}

export interface TensorLayerOptions {
  readonly facts: RunFacts
  readonly hooks: () => ReadonlyArray<Hook<HookServices>>
  readonly steps: Steps['Service']
  readonly log: LogSink
  /** Serialise and store a checkpoint (after its `before_save_checkpoint` hooks ran). */
  readonly writeCheckpoint: (state: State, request: SaveRequest) => Effect.Effect<void, FileError>
  /** Re-save a checkpoint keeping only some keys (`published_keys`). */
  readonly publishCheckpoint: (path: string, keys: ReadonlyArray<string>) => Effect.Effect<string, FileError>
  /** Receives every trace entry (tests compare traces); default: discard. */
  readonly trace?: (entry: TraceEntry) => void
  readonly clock?: Clock['Service']
  readonly tensorOps: TensorOps['Service']
  readonly modelOps: ModelOps['Service']
  readonly collective?: Collective['Service']
  /** Default: the files on disk. */
  readonly files?: Files['Service']
}

export const layer = (options: TensorLayerOptions): Layer.Layer<HookServices | Steps | Trace> => {
  const trace = Trace.of({
    record: (entry) => (options.trace === undefined ? Effect.void : Effect.sync(() => options.trace!(entry))),
  })
  const logger = Logger.of({ log: (level, message) => Effect.sync(() => writeLog(options.log, level, message)) })
  const clock = options.clock ?? Clock.of({ now: Effect.sync(() => performance.now() / 1000) })
  const base = Layer.mergeAll(
    Layer.succeed(Clock, clock),
    Layer.succeed(Logger, logger),
    Layer.succeed(Run, options.facts),
    Layer.succeed(ParamSchedulers, paramSchedulers),
    Layer.succeed(Files, options.files ?? diskFiles),
    Layer.succeed(Trace, trace),
    Layer.succeed(TensorOps, options.tensorOps),
    Layer.succeed(ModelOps, options.modelOps),
    Layer.succeed(Collective, options.collective ?? singleProcess),
  )
  const checkpoints: Checkpoints['Service'] = Checkpoints.of({
    publish: options.publishCheckpoint,
    save: (state, request) =>
      Effect.gen(function* () {
        const event = Ev.stage('before_save_checkpoint', state.counters.epoch, state.counters.iter)
        const shaped = yield* runStage(options.hooks(), 'before_save_checkpoint', 1)(state, event)
        yield* options.writeCheckpoint(shaped, request)
      }).pipe(Effect.provideService(Checkpoints, checkpoints), Effect.provide(base)),
  })
  return Layer.mergeAll(base, Layer.succeed(Checkpoints, checkpoints), Layer.succeed(Steps, options.steps))
}
