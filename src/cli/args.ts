/**
 * Command-line parsing for `loopwright`: a command, positional arguments and
 * `--flag value` options, with `--cfg-options a=1 b=2` taking every value up
 * to the next flag (as MMEngine's tools do).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'

export interface Parsed {
  readonly command: string | undefined
  readonly positionals: ReadonlyArray<string>
  readonly flags: ReadonlyMap<string, ReadonlyArray<string>>
}

/** Flags that take no value. */
const switches = new Set(['json', 'help', 'trace', 'version'])
/** Flags whose value may be left out (`--resume` alone means "the latest checkpoint"). */
const optionalValue = new Set(['resume'])
/** Flags that take every following value until the next flag. */
const multi = new Set(['cfg-options'])

export const parseArgs = (argv: ReadonlyArray<string>): E.Either<string, Parsed> => {
  const positionals: string[] = []
  const flags = new Map<string, string[]>()
  let command: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
      if (switches.has(name) || (optionalValue.has(name) && inline === undefined && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')))) {
        flags.set(name, [])
        continue
      }
      const values = flags.get(name) ?? []
      if (inline !== undefined) values.push(inline)
      else if (multi.has(name)) {
        while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) values.push(argv[++i]!)
      } else {
        const next = argv[i + 1]
        if (next === undefined || next.startsWith('--')) return E.left(`--${name} needs a value`)
        values.push(next)
        i++
      }
      flags.set(name, values)
    } else if (arg === '-h') flags.set('help', [])
    else if (command === undefined) command = arg
    else positionals.push(arg)
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
