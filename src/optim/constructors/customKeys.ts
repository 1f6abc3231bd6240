/**
 * `custom_keys` matching (spec §10, §11.1): the keys are sorted as
 * `sorted(sorted(keys), key=len, reverse=True)` and tried as substrings of a
 * parameter's name. The default constructor takes the first match (longest,
 * then alphabetically first); MMSelfSup's layer-decay constructor keeps
 * looping, so the last match (shortest) wins there.
 * @module
 */

/** Python's `str` order: by code point, not by UTF-16 unit. */
const byCodePoint = (a: string, b: string): number => {
  const x = [...a]
  const y = [...b]
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/** Python's `len` of a str: code points. */
const pyLen = (s: string): number => [...s].length

/**
 * The order MMEngine tries keys in: alphabetical, then stably by length,
 * longest first (`reverse=True` keeps ties in their alphabetical order).
 *
 * @example
 * ```ts
 * sortKeys(['sub', 'param1', 'sub.gn', 'bn']) // ['param1', 'sub.gn', 'sub', 'bn']
 * ```
 */
export const sortKeys = (keys: Iterable<string>): ReadonlyArray<string> =>
  [...keys].sort(byCodePoint).sort((a, b) => pyLen(b) - pyLen(a))

/**
 * The first sorted key that is a substring of `name` (the default constructor's rule).
 *
 * @example
 * ```ts
 * firstMatch(sortKeys(['bias', 'layers.0.bias']), 'backbone.layers.0.bias') // 'layers.0.bias'
 * ```
 */
export const firstMatch = (sorted: ReadonlyArray<string>, name: string): string | undefined =>
  sorted.find((k) => name.includes(k))

/**
 * The last sorted key that is a substring of `name` (MMSelfSup's layer-decay rule: no `break`).
 *
 * @example
 * ```ts
 * lastMatch(sortKeys(['bias', 'layers.0.bias']), 'backbone.layers.0.bias') // 'bias'
 * ```
 */
export const lastMatch = (sorted: ReadonlyArray<string>, name: string): string | undefined =>
  sorted.findLast((k) => name.includes(k))

/** One parameter as key matching saw it. */
export interface Matched {
  /** The string the keys were matched against. */
  readonly matchName: string
  /** Whether the parameter reached the `custom_keys` step (not frozen, not a skipped duplicate). */
  readonly eligible: boolean
  /** The key that applied to it, if any. */
  readonly winner: string | undefined
}

/**
 * A warning for every key that applied to no parameter, saying why: it is a
 * substring of no name, it matches only skipped (frozen or duplicate)
 * parameters, or another key always took precedence over it.
 *
 * @example
 * ```ts
 * unusedKeyWarnings(['nope'], [{ matchName: 'fc.weight', eligible: true, winner: undefined }], 'longer')
 * // ["custom_keys 'nope' matches no parameter"]
 * ```
 */
export const unusedKeyWarnings = (
  sorted: ReadonlyArray<string>,
  params: ReadonlyArray<Matched>,
  winnerIs: 'longer' | 'shorter',
): ReadonlyArray<string> => {
  const applied = new Set(params.map((p) => p.winner))
  const warnings: string[] = []
  for (const key of sorted) {
    if (applied.has(key)) continue
    const matching = params.filter((p) => p.matchName.includes(key))
    const eligible = matching.filter((p) => p.eligible)
    if (matching.length === 0) warnings.push(`custom_keys '${key}' matches no parameter`)
    else if (eligible.length === 0)
      warnings.push(`custom_keys '${key}' matches only frozen or duplicate parameters, which are skipped`)
    else {
      const example = eligible[0]!
      warnings.push(
        `custom_keys '${key}' applies to no parameter: a ${winnerIs} key wins wherever ` +
          `it matches (e.g. '${example.winner}' for '${example.matchName}')`,
      )
    }
  }
  return warnings
}
