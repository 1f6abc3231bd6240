/**
 * POSIX path joining without the file system (the pure layer cannot import
 * `node:path`; hooks compute paths here and services use them).
 * @module
 */

/** Join segments with `/`, collapsing duplicate separators; an absolute later segment restarts. */
export const join = (...segments: ReadonlyArray<string>): string => {
  let result = ''
  for (const segment of segments) {
    if (segment === '') continue
    result = segment.startsWith('/') || result === '' ? segment : `${result.replace(/\/+$/, '')}/${segment}`
  }
  return result.replace(/\/{2,}/g, '/') || '.'
}

/** The last segment (`basename('work_dirs/exp/')` is `'exp'`). */
export const basename = (p: string): string => {
  const trimmed = p.replace(/\/+$/, '')
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}
