/**
 * A config as MMEngine's `Config.pretty_text` would show it: one
 * `key = value` line per top-level key, dicts with identifier keys as
 * `dict(a=1)`, Python's `True`/`False`/`None`. What `LocalVisBackend` saves
 * as `config.py` and `TensorboardVisBackend` shows as the `config` text.
 * @module
 */
import type { Json } from '../../dsl/MessageHub.js'
import { isPythonIdentifier } from '../../schema/pythonKeywords.js'

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`

/** A JSON value as a Python literal. */
export const pythonRepr = (value: Json): string => {
  if (value === null) return 'None'
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return "float('nan')"
    if (!Number.isFinite(value)) return value > 0 ? "float('inf')" : "-float('inf')"
    return String(value)
  }
  if (typeof value === 'string') return quote(value)
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
  const entries = Object.entries(value as { readonly [key: string]: Json })
  return entries.every(([k]) => isPythonIdentifier(k))
    ? `dict(${entries.map(([k, v]) => `${k}=${pythonRepr(v)}`).join(', ')})`
    : `{${entries.map(([k, v]) => `${quote(k)}: ${pythonRepr(v)}`).join(', ')}}`
}

/**
 * The config text (JSON, as the run holds it) as Python assignments; text
 * that is not a JSON dict is returned as it is.
 *
 * @example
 * ```ts
 * pythonConfigText('{"train_cfg": {"max_epochs": 2}, "resume": false}')
 * // "train_cfg = dict(max_epochs=2)\nresume = False\n"
 * ```
 */
export const pythonConfigText = (configText: string): string => {
  let parsed: unknown
  try {
    parsed = JSON.parse(configText)
  } catch {
    return configText
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return configText
  const entries = Object.entries(parsed as { readonly [key: string]: Json })
  return entries.map(([k, v]) => `${k} = ${pythonRepr(v)}\n`).join('')
}
