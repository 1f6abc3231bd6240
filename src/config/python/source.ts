/** Source preprocessing before tokenizing: line endings, a BOM, and MMEngine's `{{ ... }}` substitutions. */
import { type Pos, fail } from './errors.js'
import { type PyDict, type Val, pyRepr } from './values.js'

// ---------------------------------------------------------------------------
// Source preprocessing
// ---------------------------------------------------------------------------

export function normalizeSource(source: string): string {
  return source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

export function posAt(text: string, offset: number): Pos {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return { line: before.split('\n').length, column: offset - lineStart + 1 }
}

export const PREDEFINED_RE = /\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}/g
// A reference directly wrapped in matching quotes ('{{_base_.x}}') is replaced
// quotes and all, so the value keeps its type as it does in MMEngine.
export const BASE_REF_RE = /(['"]?)\{\{\s*_base_\.([\w.]+)\s*\}\}\1/g

/** MMEngine's textual `{{ ... }}` substitutions, done before tokenizing as MMEngine does. */
export function substituteTemplates(text: string, base: PyDict | undefined, fileName: string | undefined): string {
  const withVars = text.replace(PREDEFINED_RE, (match: string, name: string, offset: number) => {
    if (fileName === undefined) fail(posAt(text, offset), `${match} needs options.fileName`)
    return predefinedVar(fileName, name)
  })
  return withVars.replace(BASE_REF_RE, (match: string, _quote: string, path: string, offset: number) => {
    const pos = posAt(withVars, offset)
    if (base === undefined) fail(pos, `${match.trim()} used but no base config was provided`)
    let current: Val = base
    for (const segment of path.split('.')) {
      const next: Val | undefined =
        current instanceof Map
          ? current.get(segment)
          : Array.isArray(current) && /^\d+$/.test(segment)
            ? current[Number(segment)]
            : undefined
      if (next === undefined) fail(pos, `{{_base_.${path}}}: '${segment}' not found in the base config`)
      current = next
    }
    return pyRepr(current, true)
  })
}

/** The values MMEngine's `_substitute_predefined_vars` uses, with `/` separators. */
export function predefinedVar(fileName: string, name: string): string {
  const path = fileName.replace(/\\/g, '/')
  const slash = path.lastIndexOf('/')
  const basename = path.slice(slash + 1)
  const dot = basename.lastIndexOf('.')
  const ext = dot > 0 ? basename.slice(dot) : ''
  switch (name) {
    case 'fileDirname':
      return slash === -1 ? '' : path.slice(0, slash)
    case 'fileBasename':
      return basename
    case 'fileBasenameNoExtension':
      return basename.slice(0, basename.length - ext.length)
    default:
      return ext
  }
}
