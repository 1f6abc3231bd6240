/**
 * Command-line parsing for `loopwright`: a command, positional arguments and
 * `--flag value` options, with `--cfg-options a=1 b=2` taking every value up
 * to the next flag (as MMEngine's tools do).
 *
 * Each command declares the flags it accepts; anything else is an error with
 * a did-you-mean, so a typo (`--cfg-option`, `--work_dir`) never passes unnoticed.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { closest } from '../schema/didYouMean.js'

/** How a flag takes values. */
export type Arity =
  | 'switch' // no value
  | 'one' // exactly one value
  | 'optional' // a value, or none (`--resume` alone means "the latest checkpoint")
  | 'many' // every following value up to the next flag

export interface FlagSpec {
  readonly arity: Arity
  /** The accepted values, when the flag is a choice. */
  readonly choices?: ReadonlyArray<string>
}

/** The commands and the flags each accepts (besides `--help` and `--version`). */
export const commands = {
  train: {
    'cfg-options': { arity: 'many' },
    'work-dir': { arity: 'one' },
    resume: { arity: 'optional' },
    backend: { arity: 'one' },
    // MMEngine's tools/train.py flags.
    amp: { arity: 'switch' },
    'auto-scale-lr': { arity: 'switch' },
    // none: one process; threads: --workers N on this machine; mpi: this process is one rank of an mpirun job.
    launcher: { arity: 'one', choices: ['none', 'threads', 'pytorch', 'slurm', 'mpi'] },
    workers: { arity: 'one' },
  },
  // MMEngine's tools/test.py: the test loop with a checkpoint's weights.
  test: {
    checkpoint: { arity: 'one' },
    'cfg-options': { arity: 'many' },
    'work-dir': { arity: 'one' },
    backend: { arity: 'one' },
    json: { arity: 'switch' },
  },
  'dry-run': {
    'cfg-options': { arity: 'many' },
    'dataset-size': { arity: 'one' },
    json: { arity: 'switch' },
    plot: { arity: 'one' },
    trace: { arity: 'switch' },
    'config-package': { arity: 'one' },
    'world-size': { arity: 'one' },
    launcher: { arity: 'one', choices: ['none', 'pytorch', 'slurm', 'mpi'] },
  },
  doctor: {
    backend: { arity: 'one' },
    json: { arity: 'switch' },
  },
  help: {},
} as const satisfies { readonly [command: string]: { readonly [flag: string]: FlagSpec } }

export type Command = keyof typeof commands

const global: { readonly [flag: string]: FlagSpec } = { help: { arity: 'switch' }, version: { arity: 'switch' } }

export interface Parsed {
  readonly command: Command | undefined
  readonly positionals: ReadonlyArray<string>
  readonly flags: ReadonlyMap<string, ReadonlyArray<string>>
}

const suggestion = (name: string | undefined): string => (name === undefined ? '' : ` (did you mean ${name}?)`)

const isCommand = (name: string): name is Command => Object.hasOwn(commands, name)

/**
 * Parse `argv` (without `node` and the script). The command comes first;
 * flags are checked against the command's own list.
 *
 * @example
 * ```ts
 * parseArgs(['train', 'a.py', '--cfg-option', 'x=1'])
 * // Left("unknown option --cfg-option for 'train' (did you mean --cfg-options?)")
 * ```
 */
export const parseArgs = (argv: ReadonlyArray<string>): E.Either<string, Parsed> => {
  const positionals: string[] = []
  const flags = new Map<string, string[]>()
  const first = argv.findIndex((a) => !a.startsWith('-'))
  const commandName = first === -1 ? undefined : argv[first]!
  if (commandName !== undefined && !isCommand(commandName)) {
    return E.left(`unknown command '${commandName}'${suggestion(closest(commandName, Object.keys(commands)))}`)
  }
  const command = commandName as Command | undefined
  const own: { readonly [flag: string]: FlagSpec } = command === undefined ? {} : commands[command]
  const accepted: { readonly [flag: string]: FlagSpec } = { ...global, ...own }
  const startsFlag = (arg: string | undefined): boolean => arg?.startsWith('-') === true && arg !== '-'
  for (let i = 0; i < argv.length; i++) {
    if (i === first) continue
    const arg = argv[i]!
    if (arg === '-h') {
      flags.set('help', [])
      continue
    }
    if (!startsFlag(arg)) {
      positionals.push(arg)
      continue
    }
    const [name, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined]
    const spec = Object.hasOwn(accepted, name) ? accepted[name]! : undefined
    if (spec === undefined) {
      const where = command === undefined ? '' : ` for '${command}'`
      const near = closest(name.replaceAll('_', '-'), Object.keys(accepted)) ?? closest(name, Object.keys(accepted))
      const hint = suggestion(near === undefined ? undefined : `--${near}`)
      return E.left(`unknown option ${arg.split('=')[0]}${where}${hint}`)
    }
    const values = flags.get(name) ?? []
    if (spec.arity === 'switch') {
      if (inline !== undefined) return E.left(`--${name} takes no value, got ${JSON.stringify(inline)}`)
    } else if (inline !== undefined) values.push(inline)
    else if (spec.arity === 'many') {
      while (i + 1 < argv.length && !startsFlag(argv[i + 1])) values.push(argv[++i]!)
      if (values.length === 0) return E.left(`--${name} needs at least one value`)
    } else if (spec.arity === 'optional') {
      // `--resume CONFIG` is ambiguous only when the config comes after it; a value ending in a config
      // suffix is taken as the config, as `train --resume cfg.py` means in MMEngine's tools.
      const next = argv[i + 1]
      const isConfig = next !== undefined && /\.(py|json|ya?ml|[cm]?[jt]s)$/.test(next)
      if (next !== undefined && !startsFlag(next) && !isConfig) values.push(argv[++i]!)
    } else {
      const next = argv[i + 1]
      if (next === undefined || startsFlag(next)) return E.left(`--${name} needs a value`)
      values.push(next)
      i++
    }
    if (spec.choices !== undefined && values.some((v) => !spec.choices!.includes(v))) {
      const bad = values.find((v) => !spec.choices!.includes(v))!
      return E.left(`--${name}: expected one of ${spec.choices.join(', ')}, got ${JSON.stringify(bad)}`)
    }
    flags.set(name, values)
  }
  return E.right({ command, positionals, flags })
}

/** `train=60000,val=10000` → `{ train: 60000, val: 10000 }`. */
export const parseSizes = (text: string): E.Either<string, { train?: number; val?: number; test?: number }> => {
  const sizes: { train?: number; val?: number; test?: number } = {}
  for (const part of text.split(',')) {
    const [key, value] = part.split('=')
    if ((key !== 'train' && key !== 'val' && key !== 'test') || value === undefined || !/^\d+$/.test(value)) {
      return E.left(`--dataset-size: expected train=N,val=N,test=N (sample counts), got ${JSON.stringify(part)}`)
    }
    sizes[key] = Number(value)
  }
  return E.right(sizes)
}
