/**
 * The layer rules of design.md §2 as data, and a checker over import statements.
 * Adding a folder is one row in {@link layerOrder} or {@link extraRules}.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'

/** `src/` folders from the ground up: a folder may import only folders listed before it. */
export const layerOrder = [
  'schema',
  'dsl',
  'tensor',
  'optim',
  'models',
  'data',
  'selfsup',
  'evaluation',
  'hooks',
  'config',
  'interpreters',
  'cli',
] as const

/**
 * Pairs of the order that do not hold today, with the reason; the checker lets them pass.
 * `optim → models`: the param-wise constructors read `ModelInfo` (design.md §2 puts it in models/), and only
 * that file; the rule that matters, models never import optim, is enforced below.
 */
export const tolerated: ReadonlyArray<{ readonly from: string; readonly file: string; readonly why: string }> = [
  { from: 'optim', file: 'src/models/ModelInfo.ts', why: 'param-wise constructors read ModelInfo' },
]

/** A rule: files under `folder` must not import `forbidden`; `codeOnly` lets `import type` through. */
export interface Rule {
  readonly folder: string
  readonly forbidden: ReadonlyArray<string>
  readonly codeOnly?: boolean
  /** Files of a forbidden folder this folder may still import (see {@link tolerated}). */
  readonly except?: ReadonlyArray<string>
  readonly why: string
}

const domain = layerOrder.filter((f) => f !== 'schema')

/** The named rules of design.md §2, over and above the order. */
export const extraRules: ReadonlyArray<Rule> = [
  { folder: 'dsl', forbidden: ['@tensorflow/*', 'node:*', 'fs', 'path', 'os'], why: 'dsl is pure: no tfjs, no fs' },
  { folder: 'schema', forbidden: [...domain, '@tensorflow/*'], why: 'schema knows no domain' },
  { folder: 'models', forbidden: ['optim'], why: 'a model must not import the optimizer' },
  { folder: 'hooks', forbidden: ['interpreters', 'cli'], why: 'hooks reach effects through services only' },
  { folder: 'tensor', forbidden: ['dsl'], why: 'tensor trees sit below the DSL' },
  { folder: 'config', forbidden: ['hooks'], codeOnly: true, why: 'config decodes hooks through registries' },
]

/** Every rule: one per folder from the order (everything above it), then the named ones. */
export const rules: ReadonlyArray<Rule> = [
  ...layerOrder.map(
    (folder, i): Rule => ({
      folder,
      forbidden: layerOrder.slice(i + 1),
      except: tolerated.filter((t) => t.from === folder).map((t) => t.file),
      why: `layer order: ${folder} sits below ${layerOrder.slice(i + 1).join(', ') || 'nothing'}`,
    }),
  ),
  ...extraRules,
]

/** One import statement of a file, as the checker sees it. */
export interface Import {
  readonly file: string
  readonly specifier: string
  readonly typeOnly: boolean
}

/** The imports of a TypeScript source (static, re-exports and dynamic `import()`). */
export const importsOf = (file: string, text: string): ReadonlyArray<Import> => {
  const found: Import[] = []
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gm))
    found.push({ file, specifier: m[3]!, typeOnly: m[2] !== undefined })
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push({ file, specifier: m[1]!, typeOnly: false })
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push({ file, specifier: m[1]!, typeOnly: false })
  return found
}

/** What an import reaches: a `src/` top folder for relative imports, else the package name. */
const resolvedOf = (imp: Import): string =>
  posix.normalize(posix.join(posix.dirname(imp.file), imp.specifier)).replace(/\.js$/, '.ts')

export const targetOf = (imp: Import): string => {
  if (!imp.specifier.startsWith('.')) return imp.specifier
  const resolved = resolvedOf(imp)
  const parts = resolved.split('/')
  return parts[0] === 'src' && parts.length > 2 ? parts[1]! : resolved
}

const folderOf = (file: string): string | undefined => {
  const parts = file.split('/')
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : undefined
}

const matches = (pattern: string, target: string): boolean =>
  pattern.endsWith('*') ? target.startsWith(pattern.slice(0, -1)) : target === pattern

/** One line per broken rule: `file imports 'x' (rule: why)`. Empty when the imports keep every rule. */
export const violations = (
  imports: ReadonlyArray<Import>,
  ruleSet: ReadonlyArray<Rule> = rules,
): ReadonlyArray<string> =>
  imports.flatMap((imp) => {
    const folder = folderOf(imp.file)
    const target = targetOf(imp)
    return ruleSet
      .filter((r) => r.folder === folder && !(r.codeOnly === true && imp.typeOnly))
      .filter((r) => r.forbidden.some((p) => matches(p, target)))
      .filter((r) => !(imp.specifier.startsWith('.') && (r.except ?? []).includes(resolvedOf(imp))))
      .map((r) => `${imp.file} imports '${imp.specifier}' (${r.why})`)
  })

/** Every `.ts` file under a folder, as posix paths relative to the repository root. */
export const filesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [posix.join(dir, e.name)] : [],
  )

/** The imports of every file under `src/`. */
export const sourceImports = (): ReadonlyArray<Import> =>
  filesUnder('src').flatMap((file) => importsOf(file, readFileSync(file, 'utf8')))

/**
 * The packages a module loads at run time, each with the chain of `src/` files that leads to it: the closure of its
 * imports (static, re-exports and `import()`), `import type` left out.
 */
export const runtimePackages = (root: string): ReadonlyMap<string, ReadonlyArray<string>> => {
  const via = new Map<string, string | undefined>()
  const packages = new Map<string, ReadonlyArray<string>>()
  const chain = (file: string | undefined): ReadonlyArray<string> =>
    file === undefined ? [] : [file, ...chain(via.get(file))]
  const todo: Array<readonly [string, string | undefined]> = [[root, undefined]]
  while (todo.length > 0) {
    const [file, from] = todo.pop()!
    if (via.has(file)) continue
    via.set(file, from)
    for (const imp of importsOf(file, readFileSync(file, 'utf8'))) {
      if (imp.typeOnly) continue
      if (imp.specifier.startsWith('.')) todo.push([resolvedOf(imp), file])
      else if (!packages.has(imp.specifier)) packages.set(imp.specifier, chain(file))
    }
  }
  return packages
}
