/**
 * `loopwright test CONFIG --checkpoint PATH`: MMEngine's `tools/test.py`. The config's test loop scores the model
 * with the checkpoint's weights (its `load_from`; a checkpoint holding more than the model, such as a pretraining
 * run's neck and head read by a kNN extractor, has the rest left out and named). Without `--checkpoint` the config's
 * own `load_from` or `init_cfg` decide the weights, or the seeded initialisation does: the random-init baseline of
 * MMSelfSup's benchmarks. Nothing is trained and no checkpoint is written; the logs go to the work dir.
 * @module
 */
import * as nodePath from 'node:path'
import * as Effect from 'effect/Effect'
import { formatIssue } from '../schema/codec.js'
import { load } from '../config/load.js'
import { toProgram } from '../config/toProgram.js'
import type { Json } from '../dsl/MessageHub.js'
import type { LogLevel } from '../dsl/Services.js'
import { test } from '../interpreters/tensor/test.js'
import { describe, selectBackend } from '../tensor/backend.js'
import type { BackendChoice } from '../tensor/backend.js'
import { defaultRegistries } from '../interpreters/registries.js'
import { consoleStream, logLine } from '../interpreters/logLine.js'
import { EXIT_BAD_INPUT, EXIT_RUN_FAILED } from './exitCodes.js'
import { withInstallHint } from './installHint.js'

export interface TestFlags {
  readonly checkpoint?: string
  readonly workDir?: string
  readonly backend: BackendChoice
  readonly cfgOptions: ReadonlyArray<string>
  /** Print the metrics as one JSON document on stdout (the log lines go to stderr). */
  readonly json?: boolean
}

/** The closing line: the test metrics, as the train command's summary shows them. */
export const testSummary = (metrics: { readonly [name: string]: Json }): string =>
  `Test: ${Object.entries(metrics)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? v.toFixed(4) : JSON.stringify(v)}`)
    .join('  ')}`

/** Run the command; resolves to the exit code (0, 1 when the test failed while running, 2 for bad input). */
export const testCommand = (file: string, flags: TestFlags): Effect.Effect<number> =>
  Effect.gen(function* () {
    const loaded = yield* load(file, { cfgOptions: flags.cfgOptions, registries: defaultRegistries })
    const program = toProgram(loaded.config)
    const backend = yield* selectBackend(flags.backend)
    // With --json, stdout carries only the document.
    const print = (level: LogLevel, message: string): void => {
      const stream = flags.json === true ? process.stderr : consoleStream(level)
      stream.write(logLine(level, message, new Date()))
    }
    print('INFO', `backend: ${describe(backend)}`)
    if (flags.checkpoint === undefined && program.loadFrom === undefined)
      print('INFO', 'no --checkpoint and no load_from: testing the model as initialised (its init_cfg, if any)')
    const name = nodePath.basename(file, nodePath.extname(file))
    const result = yield* test(program, flags.checkpoint, {
      configName: name,
      configText: JSON.stringify(loaded.raw, null, 2),
      ...(flags.workDir === undefined ? {} : { workDir: flags.workDir }),
      print,
    })
    const metrics = result.evaluations.filter((e) => e.mode === 'test').at(-1)?.metrics ?? {}
    const document = { config: file, checkpoint: flags.checkpoint ?? null, metrics, seconds: result.seconds }
    process.stdout.write(
      flags.json === true ? `${JSON.stringify(document)}\n` : `${testSummary(metrics)}\nLogs: ${result.logDir}\n`,
    )
    return 0
  }).pipe(
    Effect.catchTags({
      ConfigError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${e.message}\n`)
          return EXIT_BAD_INPUT
        }),
      BackendError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${withInstallHint(e.backend, e.message)}\n`)
          return EXIT_BAD_INPUT
        }),
      TrainError: (e) =>
        Effect.sync(() => {
          process.stderr.write(`${e.issues.map((i) => `${file}: ${formatIssue(i)}`).join('\n')}\n`)
          return e.during === 'run' ? EXIT_RUN_FAILED : EXIT_BAD_INPUT
        }),
    }),
  )
