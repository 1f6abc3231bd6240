/**
 * `--cfg-options key=value ...` overrides, parsed as MMEngine's `DictAction`
 * parses them and merged with list-index keys allowed (spec §14.1).
 *
 * @example
 * ```ts
 * parseCfgOptions(['optim_wrapper.optimizer.lr=0.01', 'custom_hooks.0.priority=HIGH', 'val_begin=[1,2]'])
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { MAX_NESTING } from '../schema/codec.js'
import type { Issue } from '../schema/codec.js'
import { mergeInto } from './merge.js'

type Value = null | boolean | number | string | Value[]

/** A scalar as DictAction reads it: int, then float, then True/False/None, else the string. */
const scalar = (text: string): Value => {
  if (/^[-+]?\d+$/.test(text)) return Number(text)
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || /^[-+]?(inf|nan)$/i.test(text)) {
    const n = Number(text)
    if (Number.isFinite(n)) return n
  }
  if (text.toLowerCase() === 'true') return true
  if (text.toLowerCase() === 'false') return false
  if (text === 'None') return null
  return text
}

/** Split on commas that are not inside brackets. */
const splitTopLevel = (text: string): string[] => {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '[' || ch === '(') depth++
    else if (ch === ']' || ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** How deeply brackets may nest in a value, and how many segments a key may have (MAX_NESTING of the codecs). */
const MAX_DEPTH = MAX_NESTING

/** Parse one value: `[1,2]`, `(a,b)`, `a,b` (a list), nested brackets, or a scalar. */
export const parseValue = (raw: string, depth = 0): E.Either<string, Value> => {
  const text = raw.trim().replace(/^['"]|['"]$/g, '')
  if (text.startsWith('[') || text.startsWith('(')) {
    if (depth >= MAX_DEPTH) return E.left(`brackets nested more than ${MAX_DEPTH} levels deep`)
    const close = text.startsWith('[') ? ']' : ')'
    if (!text.endsWith(close)) return E.left(`unbalanced brackets in ${JSON.stringify(raw)}`)
    const inner = text.slice(1, -1).replace(/\s+/g, '')
    if (inner === '') return E.right([])
    const items: Value[] = []
    for (const part of splitTopLevel(inner)) {
      const parsed = parseValue(part, depth + 1)
      if (parsed._tag === 'Left') return parsed
      items.push(parsed.right)
    }
    return E.right(items)
  }
  const parts = splitTopLevel(text)
  if (parts.length > 1) return E.right(parts.filter((p) => p !== '').map((p) => scalar(p.trim())))
  return E.right(scalar(text))
}

/** `a.b.c=1` → `{ a: { b: { c: 1 } } }`, one option at a time. */
export const parseCfgOptions = (
  options: ReadonlyArray<string>,
): E.Either<Issue, ReadonlyArray<{ readonly [key: string]: unknown }>> => {
  const parsed: Array<{ readonly [key: string]: unknown }> = []
  for (const option of options) {
    const eq = option.indexOf('=')
    if (eq <= 0)
      return E.left({ path: '', message: `--cfg-options: expected key=value, got ${JSON.stringify(option)}` })
    const key = option.slice(0, eq)
    const segments = key.split('.')
    if (segments.length > MAX_DEPTH)
      return E.left({
        path: `${segments.slice(0, 8).join('.')}…`,
        message: `--cfg-options: the key has ${segments.length} parts; at most ${MAX_DEPTH}`,
      })
    if (segments.some((s) => s === ''))
      return E.left({ path: key, message: `--cfg-options: empty part in the key ${JSON.stringify(key)}` })
    const value = parseValue(option.slice(eq + 1))
    if (value._tag === 'Left') return E.left({ path: key, message: `--cfg-options: ${value.left}` })
    const nested = segments
      .slice()
      .reverse()
      .reduce<unknown>((acc, segment) => ({ [segment]: acc }), value.right)
    parsed.push(nested as { readonly [key: string]: unknown })
  }
  return E.right(parsed)
}

/** Apply `--cfg-options` to a config (after `_base_` merging). */
export const applyCfgOptions = (
  config: { readonly [key: string]: unknown },
  options: ReadonlyArray<string>,
): E.Either<Issue, { readonly [key: string]: unknown }> => {
  const parsed = parseCfgOptions(options)
  if (parsed._tag === 'Left') return parsed
  let result: unknown = config
  for (const override of parsed.right) {
    const merged = mergeInto(override, result, true)
    if (merged._tag === 'Left')
      return E.left({ path: merged.left.path, message: `--cfg-options: ${merged.left.message}` })
    result = merged.right
  }
  return E.right(result as { readonly [key: string]: unknown })
}
