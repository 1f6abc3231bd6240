/**
 * The tensor interpreter's run: the services that compute (steps, checkpoints, logs), the timeline walked
 * from where setup and resume left the state, and the result.
 * @module
 */
import * as fs from 'node:fs'
import * as Effect from 'effect/Effect'
import * as path from '../../dsl/path.js'
import type { Program } from '../../dsl/Program.js'
import type { LogLevel, SaveRequest } from '../../dsl/Services.js'
import { Checkpoints, FileError, Files, Logger, Steps } from '../../dsl/Services.js'
import type { State } from '../../dsl/State.js'
import * as Optim from '../../optim/OptimState.js'
import { version } from '../../version.js'
import { interpret } from '../interpret.js'
import { consoleStream, logLine } from '../logLine.js'
import { writeAtomically } from './atomic.js'
import * as Checkpoint from './checkpoint.js'
import { oneProcess } from '../collective/oneProcess.js'
import { discardedFiles } from '../collective/rankRoles.js'
import { collectiveService } from '../collective/service.js'
import { replicasOf } from '../collective/replicas.js'
import { diskFiles, fileOp, layer, writeLog } from './layers.js'
import type { LogSink } from './layers.js'
import type { Resumed } from './resume.js'
import type { Setup } from './setup.js'
import { tensorSteps } from './Steps.js'
import { modelOps } from './modelOps.js'
import { tensorOps } from './tensorOps.js'
import type { TensorStore } from './TensorStore.js'
import { TrainError } from './TrainError.js'
import { gatherWindowSums } from './windowSums.js'
import type { WindowSums } from './windowSums.js'
import type { Evaluation, TrainOptions, TrainResult } from './train.js'

/** Everything in a state that can reference tensors. */
export const liveRoots = (state: State): ReadonlyArray<unknown> => [
  state.model,
  state.optim,
  state.hooks,
  state.lastBatch,
]

const printToStdout = (level: LogLevel, message: string): void => {
  consoleStream(level).write(logLine(level, message, new Date()))
}

