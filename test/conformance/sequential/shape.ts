/**
 * loopwright's values laid out as a record lays out its own: per parameter
 * (a dict by name, or a list in parameter order) and per param group (a
 * list in group order, a dict by group index, or one number for one group).
 */
import type { Json } from '../sequential.js'

/** `value(name)` for every parameter, as a dict by name or a list in `names` order, following `expected`. */
export const byName = (expected: Json, names: ReadonlyArray<string>, value: (name: string) => unknown): unknown => {
  if (Array.isArray(expected)) return names.map(value)
  if (typeof expected === 'object' && expected !== null && !('shape' in expected && 'values' in expected))
    return Object.fromEntries(Object.keys(expected).map((n) => [n, names.includes(n) ? value(n) : undefined]))
  return names.length === 1 ? value(names[0]!) : Object.fromEntries(names.map((n) => [n, value(n)]))
}

/** One value per group, as a list, a dict by group index, or a number when there is one group. */
export const byGroup = (expected: Json, values: ReadonlyArray<unknown>): unknown => {
  if (Array.isArray(expected)) return values
  if (typeof expected === 'object' && expected !== null)
    return Object.fromEntries(Object.keys(expected).map((k) => [k, values[Number(k)]]))
  return values.length === 1 ? values[0] : values
}
