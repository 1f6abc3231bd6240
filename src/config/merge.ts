/**
 * Config merging as MMEngine's `_merge_a_into_b` does it (spec §14.1): dicts
 * merge recursively, `_delete_=True` replaces instead, everything else
 * (lists included) replaces. Pure; returns new objects.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { isDict, show } from '../schema/codec.js'
import type { Issue } from '../schema/codec.js'

type Dict = { readonly [key: string]: unknown }

const DELETE = '_delete_'

/** Remove every `_delete_` marker (they only steer merging). */
export const stripDeleteMarkers = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stripDeleteMarkers)
  if (!isDict(value)) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== DELETE)
      .map(([k, v]) => [k, stripDeleteMarkers(v)]),
  )
}

const join = (path: string, key: string): string =>
  path === '' ? key : /^\d+$/.test(key) ? `${path}[${key}]` : `${path}.${key}`

/**
 * Merge `child` into `base`. With `allowListKeys`, a numeric key edits that
 * element of a list in `base` (how `--cfg-options list.0.key=v` works).
 */
export const mergeInto = (child: Dict, base: unknown, allowListKeys = false, path = ''): E.Either<Issue, unknown> => {
  if (allowListKeys && Array.isArray(base)) {
    const result = base.slice()
    for (const [key, value] of Object.entries(child)) {
      if (!/^\d+$/.test(key)) return E.left({ path, message: `expected a list index, got '${key}'` })
      const index = Number(key)
      if (index >= result.length)
        return E.left({
          path: join(path, key),
          message: `index ${index} is out of range (the list has ${result.length} items)`,
        })
      if (isDict(value)) {
        const merged = mergeInto(value, result[index], allowListKeys, join(path, key))
        if (merged._tag === 'Left') return merged
        result[index] = merged.right
      } else result[index] = value
    }
    return E.right(result)
  }
  if (!isDict(base))
    return E.left({ path, message: `cannot merge a dict into ${show(base)}; add _delete_=True to replace it` })
  // A Map, not object assignment: keys such as `__proto__` or `constructor` are plain config keys here.
  const result = new Map<string, unknown>(Object.entries(base))
  for (const [key, value] of Object.entries(child)) {
    if (key === DELETE) continue
    if (isDict(value) && Object.hasOwn(base, key) && value[DELETE] !== true) {
      const target = base[key]
      if (!isDict(target) && !(allowListKeys && Array.isArray(target))) {
        return E.left({
          path: join(path, key),
          message: `cannot merge a dict into ${show(target)} from the base config; add _delete_=True to replace it`,
        })
      }
      const merged = mergeInto(value, target, allowListKeys, join(path, key))
      if (merged._tag === 'Left') return merged
      result.set(key, merged.right)
    } else {
      result.set(key, stripDeleteMarkers(value))
    }
  }
  return E.right(Object.fromEntries(result))
}

/** The union of several base configs; a top-level key defined by two bases is an error (MMEngine raises KeyError). */
export const unionOfBases = (bases: ReadonlyArray<readonly [file: string, config: Dict]>): E.Either<Issue, Dict> => {
  const result = new Map<string, unknown>()
  const owner = new Map<string, string>()
  for (const [file, config] of bases) {
    for (const [key, value] of Object.entries(config)) {
      const first = owner.get(key)
      if (first !== undefined)
        return E.left({
          path: key,
          message: `defined by two base configs (${first} and ${file}); a key may come from one base only`,
        })
      owner.set(key, file)
      result.set(key, value)
    }
  }
  return E.right(Object.fromEntries(result))
}