/** Walk the timeline with computing services and collect the result. */
export const run = (
  program: Program,
  options: TrainOptions,
  store: TensorStore,
  built: Setup,
  resumed: Resumed,
  started: number,
): Effect.Effect<TrainResult, TrainError> =>
  Effect.gen(function* () {
    const { hooks, model, seed, loaders, sizes, gather, evaluators, wrapper, facts } = built
    const { workDir, logDir, timestamp } = facts
    const { state, start } = resumed
    const communicator = options.communicator ?? oneProcess
    const rankZero = communicator.rank === 0
    const publishCheckpoint = (source: string, keys: ReadonlyArray<string>): Effect.Effect<string, FileError> =>
      Effect.flatMap(
        fileOp(source, () => new Uint8Array(fs.readFileSync(source))),
        (bytes) => {
          const published = Checkpoint.publish(bytes, source, keys)
          if (published._tag === 'Left')
            return Effect.fail(new FileError({ path: source, message: published.left.message }))
          const target = Checkpoint.publishedName(source, published.right)
          return fileOp(target, () => {
            writeAtomically(target, published.right)
            return target
          })
        },
      )
    const print = options.print ?? printToStdout
    // Rank 0 logs for the run; the other ranks report only errors.
    const log: LogSink = rankZero
      ? { print, file: path.join(logDir, `${timestamp}.log`) }
      : {
          print: (level, message) => level === 'ERROR' && print(level, `[rank ${communicator.rank}] ${message}`),
          file: undefined,
        }
    if (communicator.worldSize > 1) {
      const { transport, worldSize } = communicator
      writeLog(log, 'INFO', `data parallel: ${transport}; rank 0 of ${worldSize} writes checkpoints and logs`)
    }
    // MMEngine's Runner.resume ends with `resumed epoch: N, iter: M` (spec §1.3 step 8): a resumed run says where.
    for (const message of resumed.messages) writeLog(log, 'INFO', message)
    for (const message of resumed.warnings) writeLog(log, 'WARNING', message)
    const evaluations: Evaluation[] = []
    const checkpoints: string[] = []
    const inner = tensorSteps({
      model,
      store,
      wrapper,
      loaders,
      evaluators,
      gather,
      communicator,
      ...(communicator.worldSize > 1 ? { replicas: replicasOf(communicator) } : {}),
      nonFinite: (program.settings['non_finite'] as 'stop' | 'skip' | 'warn' | undefined) ?? 'stop',
      warn: (message) => writeLog(log, 'WARNING', message),
    })
    const steps: Steps['Service'] = Steps.of({
      run: (s, event) =>
        Effect.map(inner.run(s, event), (next) => {
          store.collect(liveRoots(next))
          if (event.mode === 'train' && options.afterTrainStep !== undefined)
            options.afterTrainStep(next, (tree) =>
              Object.fromEntries(Object.entries(tree).map(([n, r]) => [n, store.get(r).dataSync() as Float32Array])),
            )
          return next
        }),
      evaluate: (s, mode) =>
        Effect.map(inner.evaluate(s, mode), (next) => {
          store.collect(liveRoots(next))
          evaluations.push({ mode, epoch: next.counters.epoch, iter: next.counters.iter, metrics: next.metrics ?? {} })
          return next
        }),
    })
    /** Rank 0's part of a save: encode the state (and the ranks' open-window sums) and write the file. */
    const encodeAndWrite = (
      s: State,
      request: SaveRequest,
      windowSums: WindowSums | undefined,
    ): Effect.Effect<void, FileError> =>
      Effect.flatMap(
        Effect.tryPromise({
          try: () =>
            Checkpoint.encode(
              s,
              store,
              {
                epoch: request.meta.epoch,
                iter: request.meta.iter,
                seed,
                experiment_name: facts.experimentName,
                loopwright_version: version,
                time: new Date().toISOString(),
                cfg: facts.configText,
                ...(facts.datasetMeta === undefined ? {} : { dataset_meta: facts.datasetMeta }),
              },
              { saveOptimizer: request.saveOptimizer, saveParamScheduler: request.saveParamScheduler },
              windowSums,
            ),
          catch: (e) =>
            new FileError({
              path: request.path,
              message: `cannot read the tensors to save: ${e instanceof Error ? e.message : String(e)}`,
            }),
        }),
        (bytes) =>
          fileOp(request.path, () => {
            writeAtomically(request.path, bytes, options.writer)
            checkpoints.push(request.path)
          }),
      )
    // Every rank reaches each save at the same point of the timeline: the ranks gather their sums of an open
    // accumulation window there (each rank's own, see windowSums.ts); then rank 0 alone encodes and writes. The
    // sums belong to the optimizer state: a save without it gathers nothing (the request is alike on every rank).
    const writeCheckpoint = (s: State, request: SaveRequest): Effect.Effect<void, FileError> =>
      options.writeCheckpoints === false
        ? Effect.void
        : Effect.flatMap(
            Effect.tryPromise({
              try: () =>
                request.saveOptimizer ? gatherWindowSums(s, store, communicator) : Promise.resolve(undefined),
              catch: (e) =>
                new FileError({
                  path: request.path,
                  message: `cannot gather the ranks' accumulated gradients: ${e instanceof Error ? e.message : e}`,
                }),
            }),
            (windowSums) => (rankZero ? encodeAndWrite(s, request, windowSums) : Effect.void),
          )
    let interrupted: 'SIGINT' | 'SIGTERM' | undefined
    const timelineOptions = {
      ...(options.entry === undefined ? {} : { entry: options.entry }),
      loadsCheckpoint: resumed.loadsCheckpoint,
      testAfterTrain: options.testAfterTrain ?? program.testLoop !== undefined,
      ...(start === undefined ? {} : { start }),
    }
    // Already agreed between the ranks (`trainWith`).
    const poll = options.interrupt
    const control =
      poll === undefined
        ? {}
        : {
            interrupt: () => {
              interrupted = poll()
              return interrupted !== undefined
            },
          }
    const whole = Effect.gen(function* () {
      const end = yield* interpret(program, hooks, sizes, state, timelineOptions, control)
      if (interrupted === undefined) return end
      // Stopped between iterations: save everything so that --resume continues exactly here.
      const file = path.join(workDir, `interrupted_iter_${end.counters.iter}.safetensors`)
      yield* Checkpoints.use((c) =>
        c.save(end, {
          path: file,
          meta: { epoch: end.counters.epoch, iter: end.counters.iter },
          saveOptimizer: true,
          saveParamScheduler: true,
        }),
      )
      yield* Files.use((f) => f.writeText(path.join(workDir, 'last_checkpoint'), file))
      yield* Logger.use((l) =>
        l.log(
          'WARNING',
          `Interrupted by ${interrupted} after ${end.counters.iter} iterations; saved ${file}. Continue with --resume.`,
        ),
      )
      return end
    })
    const final = yield* whole.pipe(
      Effect.provide(
        layer({
          facts,
          hooks: () => hooks,
          steps,
          log,
          writeCheckpoint,
          tensorOps: tensorOps(store),
          modelOps: modelOps({ model, store, seed, gather, communicator }),
          // Other ranks neither write nor publish: the checkpoint is rank 0's.
          publishCheckpoint: rankZero ? publishCheckpoint : (source) => Effect.succeed(source),
          files: rankZero ? diskFiles : discardedFiles,
          collective: options.collective ?? collectiveService(communicator, store),
          ...(options.trace === undefined ? {} : { trace: options.trace }),
        }),
      ),
      Effect.mapError(
        (e) =>
          new TrainError({
            during: 'run',
            issues: [
              e._tag === 'HookError'
                ? { path: e.hook, message: `${e.stage}: ${e.message}` }
                : e._tag === 'FileError'
                  ? { path: e.path, message: e.message }
                  : { path: `${e.mode}_step`, message: `iteration ${e.iter + 1}, batch ${e.batchIdx}: ${e.message}` },
            ],
          }),
      ),
    )
    const finalEntries = Object.entries(final.model.params)
    const finalValues = yield* Effect.promise(() =>
      Promise.all(finalEntries.map(([, r]) => store.get(r).data() as Promise<Float32Array>)),
    )
    const finalParams = Object.fromEntries(
      finalEntries.map(([n, r], i) => [n, { shape: [...r.shape], values: finalValues[i]! }]),
    )
    const bufferEntries = Object.entries(final.model.buffers)
    const bufferValues = yield* Effect.promise(() =>
      Promise.all(bufferEntries.map(([, r]) => store.get(r).data() as Promise<Float32Array | Int32Array>)),
    )
    const finalBuffers = Object.fromEntries(
      bufferEntries.map(([n, r], i) => [n, { shape: [...r.shape], values: bufferValues[i]! }]),
    )
    const optimFinal = Optim.read(final.optim)
    const result: TrainResult = {
      workDir,
      logDir,
      iterations: final.counters.iter,
      startIteration: start?.iter ?? 0,
      epochs: final.counters.epoch,
      seconds: (performance.now() - started) / 1000,
      evaluations,
      checkpoints,
      params: finalParams,
      buffers: finalBuffers,
      state: final,
      lr: optimFinal === undefined ? {} : Optim.learningRates(optimFinal),
      interrupted,
      rank: communicator.rank,
    }
    return result
  })
