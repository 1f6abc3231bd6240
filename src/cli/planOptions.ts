/**
 * The options that say where and how a config runs: package bases
 * (`--config-package`, `LOOPWRIGHT_CONFIG_PACKAGES`) and the world size
 * (`--world-size N`, or `--launcher` reading the environment as MMEngine's
 * launchers do: `pytorch` → `WORLD_SIZE`, `slurm` → `SLURM_NTASKS`, `mpi` →
 * `OMPI_COMM_WORLD_SIZE`, `none` → 1).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { mergePackages, packagesFromEnv, parsePackages } from '../config/packages.js'
import type { ConfigPackages } from '../config/packages.js'

export interface PlanOptions {
  readonly packages: ConfigPackages
  readonly worldSize: number
}

/** MMEngine's launchers and the variable each reads the world size from. */
export const launchers = {
  none: undefined,
  pytorch: 'WORLD_SIZE',
  slurm: 'SLURM_NTASKS',
  mpi: 'OMPI_COMM_WORLD_SIZE',
} as const

const positive = (text: string): number | undefined => (/^[1-9]\d*$/.test(text) ? Number(text) : undefined)

/** The world size from `--world-size` (wins) or `--launcher` and the environment. */
export const worldSizeOf = (flags: Flags, env: NodeJS.ProcessEnv): E.Either<string, number> => {
  const given = flags.get('world-size')?.at(-1)
  if (given !== undefined) {
    const n = positive(given)
    return n === undefined
      ? E.left(`--world-size: expected a positive integer, got ${JSON.stringify(given)}`)
      : E.right(n)
  }
  const launcher = flags.get('launcher')?.at(-1) ?? 'none'
  if (!Object.hasOwn(launchers, launcher)) {
    return E.left(`--launcher: expected one of ${Object.keys(launchers).join(', ')}, got ${JSON.stringify(launcher)}`)
  }
  const variable = launchers[launcher as keyof typeof launchers]
  if (variable === undefined) return E.right(1)
  const value = env[variable]
  const n = value === undefined ? undefined : positive(value)
  return n === undefined
    ? E.left(
        `--launcher ${launcher}: ${variable} ` +
          `${value === undefined ? 'is not set' : `is not a positive integer (${JSON.stringify(value)})`}` +
          `; set it or pass --world-size N`,
      )
    : E.right(n)
}

type Flags = ReadonlyMap<string, ReadonlyArray<string>>

/** Read the options from the flags and the environment; a bad value is a one-line error. */
export const planOptions = (flags: Flags, env: NodeJS.ProcessEnv = process.env): E.Either<string, PlanOptions> => {
  const fromEnv = packagesFromEnv(env['LOOPWRIGHT_CONFIG_PACKAGES'])
  if (fromEnv._tag === 'Left') return fromEnv
  const fromFlags = parsePackages(flags.get('config-package') ?? [], '--config-package')
  if (fromFlags._tag === 'Left') return fromFlags
  const worldSize = worldSizeOf(flags, env)
  if (worldSize._tag === 'Left') return worldSize
  return E.right({ packages: mergePackages(fromEnv.right, fromFlags.right), worldSize: worldSize.right })
}
