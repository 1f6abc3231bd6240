/**
 * Loading config files: `.json`, `.yaml`/`.yml`, `.py` (MMEngine's literal
 * subset), and `.ts`/`.js`/`.mjs` modules; `_base_` inheritance with
 * `_delete_`; predefined variables; `--cfg-options`. JSON, YAML and Python
 * configs are data: loading them never runs code. TS/JS configs are modules
 * the user wrote, and are imported as such.
 *
 * @example
 * ```ts
import * as Effect from 'effect/Effect'
 * import { Config } from 'loopwright'
 * const loaded = await Effect.runPromise(Config.load('configs/mnist_mlp.json', { cfgOptions: ['train_cfg.max_epochs=1']
 * }))
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises'
import * as E from 'fp-ts/lib/Either.js'
import * as nodePath from 'node:path'
import { pathToFileURL } from 'node:url'
import * as Effect from 'effect/Effect'
import { isDict, plainDataProblem } from '../schema/codec.js'
import type { Issue } from '../schema/codec.js'
import { applyCfgOptions } from './cfgOptions.js'
import * as Config from './Config.js'
import type { ConfigError as ConfigErrorType, Registries } from './Config.js'
import { normalizeLegacyForms } from './legacyForms.js'
import { mergeInto, stripDeleteMarkers, unionOfBases } from './merge.js'
import { isPackageBase, resolvePackageBase } from './packages.js'
import type { ConfigPackages } from './packages.js'
import { evaluatePythonConfig, readPythonBaseList } from './python/index.js'
import type { PyValue } from './python/index.js'

type Dict = { readonly [key: string]: unknown }

/** A loaded config: the merged raw dict, its decoded form, and where it came from. */
export interface Loaded {
  readonly file: string
  readonly raw: Dict
  readonly config: Config.Config
  /** Top-level helper variables of code configs (not config keys). */
  readonly variables: ReadonlyArray<string>
  /** Options accepted but not honoured, one line each (for the plan's warnings). */
  readonly warnings: ReadonlyArray<string>
}

export interface LoadOptions {
  readonly cfgOptions?: ReadonlyArray<string>
  /** The registries to decode against; the interpreters' `defaultRegistries` hold the built-in hooks. */
  readonly registries: Registries
  /** Where package bases (`mmcls::…`) are found; see {@link ConfigPackages}. */
  readonly packages?: ConfigPackages
}

const fail = (file: string, message: string, path = ''): ConfigErrorType =>
  new Config.ConfigError({ file, issues: [{ path, message }] })

const kindOf = (file: string): 'json' | 'yaml' | 'python' | 'module' | undefined => {
  const ext = nodePath.extname(file).toLowerCase()
  if (ext === '.json') return 'json'
  if (ext === '.yaml' || ext === '.yml') return 'yaml'
  if (ext === '.py') return 'python'
  if (ext === '.ts' || ext === '.mts' || ext === '.js' || ext === '.mjs') return 'module'
  return undefined
}

/** Is this a code config (whose top-level names may include helper variables)? */
export const isCodeConfig = (file: string): boolean => {
  const kind = kindOf(file)
  return kind === 'python' || kind === 'module'
}

/** MMEngine's predefined variables and `{{$ENV:default}}`, substituted in the text before parsing. */
export const substitutePredefined = (text: string, file: string): string => {
  const ext = nodePath.extname(file)
  const values: Record<string, string> = {
    fileDirname: nodePath.dirname(nodePath.resolve(file)),
    fileBasename: nodePath.basename(file),
    fileBasenameNoExtension: nodePath.basename(file, ext),
    fileExtname: ext,
  }
  return text
    .replace(
      /\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}/g,
      (_m, name: string) => values[name]!,
    )
    .replace(
      /\{\{\s*\$(\w+)(?::([^}]*))?\s*\}\}/g,
      (_m, name: string, fallback: string | undefined) => process.env[name] ?? fallback ?? '',
    )
}

