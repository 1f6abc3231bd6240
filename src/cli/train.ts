/**
 * `loopwright train CONFIG`: load the config, pick a backend, train, and
 * summarise. On a terminal a progress line (iteration, ETA, this iteration's
 * loss, lr) stays under the log; otherwise only MMEngine-style log lines are
 * printed.
 * @module
 */
import { availableParallelism } from 'node:os'
import * as nodePath from 'node:path'
import * as Effect from 'effect/Effect'
import { formatIssue } from '../schema/codec.js'
import { load } from '../config/load.js'
import { toProgram } from '../config/toProgram.js'
import type { LogLevel } from '../dsl/Services.js'
import * as Hub from '../dsl/MessageHub.js'
import { type Launch, mpiRankFromEnvironment } from '../interpreters/collective/launcher.js'
import { coreSharingWarning, sampleRunnable } from '../interpreters/collective/coreSharing.js'
import { trainLaunched } from '../interpreters/collective/trainLaunched.js'
import type { WorkerResult } from '../interpreters/collective/threadJob.js'
import { describe, selectBackend } from '../tensor/backend.js'
import type { BackendChoice } from '../tensor/backend.js'
import { defaultRegistries } from '../interpreters/registries.js'
import { consoleStream, logLine } from '../interpreters/logLine.js'
import { withInstallHint } from './installHint.js'
import { clock, progressLine } from './progress.js'

export interface TrainFlags {
  readonly workDir?: string
  readonly resume?: string | 'auto'
  readonly backend: BackendChoice
  readonly cfgOptions: ReadonlyArray<string>
  /** One process (default), worker threads, or one rank of an MPI job. */
  readonly launch?: Launch
}

/** The closing summary: this run's iterations, and the total when it resumed an earlier run. */
export const summary = (result: WorkerResult): string => {
  const here = result.iterations - result.startIteration
  const span =
    result.startIteration === 0
      ? `${here} iterations (${result.epochs} epochs)`
      : `${here} iterations in this run (resumed at iteration ${result.startIteration}; ` +
        `${result.iterations} in total, ` +
        `${result.epochs} epochs)`
  const lines = [
    result.interrupted === undefined
      ? `Trained ${span} in ${clock(result.seconds)}.`
      : `Stopped by ${result.interrupted} after ${span} (${clock(result.seconds)}); ` +
        'resume with: loopwright train CONFIG --resume',
  ]
  const last = (mode: 'val' | 'test') => result.evaluations.filter((e) => e.mode === mode).at(-1)
  const show = (metrics: { readonly [k: string]: unknown }) =>
    Object.entries(metrics)
      .map(([k, v]) => `${k}: ${typeof v === 'number' ? v.toFixed(4) : JSON.stringify(v)}`)
      .join('  ')
  const val = last('val')
  if (val !== undefined) lines.push(`Last validation (epoch ${val.epoch}, iter ${val.iter}): ${show(val.metrics)}`)
  const test = last('test')
  if (test !== undefined) lines.push(`Test: ${show(test.metrics)}`)
  if (result.checkpoints.length > 0)
    lines.push(
      `Checkpoints: ${nodePath.dirname(result.checkpoints.at(-1)!)} (last: ` +
        `${nodePath.basename(result.checkpoints.at(-1)!)})`,
    )
  lines.push(`Logs: ${result.logDir}`)
  return lines.join('\n')
}

/** Run the command; resolves to the exit code (0, 1 when training failed, 2 for bad input). */
export const trainCommand = (file: string, flags: TrainFlags): Effect.Effect<number> =>
  Effect.gen(function* () {
    const loaded = yield* load(file, { cfgOptions: flags.cfgOptions, registries: defaultRegistries })
    const program = toProgram(loaded.config)
    const backend = yield* selectBackend(flags.backend)
    // Under mpirun every rank runs this command and mpirun forwards their output: rank 0 speaks for the job, as
    // MMEngine's logger, and no progress line is drawn (the terminal is mpirun's, shared by every rank).
    const underMpi = flags.launch?._tag === 'Mpi'
    const speaks = !underMpi || (mpiRankFromEnvironment(process.env) ?? 0) === 0
    const tty = process.stdout.isTTY === true && !underMpi
    let status = ''
    const print = (level: LogLevel, message: string): void => {
      if (tty && status !== '') process.stdout.write('\r\x1b[K')
      consoleStream(level).write(logLine(level, message, new Date()))
      if (tty && status !== '') process.stdout.write(status)
    }
    if (speaks) print('INFO', `backend: ${describe(backend)}`)
    if (flags.launch?._tag === 'Threads') {
      const runnable = sampleRunnable()
      const warning = runnable && coreSharingWarning(flags.launch.workers, availableParallelism(), runnable)
      if (warning) print('WARNING', warning)
    }
    // The first SIGINT/SIGTERM stops at the next iteration boundary with a resumable checkpoint;
    // a second one exits at once (every file is written atomically, so nothing is left half-written).
    let signal: 'SIGINT' | 'SIGTERM' | undefined
    const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
      if (signal !== undefined) process.exit(name === 'SIGINT' ? 130 : 143)
      signal = name
      print(
        'WARNING',
        `${name} received: stopping after this iteration and saving a checkpoint (send it again to exit at once)`,
      )
    }
    const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') } as const
    process.on('SIGINT', handlers.SIGINT)
    process.on('SIGTERM', handlers.SIGTERM)
    const started = performance.now()
    let startedAt: number | undefined
    const result = yield* Effect.ensuring(
      trainLaunched(
        program,
        flags.launch ?? { _tag: 'OneProcess' },
        {
          configName: nodePath.basename(file, nodePath.extname(file)),
          configText: JSON.stringify(loaded.raw, null, 2),
          ...(flags.workDir === undefined ? {} : { workDir: flags.workDir }),
          ...(flags.resume === undefined ? {} : { resume: flags.resume }),
          print,
          interrupt: () => signal,
          ...(tty
            ? {
                afterTrainStep: (state) => {
                  const loss = state.outputs['loss']
                  const lr = Hub.current(state.messageHub, 'train/lr')
                  startedAt ??= state.counters.iter
                  const progress = {
                    done: state.counters.iter + 1,
                    total: state.counters.maxIters,
                    startedAt,
                    elapsed: (performance.now() - started) / 1000,
                    loss,
                    lr,
                  }
                  status = progressLine(progress, process.stdout.columns)
                  process.stdout.write(`\r\x1b[K${status}`)
                },
              }
            : {}),
        },
        flags.backend,
      ),
      Effect.sync(() => {
        process.off('SIGINT', handlers.SIGINT)
        process.off('SIGTERM', handlers.SIGTERM)
      }),
    )
    if (tty && status !== '') process.stdout.write('\r\x1b[K')
    // Under mpirun every rank runs this command; rank 0 speaks for the run.
    if (result.rank === 0) process.stdout.write(`${summary(result)}\n`)
    return result.interrupted === 'SIGINT' ? 130 : result.interrupted === 'SIGTERM' ? 143 : 0
  }).pipe(
    Effect.catchTags({
      ConfigError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${e.message}\n`)
          return 2
        }),
      BackendError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${withInstallHint(e.backend, e.message)}\n`)
          return 2
        }),
      // A run that could not start is bad input (2); one that failed while running is 1.
      TrainError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`\n${e.issues.map((i) => `${file}: ${formatIssue(i)}`).join('\n')}\n`)
          return e.during === 'run' ? 1 : 2
        }),
    }),
  )
