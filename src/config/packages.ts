/**
 * Package bases: `_base_ = 'mmcls::_base_/default_runtime.py'` names a file
 * inside another OpenMMLab project's configs. MMEngine finds the package
 * installed in Python; loopwright is told where its sources are, with
 * `--config-package NAME=DIR` or `LOOPWRIGHT_CONFIG_PACKAGES=NAME=DIR:NAME=DIR`.
 * `NAME::a/b.py` then reads `DIR/configs/a/b.py`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as nodePath from 'node:path'

/** Package name → the directory holding its `configs/` folder. */
export type ConfigPackages = ReadonlyMap<string, string>

/** The environment variable that lists config packages. */
export const packagesVariable = 'LOOPWRIGHT_CONFIG_PACKAGES'

/**
 * Parse `NAME=DIR` entries (later ones win). A malformed entry is a one-line
 * error naming where it came from.
 *
 * @example
 * ```ts
 * parsePackages(['mmcls=/src/mmpretrain'], '--config-package') // Right(Map { 'mmcls' => '/src/mmpretrain' })
 * ```
 */
export const parsePackages = (entries: ReadonlyArray<string>, source: string): E.Either<string, ConfigPackages> => {
  const packages = new Map<string, string>()
  for (const entry of entries) {
    const match = /^([A-Za-z_][\w-]*)=(.+)$/.exec(entry)
    if (match === null) return E.left(`${source}: expected NAME=DIR, got ${JSON.stringify(entry)}`)
    packages.set(match[1]!, match[2]!)
  }
  return E.right(packages)
}

/** The packages of `LOOPWRIGHT_CONFIG_PACKAGES=NAME=DIR:NAME=DIR` (`;` on Windows, like PATH). */
export const packagesFromEnv = (value: string | undefined): E.Either<string, ConfigPackages> =>
  value === undefined || value.trim() === ''
    ? E.right(new Map())
    : parsePackages(
        value.split(nodePath.delimiter).filter((s) => s !== ''),
        packagesVariable,
      )

/** Both sources together; the command line wins over the environment. */
export const mergePackages = (fromEnv: ConfigPackages, fromFlags: ConfigPackages): ConfigPackages =>
  new Map([...fromEnv, ...fromFlags])

/** Is this base a package base (`NAME::path`)? */
export const isPackageBase = (base: string): boolean => /^[A-Za-z_][\w-]*::/.test(base)

/**
 * The file a package base names, or a one-line error saying which option
 * would resolve it.
 */
export const resolvePackageBase = (base: string, packages: ConfigPackages): E.Either<string, string> => {
  const at = base.indexOf('::')
  const name = base.slice(0, at)
  const rest = base.slice(at + 2)
  const dir = packages.get(name)
  if (dir === undefined) {
    return E.left(
      `package base '${base}' needs the ${name} sources: pass --config-package ` +
        `${name}=DIR (or set ${packagesVariable}=${name}=DIR)`,
    )
  }
  return E.right(nodePath.resolve(dir, 'configs', rest))
}
