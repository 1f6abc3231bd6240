/**
 * "Did you mean …?" suggestions for misspelt names.
 * @module
 */

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export const editDistance = (a: string, b: string): number => {
  const s = a.toLowerCase()
  const t = b.toLowerCase()
  const rows = s.length + 1
  const cols = t.length + 1
  const d: number[] = new Array<number>(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1)
      d[i * cols + j] = best
    }
  }
  return d[rows * cols - 1]!
}

/** How far a name may be from a candidate and still be taken for a typo of it. */
export const tolerance = (name: string): number => Math.max(1, Math.min(3, Math.floor(name.length / 3)))

/** The closest candidate within {@link tolerance}, or `undefined`. Ties go to the earlier candidate. */
export const closest = (name: string, candidateNames: Iterable<string>): string | undefined => {
  // Materialise once: callers may pass a one-shot iterator such as Map.keys().
  const candidates = [...candidateNames]
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  if (best !== undefined && bestDistance <= tolerance(name)) return best
  // A truncated or extended name (`method` for `method_name`) is a likely slip too.
  const lower = name.toLowerCase()
  if (lower.length < 4) return undefined
  for (const candidate of candidates) {
    const c = candidate.toLowerCase()
    if (c.length >= 4 && (c.startsWith(lower) || lower.startsWith(c))) return candidate
  }
  return undefined
}

/** `" (did you mean 'x'?)"`, or `""` when nothing is close. */
export const suggestion = (name: string, candidates: Iterable<string>): string => {
  const match = closest(name, candidates)
  return match === undefined ? '' : ` (did you mean '${match}'?)`
}
