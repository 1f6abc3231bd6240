/**
 * The options that say where and how a config runs, shared by `train` and
 * `dry-run`: package bases (`--config-package`, `LOOPWRIGHT_CONFIG_PACKAGES`).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { mergePackages, packagesFromEnv, parsePackages } from '../config/packages.js'
import type { ConfigPackages } from '../config/packages.js'

export interface PlanOptions {
  readonly packages: ConfigPackages
}

type Flags = ReadonlyMap<string, ReadonlyArray<string>>

/** Read the options from the flags and the environment; a bad value is a one-line error. */
export const planOptions = (flags: Flags, env: NodeJS.ProcessEnv = process.env): E.Either<string, PlanOptions> => {
  const fromEnv = packagesFromEnv(env['LOOPWRIGHT_CONFIG_PACKAGES'])
  if (fromEnv._tag === 'Left') return fromEnv
  const fromFlags = parsePackages(flags.get('config-package') ?? [], '--config-package')
  if (fromFlags._tag === 'Left') return fromFlags
  return E.right({ packages: mergePackages(fromEnv.right, fromFlags.right) })
}
