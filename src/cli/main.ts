#!/usr/bin/env node
/**
 * The `loopwright` command.
 *
 *   loopwright train CONFIG [--work-dir DIR] [--resume [CKPT]] [--backend NAME] [--cfg-options k=v ...]
 *   loopwright dry-run CONFIG [--cfg-options k=v ...] [--dataset-size train=N,...] [--world-size N] [--json] [--trace]
 *   loopwright --version
 *
 * Problems with the input are printed as path-precise one-liners and the
 * process exits non-zero; no stack trace reaches the user.
 * @module
 */
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { formatIssue } from '../schema/codec.js'
import { load } from '../config/load.js'
import { toProgram } from '../config/toProgram.js'
import { dryRun } from '../interpreters/dry/dryRun.js'
import { svg } from '../interpreters/dry/lrSchedule.js'
import { ConfigError } from '../config/Config.js'
import { version } from '../version.js'
import { parseArgs, parseSizes } from './args.js'
import { doctor, renderDoctor } from './doctor.js'
import { choices } from '../tensor/backend.js'
import type { BackendChoice } from '../tensor/backend.js'
import { planJson, renderPlan } from './renderPlan.js'
import { planOptions } from './planOptions.js'
import { trainCommand } from './train.js'
import { defaultRegistries } from '../interpreters/registries.js'

const usage = `loopwright ${version}: MMEngine-style training runs as values

Usage:
  loopwright train CONFIG [options]     train: the config's model, data, optimizer and hooks
  loopwright dry-run CONFIG [options]   show the plan of a run without computing anything
  loopwright doctor [--backend NAME]    versions, backends, and a conformance check of one against cpu

Options:
  --cfg-options K=V [K=V ...]   override config keys (a.b=1 c=[1,2] list.0.key=x)
  --work-dir DIR                (train) where checkpoints and logs go (default work_dirs/CONFIG_NAME)
  --resume [CKPT]               (train) continue from CKPT, or from the latest checkpoint in the work dir
  --dataset-size train=N,...    dataset sizes (samples) for datasets the dry run does not know
  --config-package NAME=DIR     where package bases NAME::a/b.py live (DIR/configs/a/b.py); repeatable,
                                also LOOPWRIGHT_CONFIG_PACKAGES=NAME=DIR:NAME=DIR
  --world-size N                (dry-run) plan for N processes (DefaultSampler sharding, auto_scale_lr)
  --launcher NAME               (dry-run) none, pytorch (WORLD_SIZE), slurm (SLURM_NTASKS) or mpi (OMPI_COMM_WORLD_SIZE)
  --json                        print the plan as one JSON document
  --plot FILE.svg               also draw the lr (and momentum) schedule to an SVG file
  --trace                       include the event trace in the JSON plan
  --backend NAME                auto (default), tensorflow-gpu, webgpu, tensorflow, wasm or cpu
  --version                     print the version
`

/** Exit codes: 0 ok, 1 a run failed, 2 bad input (usage, config). */
const EXIT_BAD_INPUT = 2

const dryRunCommand = (file: string, flags: ReadonlyMap<string, ReadonlyArray<string>>): Effect.Effect<number> =>
  Effect.gen(function* () {
    let sizes = {}
    const sizeFlag = flags.get('dataset-size')
    if (sizeFlag !== undefined) {
      const parsed = parseSizes(sizeFlag.at(-1)!)
      if (parsed._tag === 'Left') {
        process.stderr.write(`${parsed.left}\n`)
        return EXIT_BAD_INPUT
      }
      sizes = parsed.right
    }
    const options = planOptions(flags)
    if (options._tag === 'Left') {
      process.stderr.write(`${options.left}\n`)
      return EXIT_BAD_INPUT
    }
    const loaded = yield* load(file, { cfgOptions: flags.get('cfg-options') ?? [], packages: options.right.packages, registries: defaultRegistries })
    const program = toProgram(loaded.config)
    const plan = yield* dryRun(program, {
      datasetSizes: sizes,
      configName: nodePath.basename(file, nodePath.extname(file)),
      configText: JSON.stringify(loaded.raw, null, 2),
      configWarnings: loaded.warnings,
      worldSize: options.right.worldSize,
      variables: loaded.variables,
    })
    const plotFile = flags.get('plot')?.at(-1)
    if (plotFile !== undefined) {
      if (plan.schedule === undefined) {
        process.stderr.write(`--plot: this config has no schedule to plot (one optimizer wrapper, a train loop and param_scheduler are needed)\n`)
        return EXIT_BAD_INPUT
      }
      yield* Effect.tryPromise({ try: () => import('node:fs/promises').then((fs) => fs.writeFile(plotFile, svg(plan.schedule!))), catch: (e) => new ConfigError({ file: plotFile, issues: [{ path: '', message: `cannot write the plot: ${(e as Error).message}` }] }) })
    }
    if (flags.has('json')) process.stdout.write(`${JSON.stringify(planJson(plan, file, flags.has('trace')), null, 2)}\n`)
    else {
      process.stdout.write(`${renderPlan(plan, file)}\n`)
    }
    return 0
  }).pipe(
    Effect.catchTags({
      ConfigError: (e) => Effect.sync(() => (process.stderr.write(`${e.message}\n`), EXIT_BAD_INPUT)),
      DryRunError: (e) =>
        Effect.sync(() => (process.stderr.write(`${e.issues.map((i) => `${file}: ${formatIssue(i)}`).join('\n')}\n`), EXIT_BAD_INPUT)),
    }),
  )