const readText = (file: string): Effect.Effect<string, ConfigErrorType> =>
  Effect.tryPromise({
    // A byte-order mark (some editors write one) is not part of the text.
    try: () => readFile(file, 'utf8').then((text) => text.replace(/^\uFEFF/, '')),
    catch: (e) =>
      fail(
        file,
        `cannot read the config file: ` +
          `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
      ),
  })

const baseList = (value: unknown, file: string): Effect.Effect<ReadonlyArray<string>, ConfigErrorType> => {
  if (value === undefined) return Effect.succeed([])
  if (typeof value === 'string') return Effect.succeed([value])
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return Effect.succeed(value as string[])
  return Effect.fail(fail(file, 'expected a path or a list of paths', '_base_'))
}

/** Load the bases of `file` (relative to it), each recursively, and form their union. */
const loadBases = (
  file: string,
  bases: ReadonlyArray<string>,
  stack: ReadonlyArray<string>,
  packages: ConfigPackages,
): Effect.Effect<Dict, ConfigErrorType> =>
  Effect.gen(function* () {
    const loaded: Array<readonly [string, Dict]> = []
    for (const base of bases) {
      const resolved = isPackageBase(base)
        ? resolvePackageBase(base, packages)
        : E.right(nodePath.resolve(nodePath.dirname(file), base))
      if (resolved._tag === 'Left') return yield* Effect.fail(fail(file, resolved.left, '_base_'))
      loaded.push([base, yield* loadRaw(resolved.right, stack, packages)])
    }
    const union = unionOfBases(loaded)
    return union._tag === 'Left'
      ? yield* Effect.fail(new Config.ConfigError({ file, issues: [union.left] }))
      : union.right
  })

const mergeChild = (file: string, child: Dict, base: Dict): Effect.Effect<Dict, ConfigErrorType> => {
  const merged = mergeInto(child, base)
  return merged._tag === 'Left'
    ? Effect.fail(new Config.ConfigError({ file, issues: [merged.left] }))
    : Effect.succeed(merged.right as Dict)
}

/**
 * The first line of an error message, for a one-line report. A first line
 * that only announces what follows (`Transform failed with 1 error:`) takes
 * the next line along; a trailing `:` that introduced a code excerpt goes.
 */
const oneLine = (e: unknown): string => {
  const lines = String(e instanceof Error ? e.message : e)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^at /.test(l))
  const first = lines[0] ?? 'unknown error'
  const text =
    first.endsWith(':') &&
    lines[1] !== undefined &&
    !/^[\^~\s]*$/.test(lines[1]) &&
    /^(Transform failed|Error|SyntaxError)/.test(first)
      ? `${first} ${lines[1]}`
      : first
  return text.replace(/:$/, '')
}

/**
 * YAML with the core schema, where every problem the parser reports is an
 * error — a tag that would construct something (`!!python/object`,
 * `!!js/function`) included, rather than a warning printed to the terminal.
 */
const parseYaml = (YAML: typeof import('yaml'), text: string): unknown => {
  const doc = YAML.parseDocument(text, {
    schema: 'core',
    merge: true,
    uniqueKeys: true,
    prettyErrors: true,
    logLevel: 'error',
  })
  const problem = doc.errors[0] ?? doc.warnings[0]
  if (problem !== undefined) throw problem
  return doc.toJS({ maxAliasCount: 100 })
}

// The YAML parser loads with the first YAML config, not with every start (a Python or JSON plan never needs it).
const yamlParser = Effect.promise(() => import('yaml'))

const parseData = (file: string, kind: 'json' | 'yaml', text: string): Effect.Effect<unknown, ConfigErrorType> =>
  Effect.flatMap(kind === 'yaml' ? yamlParser : Effect.succeed(undefined), (YAML) =>
    Effect.try({
      try: () => (YAML === undefined ? JSON.parse(text) : parseYaml(YAML, text)),
      catch: (e) =>
        fail(
          file,
          `not valid ${kind === 'json' ? 'JSON' : 'YAML'}: ` +
            `${/maximum call stack/i.test(oneLine(e)) ? 'nested too deeply to parse' : oneLine(e)}`,
        ),
    }),
  )

/** A file's value must be plain data the merges can walk (no cycles, bounded depth). */
const plainData = (file: string, value: unknown): Effect.Effect<unknown, ConfigErrorType> => {
  const problem = plainDataProblem(value)
  return problem === undefined ? Effect.succeed(value) : Effect.fail(fail(file, problem.message, problem.path))
}

const importModule = (file: string): Effect.Effect<unknown, ConfigErrorType> =>
  Effect.tryPromise({
    try: async () => {
      const url = pathToFileURL(file).href
      const ext = nodePath.extname(file).toLowerCase()
      const module: Record<string, unknown> =
        ext === '.ts' || ext === '.mts'
          ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url)
          : await import(url)
      // A TS file compiled as CommonJS arrives wrapped once more: { default: { default: config } }.
      const unwrap = (value: unknown): unknown =>
        isDict(value) &&
        Object.hasOwn(value, 'default') &&
        Object.keys(value).every((k) => k === 'default' || k === '__esModule')
          ? value['default']
          : value
      if (module['default'] !== undefined) return unwrap(module['default'])
      return Object.fromEntries(Object.entries(module).filter(([k]) => k !== 'default' && k !== '__esModule'))
    },
    catch: (e) => fail(file, `the config module failed to load: ${oneLine(e)}`),
  })

/** The raw merged dict of one file with its bases (no decoding yet). */
const loadRaw = (
  file: string,
  stack: ReadonlyArray<string>,
  packages: ConfigPackages,
): Effect.Effect<Dict, ConfigErrorType> =>
  Effect.gen(function* () {
    if (stack.includes(file)) {
      const chain = [...stack.slice(stack.indexOf(file)), file].map((f) => nodePath.basename(f)).join(' → ')
      return yield* Effect.fail(fail(file, `_base_ inheritance forms a cycle: ${chain}`, '_base_'))
    }
    const inner = [...stack, file]
    const kind = kindOf(file)
    if (kind === undefined)
      return yield* Effect.fail(
        fail(file, 'unsupported config file type; use .py, .json, .yaml, .yml, .ts, .js or .mjs'),
      )
    if (kind === 'python') {
      const text = substitutePredefined(yield* readText(file), file)
      const bases = readPythonBaseList(text)
      if (bases._tag === 'Left') return yield* Effect.fail(fail(file, `line ${bases.left.line}: ${bases.left.message}`))
      const base = yield* loadBases(file, bases.right, inner, packages)
      const evaluated = evaluatePythonConfig(text, { base: base as { readonly [k: string]: PyValue }, fileName: file })
      if (evaluated._tag === 'Left')
        return yield* Effect.fail(
          fail(file, `line ${evaluated.left.line}, column ${evaluated.left.column}: ${evaluated.left.message}`),
        )
      yield* plainData(file, evaluated.right)
      return yield* mergeChild(file, evaluated.right, base)
    }
    const value = yield* plainData(
      file,
      kind === 'module'
        ? yield* importModule(file)
        : yield* parseData(file, kind, substitutePredefined(yield* readText(file), file)),
    )
    if (!isDict(value))
      return yield* Effect.fail(fail(file, 'a config file must hold a dict of config keys at the top level'))
    const { _base_: bases, ...child } = value
    const base = yield* loadBases(file, yield* baseList(bases, file), inner, packages)
    return yield* mergeChild(file, child, base)
  })

/** Load, merge `_base_` chains, apply `--cfg-options`, and decode a config file. */
export const load = (file: string, options: LoadOptions): Effect.Effect<Loaded, ConfigErrorType> =>
  Effect.gen(function* () {
    const absolute = nodePath.resolve(file)
    let raw = stripDeleteMarkers(yield* loadRaw(absolute, [], options.packages ?? new Map())) as Dict
    if (options.cfgOptions !== undefined && options.cfgOptions.length > 0) {
      const applied = applyCfgOptions(raw, options.cfgOptions)
      if (applied._tag === 'Left')
        return yield* Effect.fail(new Config.ConfigError({ file, issues: [applied.left as Issue] }))
      raw = applied.right
    }
    const registries = options.registries
    const normalized = normalizeLegacyForms(raw)
    const decoded = Config.decode(normalized.raw, registries, { allowVariables: isCodeConfig(file), file })
    if (decoded._tag === 'Left') return yield* Effect.fail(decoded.left)
    return {
      file,
      raw,
      config: decoded.right,
      variables: Config.variablesOf(decoded.right, registries),
      warnings: normalized.warnings,
    }
  })
