#!/usr/bin/env node
/**
 * The `loopwright` command.
 *
 *   loopwright train CONFIG [--work-dir DIR] [--resume [CKPT]] [--backend NAME] [--workers N] [--launcher NAME]
 *     [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
 *   loopwright test CONFIG [--checkpoint CKPT] [--work-dir DIR] [--backend NAME] [--json] [--cfg-options k=v ...]
 *   loopwright dry-run CONFIG [--cfg-options k=v ...] [--dataset-size train=N,...] [--config-package NAME=DIR]
 *     [--world-size N] [--launcher NAME] [--json] [--trace] [--plot FILE.svg]
 *   loopwright doctor [--backend NAME] [--json]
 *   loopwright --version
 *
 * Problems with the input are printed as path-precise one-liners and the
 * process exits non-zero; no stack trace reaches the user. The installed
 * `bin` is `bin.ts`, which always runs; this module runs itself only when it
 * is the script node was given (`node dist/cli/main.js …`).
 * @module
 */
import * as fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as Effect from 'effect/Effect'
import { version } from '../version.js'
import type { BackendChoice } from '../tensor/backend.js'
import { parseArgs } from './args.js'
import { EXIT_BAD_INPUT, EXIT_INTERNAL } from './exitCodes.js'
import { withInstallHint } from './installHint.js'
import { internalError } from './runMain.js'
import { resolveLaunch } from '../interpreters/collective/launcher.js'

const usage = `loopwright ${version}: MMEngine-style training runs as values

Usage:
  loopwright train CONFIG [options]     train: the config's model, data, optimizer and hooks
  loopwright test CONFIG [options]      test: the config's test loop with a checkpoint's weights
  loopwright dry-run CONFIG [options]   show the plan of a run without computing anything
  loopwright doctor [--backend NAME]    versions, backends, and a conformance check of one against cpu

Options of train (MMEngine's tools/train.py flags):
  --work-dir DIR                where checkpoints and logs go (default work_dirs/CONFIG_NAME)
  --resume [CKPT]               continue from CKPT, or from the latest checkpoint in the work dir
  --amp                         mixed precision: optim_wrapper.type=AmpOptimWrapper, loss_scale=dynamic
  --auto-scale-lr               scale the lr by batch size / auto_scale_lr.base_batch_size
  --launcher NAME               none (default): one process; threads: --workers N on this machine;
                                mpi: this process is one rank of an mpirun job
  --workers N                   data parallel on N worker threads of this machine
  --backend NAME                auto (default), tensorflow-gpu, webgpu, tensorflow, wasm or cpu
  --cfg-options K=V [K=V ...]   override config keys (a.b=1 c=[1,2] list.0.key=x)
Options of test (MMEngine's tools/test.py):
  --checkpoint CKPT             the weights to test (load_from); without it, the config's load_from or init_cfg,
                                else the model as initialised (the random-init baseline)
  --work-dir DIR                where the logs go (default work_dirs/CONFIG_NAME)
  --backend NAME                as for train
  --json                        print the metrics as one JSON document (logs go to stderr)
  --cfg-options K=V [K=V ...]   as for train
Options of dry-run:
  --cfg-options K=V [K=V ...]   as for train
  --dataset-size train=N,...    dataset sizes (samples) for datasets the dry run does not know
  --config-package NAME=DIR     where package bases NAME::a/b.py live (DIR/configs/a/b.py); repeatable,
                                also LOOPWRIGHT_CONFIG_PACKAGES=NAME=DIR:NAME=DIR
  --world-size N                plan for N processes (DefaultSampler sharding, auto_scale_lr)
  --launcher NAME               none, pytorch (WORLD_SIZE), slurm (SLURM_NTASKS) or mpi (OMPI_COMM_WORLD_SIZE)
  --json                        print the plan as one JSON document
  --trace                       include the event trace in the JSON plan
  --plot FILE.svg               also draw the lr (and momentum) schedule to an SVG file
Options of doctor:
  --backend NAME                the backend to check against cpu (default: the one auto picks)
  --json                        print the report as JSON
  --version                     print the version
`

/** The backend a `--backend` value names, or a usage error; loads the tensor modules (train and doctor only). */
const backendFlag = async (name: string): Promise<BackendChoice | undefined> => {
  const { choices } = await import('../tensor/backend.js')
  if ((choices as ReadonlyArray<string>).includes(name)) return name as BackendChoice
  process.stderr.write(`--backend: expected one of ${choices.join(', ')}, got ${JSON.stringify(name)}\n`)
  return undefined
}

/** One CONFIG positional, or a usage error. */
const configFile = (command: string, positionals: ReadonlyArray<string>): string | undefined => {
  if (positionals.length === 1) return positionals[0]
  const got = positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(', ')
  process.stderr.write(`${command}: expected one CONFIG file, got ${got}\n\n${usage}`)
  return undefined
}