/** Run the CLI with these arguments; resolves to the exit code. */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const parsed = parseArgs(argv)
  if (parsed._tag === 'Left') {
    process.stderr.write(`${parsed.left}\n\n${usage}`)
    return EXIT_BAD_INPUT
  }
  const { command, positionals, flags } = parsed.right
  if (flags.has('version')) {
    process.stdout.write(`${version}\n`)
    return 0
  }
  if (command === undefined || flags.has('help') || command === 'help') {
    process.stdout.write(usage)
    return command === undefined && !flags.has('help') ? EXIT_BAD_INPUT : 0
  }
  if (command === 'train') {
    const file = positionals[0]
    if (file === undefined || positionals.length > 1) {
      process.stderr.write(`train: expected one CONFIG file\n\n${usage}`)
      return EXIT_BAD_INPUT
    }
    const backend = flags.get('backend')?.at(-1) ?? 'auto'
    if (!(choices as ReadonlyArray<string>).includes(backend)) {
      process.stderr.write(`--backend: expected one of ${choices.join(', ')}, got ${JSON.stringify(backend)}\n`)
      return EXIT_BAD_INPUT
    }
    const resume = flags.get('resume')
    const workDir = flags.get('work-dir')?.at(-1)
    return Effect.runPromise(
      trainCommand(file, {
        backend: backend as BackendChoice,
        cfgOptions: flags.get('cfg-options') ?? [],
        ...(workDir === undefined ? {} : { workDir }),
        ...(resume === undefined ? {} : { resume: resume.at(-1) ?? 'auto' }),
      }),
    )
  }
  if (command === 'dry-run') {
    const file = positionals[0]
    if (file === undefined || positionals.length > 1) {
      process.stderr.write(`dry-run: expected one CONFIG file\n\n${usage}`)
      return EXIT_BAD_INPUT
    }
    return Effect.runPromise(dryRunCommand(file, flags))
  }
  if (command === 'doctor') {
    const requested = flags.get('backend')?.at(-1) ?? 'auto'
    if (!(choices as ReadonlyArray<string>).includes(requested)) {
      process.stderr.write(`--backend: expected one of ${choices.join(', ')}, got ${JSON.stringify(requested)}\n`)
      return EXIT_BAD_INPUT
    }
    return Effect.runPromise(
      doctor(requested as BackendChoice).pipe(
        Effect.map((report) => {
          process.stdout.write(flags.has('json') ? `${JSON.stringify({ ...report, checks: report.checks.map((c) => ({ ...c, maxAbsDiff: Number.isNaN(c.maxAbsDiff) ? null : c.maxAbsDiff })) }, null, 2)}\n` : `${renderDoctor(report)}\n`)
          return report.checks.every((c) => c.ok) ? 0 : 1
        }),
        Effect.catchTag('BackendError', (e) => Effect.sync(() => (process.stderr.write(`${e.message}\n`), EXIT_BAD_INPUT))),
      ),
    )
  }
  process.stderr.write(`unknown command '${command}'\n\n${usage}`)
  return EXIT_BAD_INPUT
}

// Run only when executed directly, not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      // A defect in loopwright itself, not bad input: say so briefly.
      process.stderr.write(`loopwright: internal error: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 70
    },
  )
}
