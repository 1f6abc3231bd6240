/**
 * Python's number and duration formatting, as MMEngine's log lines use it.
 * @module
 */

/** Python `f'{x:.{digits}e}'`: the exponent has a sign and at least two digits (`1.0000e-02`). */
export const exponential = (x: number, digits: number): string => {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf'
  const [mantissa, exponent] = x.toExponential(digits).split('e') as [string, string]
  const sign = exponent.startsWith('-') ? '-' : '+'
  const magnitude = exponent.replace(/^[-+]/, '').padStart(2, '0')
  return `${mantissa}e${sign}${magnitude}`
}

/** Python `f'{x:.{digits}f}'` (`nan`/`inf` spelt as Python does). */
export const fixed = (x: number, digits: number): string =>
  Number.isFinite(x) ? x.toFixed(digits) : Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf'

/** Python `str(timedelta(seconds=int(s)))`: `H:MM:SS`, or `N day(s), H:MM:SS` from 24 h on. */
export const timedelta = (seconds: number): string => {
  const total = Math.trunc(seconds)
  const days = Math.floor(total / 86400)
  const rest = total - days * 86400
  const h = Math.floor(rest / 3600)
  const m = Math.floor((rest % 3600) / 60)
  const s = rest % 60
  const clock = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
  return days === 0 ? clock : `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}`
}

/** Python `str.rjust`. */
export const rjust = (text: string, width: number): string => text.padStart(width, ' ')

/**
 * Python `json.dumps` with its default separators (`', '`, `': '`), as
 * MMEngine's `LocalVisBackend` writes `scalars.json` lines. Non-finite
 * numbers are spelt `NaN`, `Infinity`, `-Infinity` as Python writes them.
 */
export const pythonJson = (value: unknown): string => {
  if (typeof value === 'number')
    return Number.isNaN(value)
      ? 'NaN'
      : value === Infinity
        ? 'Infinity'
        : value === -Infinity
          ? '-Infinity'
          : JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(', ')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
