/**
 * `LoggerHook` (BELOW_NORMAL): decides when a log line is due, asks the
 * `LogProcessor` for it, writes it to the run's log and appends the scalars to
 * `vis_data/scalars.json` (spec §3.4.1, §3.4.4).
 * @module
 */
import * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import * as Hook from '../dsl/Hook.js'
import * as path from '../dsl/path.js'
import type { Middleware } from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Clock, Files, Logger, Run } from '../dsl/Services.js'
import type { FileError, HookServices, RunFacts } from '../dsl/Services.js'
import type { Mode, Stage } from '../dsl/Stage.js'
import type { State } from '../dsl/State.js'
import {
  array,
  boolean,
  check,
  dispatch,
  json,
  nullable,
  positiveInt,
  record,
  string,
  struct,
} from '../schema/codec.js'
import type { Json } from '../schema/codec.js'
import type { HookType } from './HookType.js'
import * as LP from './logging/LogProcessor.js'
import { pythonJson } from './logging/format.js'
import { backendsFor, decodeVisualizer, timestampSeconds } from './visualization/visBackends.js'

export interface LoggerHookArgs {
  readonly interval?: number
  readonly ignore_last?: boolean
  readonly interval_exp_name?: number
  readonly out_dir?: string | null
  readonly out_suffix?: string | ReadonlyArray<string>
  readonly keep_local?: boolean
  readonly file_client_args?: { readonly [k: string]: Json } | null
  readonly log_metric_by_epoch?: boolean
  readonly backend_args?: { readonly [k: string]: Json } | null
}

const args = check(
  struct(
    'LoggerHook arguments',
    {},
    {
      interval: positiveInt,
      ignore_last: boolean,
      interval_exp_name: positiveInt,
      out_dir: nullable(string),
      out_suffix: dispatch('a suffix or a list of suffixes', [
        [(u) => typeof u === 'string', string],
        [() => true, array(string)],
      ]),
      keep_local: boolean,
      file_client_args: nullable(record(json)),
      log_metric_by_epoch: boolean,
      backend_args: nullable(record(json)),
    },
  ),
  (a) =>
    a.file_client_args != null && a.out_dir == null
      ? 'file_client_args needs out_dir to be set'
      : a.file_client_args != null && a.backend_args != null
        ? 'file_client_args and backend_args cannot both be set'
        : undefined,
)

/** The moments LoggerHook writes something, as pure predicates (the dry run's plan uses them too). */
export const LoggerSchedule = {
  /** `Exp name: …` line after a train iteration. */
  expNameAfterTrainIter: (a: LoggerHookArgs, iter: number, batchIdx: number, trainLength: number): boolean =>
    (iter + 1) % (a.interval_exp_name ?? 1000) === 0 || batchIdx + 1 === trainLength,
  /** A train log line after this iteration. */
  lineAfterTrainIter: (a: LoggerHookArgs, batchIdx: number, trainLength: number): boolean => {
    const interval = a.interval ?? 10
    if ((batchIdx + 1) % interval === 0) return true
    return batchIdx + 1 === trainLength && (!(a.ignore_last ?? true) || trainLength <= interval)
  },
  /** A val/test log line after this iteration. */
  lineAfterEvalIter: (a: LoggerHookArgs, batchIdx: number): boolean => (batchIdx + 1) % (a.interval ?? 10) === 0,
}

