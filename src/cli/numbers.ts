/**
 * Numbers as the plan prints them: four significant digits at most, short
 * exponent form for small and huge values (`3.57e-6`, not
 * `0.000003570125000000001`). The JSON plan keeps full precision.
 * @module
 */

/**
 * A number rounded for reading.
 *
 * @example
 * ```ts
 * displayNumber(0.000003570125000000001) // '3.57e-6'
 * displayNumber(0.0000123456)            // '1.235e-5'
 * displayNumber(0.1 + 0.2)               // '0.3'
 * displayNumber(1281167)                 // '1281167'
 * ```
 */
export const displayNumber = (x: number): string => {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x)
  const rounded = Number(x.toPrecision(4))
  const abs = Math.abs(rounded)
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = rounded.toExponential().split('e') as [string, string]
    return `${mantissa}e${exponent.replace('+', '')}`
  }
  return String(rounded)
}

/** Any value, with its numbers (also inside lists) rounded for reading. */
export const displayValue = (v: unknown): string =>
  typeof v === 'number' ? displayNumber(v) : Array.isArray(v) ? `(${v.map(displayValue).join(', ')})` : String(v)