/**
 * MMEngine's `tools/train.py` switches, as the `--cfg-options` they stand for
 * (appended last, so they win, as there).
 */
const trainSwitches = (flags: ReadonlyMap<string, ReadonlyArray<string>>): ReadonlyArray<string> => [
  ...(flags.has('amp') ? ['optim_wrapper.type=AmpOptimWrapper', 'optim_wrapper.loss_scale=dynamic'] : []),
  ...(flags.has('auto-scale-lr') ? ['auto_scale_lr.enable=True'] : []),
]

/** Run the CLI with these arguments; resolves to the exit code. */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const parsed = parseArgs(argv)
  if (parsed._tag === 'Left') {
    process.stderr.write(`loopwright: ${parsed.left}\nRun 'loopwright --help' for the commands and their options.\n`)
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
    const file = configFile('train', positionals)
    if (file === undefined) return EXIT_BAD_INPUT
    const backend = await backendFlag(flags.get('backend')?.at(-1) ?? 'auto')
    if (backend === undefined) return EXIT_BAD_INPUT
    const resume = flags.get('resume')
    const workDir = flags.get('work-dir')?.at(-1)
    const launch = resolveLaunch(flags.get('launcher')?.at(-1), flags.get('workers')?.at(-1))
    if (launch._tag === 'Left') {
      process.stderr.write(`${launch.left}\n`)
      return EXIT_BAD_INPUT
    }
    // Each command loads its own modules: a dry run never loads the tensor interpreter or the collective.
    const { trainCommand } = await import('./train.js')
    return Effect.runPromise(
      trainCommand(file, {
        launch: launch.right,
        backend,
        cfgOptions: [...(flags.get('cfg-options') ?? []), ...trainSwitches(flags)],
        ...(workDir === undefined ? {} : { workDir }),
        ...(resume === undefined ? {} : { resume: resume.at(-1) ?? 'auto' }),
      }),
    )
  }
  if (command === 'test') {
    const file = configFile('test', positionals)
    if (file === undefined) return EXIT_BAD_INPUT
    const backend = await backendFlag(flags.get('backend')?.at(-1) ?? 'auto')
    if (backend === undefined) return EXIT_BAD_INPUT
    const checkpoint = flags.get('checkpoint')?.at(-1)
    const workDir = flags.get('work-dir')?.at(-1)
    const { testCommand } = await import('./test.js')
    return Effect.runPromise(
      testCommand(file, {
        backend,
        cfgOptions: flags.get('cfg-options') ?? [],
        json: flags.has('json'),
        ...(checkpoint === undefined ? {} : { checkpoint }),
        ...(workDir === undefined ? {} : { workDir }),
      }),
    )
  }
  if (command === 'dry-run') {
    const file = configFile('dry-run', positionals)
    if (file === undefined) return EXIT_BAD_INPUT
    const { dryRunCommand } = await import('./dryRun.js')
    return Effect.runPromise(dryRunCommand(file, flags))
  }
  // doctor
  if (positionals.length > 0) {
    process.stderr.write(`doctor: takes no arguments, got ${positionals.map((p) => JSON.stringify(p)).join(', ')}\n`)
    return EXIT_BAD_INPUT
  }
  const requested = await backendFlag(flags.get('backend')?.at(-1) ?? 'auto')
  if (requested === undefined) return EXIT_BAD_INPUT
  const { doctor, renderDoctor } = await import('./doctor.js')
  return Effect.runPromise(
    doctor(requested).pipe(
      Effect.map((report) => {
        const json = {
          ...report,
          checks: report.checks.map((c) => ({ ...c, maxAbsDiff: Number.isNaN(c.maxAbsDiff) ? null : c.maxAbsDiff })),
        }
        process.stdout.write(flags.has('json') ? `${JSON.stringify(json, null, 2)}\n` : `${renderDoctor(report)}\n`)
        return report.checks.every((c) => c.ok) ? 0 : 1
      }),
      Effect.catchTag('BackendError', (e) =>
        Effect.sync(() => {
          process.stderr.write(`${withInstallHint(e.backend, e.message)}\n`)
          return EXIT_BAD_INPUT
        }),
      ),
    ),
  )
}

/** Run the CLI as the process: set the exit code; a defect prints one line, never a stack trace. */
export const runAsProcess = (argv: ReadonlyArray<string>): Promise<void> => {
  // `loopwright dry-run … | head`: the reader left; stop quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(0)
  })
  return main(argv).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`${internalError(error)}\n`)
      process.exitCode = EXIT_INTERNAL
    },
  )
}

/** Is this module the script node was started with? Symlinks resolved (npx, `.bin/`, `npm link`). */
const isEntryPoint = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) await runAsProcess(process.argv.slice(2))