export const LoggerHook: HookType<LoggerHookArgs> = {
  name: 'LoggerHook',
  defaultPriority: P.BELOW_NORMAL,
  args,
  // Log lines and visualizer scalars are made from the message hub's scalars, `eta`, and the non-scalar metrics.
  touches: (a) => ({
    before_run: { reads: [], writes: ['files'] },
    after_train_iter: { reads: ['messageHub.scalars', 'messageHub.info.eta'], writes: ['log', 'files'] },
    after_val_iter: { reads: ['messageHub.scalars', 'messageHub.info.eta'], writes: ['log'] },
    after_test_iter: { reads: ['messageHub.scalars', 'messageHub.info.eta'], writes: ['log'] },
    after_val_epoch: { reads: ['messageHub.scalars', 'messageHub.info.val/*'], writes: ['log', 'files'] },
    after_test_epoch: { reads: ['messageHub.scalars', 'messageHub.info.test/*'], writes: ['log', 'files'] },
    ...(a.out_dir == null ? {} : { after_run: { reads: [], writes: ['log', 'files'] } }),
  }),
  build: (a, site, program) => {
    const processor = LP.make((program.settings['log_processor'] ?? {}) as Partial<LP.LogProcessorConfig>)
    const hasTrainLoop = program.trainLoop !== undefined

    const view = (state: State, loaderLength: number): LP.RunView => ({
      hub: state.messageHub,
      epoch: state.counters.epoch,
      iter: state.counters.iter,
      maxEpochs: state.counters.maxEpochs,
      maxIters: state.counters.maxIters,
      loaderLength,
      hasTrainLoop,
    })
    const lengthOf = (run: RunFacts, mode: Mode): number => run.sizes[mode] ?? 0
    // The Visualizer's backends (`visualizer.vis_backends`): every scalar goes to each of them.
    const visualizer = decodeVisualizer(program.settings['visualizer'])
    if (E.isLeft(visualizer)) throw new Hook.HookDefinitionError('LoggerHook', 'visualizer', visualizer.left)
    const wallTime = (run: RunFacts) =>
      Clock.use((clock) => Effect.map(clock.now, (now) => timestampSeconds(run.timestamp) + now))

    const addScalars = (run: RunFacts, tag: { readonly [k: string]: Json }, step: number) =>
      Effect.gen(function* () {
        const t = yield* wallTime(run)
        for (const backend of backendsFor(visualizer.right, run))
          yield* backend.addScalars(tag, step, t, `${run.timestamp}.json`)
      })

    const info = (message: string) => Logger.use((logger) => logger.log('INFO', message))
    const asHookError = (stage: Stage) => (e: FileError) =>
      new Hook.HookError({ hook: 'LoggerHook', stage, message: `${e.path}: ${e.message}` })

    const afterEvalIter =
      (mode: 'val' | 'test'): Middleware<HookServices> =>
      (state, event) =>
        Effect.gen(function* () {
          const run = yield* Run
          const batchIdx = event.batchIdx ?? 0
          if (LoggerSchedule.lineAfterEvalIter(a, batchIdx))
            yield* info(LP.afterIter(processor, view(state, lengthOf(run, mode)), batchIdx, mode).line)
          return state
        })

    return Hook.make<HookServices>({
      name: 'LoggerHook',
      key: site.key,
      priority: site.priority,
      stages: {
        // MMEngine's LoggerHook acts at before_run (it names the JSON log; loopwright names it from the run's facts);
        // the runner hands the config to the visualizer when it starts (`add_config`).
        before_run: (state) =>
          Effect.gen(function* () {
            const run = yield* Run
            const t = yield* wallTime(run)
            for (const backend of backendsFor(visualizer.right, run))
              yield* Effect.mapError(backend.addConfig(t), asHookError('before_run'))
            return state
          }),
        // `out_dir`: after the run, the log folder's files with an `out_suffix` go to out_dir/<basename(work_dir)>/.
        ...(a.out_dir == null
          ? { after_run: (state: State) => Effect.succeed(state) }
          : {
              after_run: (state: State) =>
                Effect.gen(function* () {
                  const run = yield* Run
                  const files = yield* Files
                  const target = path.join(a.out_dir!, path.basename(run.workDir))
                  const suffixes =
                    a.out_suffix === undefined
                      ? ['.json', '.log', '.py', 'yaml']
                      : typeof a.out_suffix === 'string'
                        ? [a.out_suffix]
                        : [...a.out_suffix]
                  // Said first, so that the line is in the copied log (and no new local log appears after the copy).
                  yield* info(
                    `The log files with suffixes ${suffixes.join(', ')} are copied to ` +
                      `${target}${(a.keep_local ?? true) ? '' : ' and removed from the work dir'}.`,
                  )
                  yield* Effect.mapError(
                    files.copyOut(run.logDir, target, suffixes, a.keep_local ?? true),
                    asHookError('after_run'),
                  )
                  return state
                }),
            }),
        after_train_iter: (state, event) =>
          Effect.gen(function* () {
            const run = yield* Run
            const batchIdx = event.batchIdx ?? 0
            const trainLength = lengthOf(run, 'train')
            if (LoggerSchedule.expNameAfterTrainIter(a, state.counters.iter, batchIdx, trainLength))
              yield* info(`Exp name: ${run.experimentName}`)
            if (!LoggerSchedule.lineAfterTrainIter(a, batchIdx, trainLength)) return state
            const record = LP.afterIter(processor, view(state, trainLength), batchIdx, 'train')
            yield* info(record.line)
            yield* Effect.mapError(
              addScalars(run, record.tag, state.counters.iter + 1),
              asHookError('after_train_iter'),
            )
            return state
          }),
        after_val_iter: afterEvalIter('val'),
        after_test_iter: afterEvalIter('test'),
        after_val_epoch: (state) =>
          Effect.gen(function* () {
            const run = yield* Run
            const record = LP.afterEpoch(processor, view(state, lengthOf(run, 'val')), 'val')
            yield* info(record.line)
            const step = !hasTrainLoop
              ? 0
              : (a.log_metric_by_epoch ?? true)
                ? state.counters.epoch
                : state.counters.iter
            yield* Effect.mapError(addScalars(run, record.tag, step), asHookError('after_val_epoch'))
            return state
          }),
        after_test_epoch: (state) =>
          Effect.gen(function* () {
            const run = yield* Run
            const files = yield* Files
            const record = LP.afterEpoch(processor, view(state, lengthOf(run, 'test')), 'test', true)
            yield* info(record.line)
            yield* Effect.mapError(
              files.writeText(`${run.logDir}/${run.timestamp}.json`, pythonJson(record.tag)),
              asHookError('after_test_epoch'),
            )
            return state
          }),
      },
    })
  },
}
