/**
 * `loopwright train CONFIG`: load the config, pick a backend, train, and
 * summarise. On a terminal a progress line (iteration, ETA, loss, lr) stays
 * under the log; otherwise only MMEngine-style log lines are printed.
 * @module
 */
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { formatIssue } from '../schema/codec.js'
import { load } from '../config/load.js'
import { toProgram } from '../config/toProgram.js'
import type { LogLevel } from '../dsl/Services.js'
import * as Hub from '../dsl/MessageHub.js'
import { train } from '../interpreters/tensor/train.js'
import type { TrainResult } from '../interpreters/tensor/train.js'
import { describe, selectBackend } from '../tensor/backend.js'
import type { BackendChoice } from '../tensor/backend.js'
import { defaultRegistries } from '../interpreters/registries.js'
import { consoleStream, logLine } from '../interpreters/logLine.js'

export interface TrainFlags {
  readonly workDir?: string
  readonly resume?: string | 'auto'
  readonly backend: BackendChoice
  readonly cfgOptions: ReadonlyArray<string>
}

const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds))
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

/** A one-line progress display for terminals. */
const progressLine = (done: number, total: number, elapsed: number, loss: number | undefined, lr: number | undefined, width: number): string => {
  const fraction = total === 0 ? 1 : done / total
  const barWidth = Math.max(10, Math.min(30, width - 70))
  const filled = Math.round(fraction * barWidth)
  const eta = done === 0 ? 0 : (elapsed / done) * (total - done)
  const parts = [`[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`, `${done}/${total}`, `eta ${clock(eta)}`]
  if (loss !== undefined) parts.push(`loss ${loss.toFixed(4)}`)
  if (lr !== undefined) parts.push(`lr ${lr.toExponential(3)}`)
  return parts.join('  ').slice(0, width - 1)
}

const summary = (result: TrainResult): string => {
  const lines = [
    result.interrupted === undefined
      ? `Trained ${result.iterations} iterations (${result.epochs} epochs) in ${clock(result.seconds)}.`
      : `Stopped by ${result.interrupted} after ${result.iterations} iterations (${clock(result.seconds)}); resume with: loopwright train CONFIG --resume`,
  ]
  const last = (mode: 'val' | 'test') => result.evaluations.filter((e) => e.mode === mode).at(-1)
  const show = (metrics: { readonly [k: string]: unknown }) => Object.entries(metrics).map(([k, v]) => `${k}: ${typeof v === 'number' ? v.toFixed(4) : JSON.stringify(v)}`).join('  ')
  const val = last('val')
  if (val !== undefined) lines.push(`Last validation (epoch ${val.epoch}, iter ${val.iter}): ${show(val.metrics)}`)
  const test = last('test')
  if (test !== undefined) lines.push(`Test: ${show(test.metrics)}`)
  if (result.checkpoints.length > 0) lines.push(`Checkpoints: ${nodePath.dirname(result.checkpoints.at(-1)!)} (last: ${nodePath.basename(result.checkpoints.at(-1)!)})`)
  lines.push(`Logs: ${result.logDir}`)
  return lines.join('\n')
}

/** Run the command; resolves to the exit code (0, 1 when training failed, 2 for bad input). */
export const trainCommand = (file: string, flags: TrainFlags): Effect.Effect<number> =>
  Effect.gen(function* () {
    const loaded = yield* load(file, { cfgOptions: flags.cfgOptions, registries: defaultRegistries })
    const program = toProgram(loaded.config)
    const backend = yield* selectBackend(flags.backend)
    const tty = process.stdout.isTTY === true
    let status = ''
    const print = (level: LogLevel, message: string): void => {
      if (tty && status !== '') process.stdout.write('\r\x1b[K')
      consoleStream(level).write(logLine(level, message, new Date()))
      if (tty && status !== '') process.stdout.write(status)
    }
    print('INFO', `backend: ${describe(backend)}`)
    // The first SIGINT/SIGTERM stops at the next iteration boundary with a resumable checkpoint;
    // a second one exits at once (every file is written atomically, so nothing is left half-written).
    let signal: 'SIGINT' | 'SIGTERM' | undefined
    const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
      if (signal !== undefined) process.exit(name === 'SIGINT' ? 130 : 143)
      signal = name
      print('WARNING', `${name} received: stopping after this iteration and saving a checkpoint (send it again to exit at once)`)
    }
    const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') } as const
    process.on('SIGINT', handlers.SIGINT)
    process.on('SIGTERM', handlers.SIGTERM)
    const started = performance.now()
    const result = yield* Effect.ensuring(train(program, {
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
              status = progressLine(state.counters.iter + 1, state.counters.maxIters, (performance.now() - started) / 1000, loss, lr, process.stdout.columns ?? 100)
              process.stdout.write(`\r\x1b[K${status}`)
            },
          }
        : {}),
    }), Effect.sync(() => {
      process.off('SIGINT', handlers.SIGINT)
      process.off('SIGTERM', handlers.SIGTERM)
    }))
    if (tty && status !== '') process.stdout.write('\r\x1b[K')
    process.stdout.write(`${summary(result)}\n`)
    return result.interrupted === 'SIGINT' ? 130 : result.interrupted === 'SIGTERM' ? 143 : 0
  }).pipe(
    Effect.catchTags({
      ConfigError: (e) => Effect.sync(() => (process.stderr.write(`${e.message}\n`), 2)),
      BackendError: (e) => Effect.sync(() => (process.stderr.write(`${e.message}\n`), 2)),
      // A run that could not start is bad input (2); one that failed while running is 1.
      TrainError: (e) => Effect.sync(() => (process.stderr.write(`\n${e.issues.map((i) => `${file}: ${formatIssue(i)}`).join('\n')}\n`), e.during === 'run' ? 1 : 2)),
    }),
  )
