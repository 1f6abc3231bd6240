/**
 * The tolerances of the conformance contract: hyper-parameters (float64 in
 * MMEngine) within 1e-12 relative; tensors (float32) within 1e-4 relative or
 * 1e-5 absolute, whichever is looser, per element.
 */

/** Largest violation of the hyper-parameter tolerance, or undefined when within it. */
export const hyperMismatch = (actual: number, expected: number): number | undefined => {
  const diff = Math.abs(actual - expected)
  return diff <= 1e-12 * Math.max(Math.abs(expected), Number.MIN_VALUE) || actual === expected ? undefined : diff
}

/** Is `actual` within the tensor tolerance of `expected`? */
export const tensorClose = (actual: number, expected: number): boolean =>
  (Number.isNaN(actual) && Number.isNaN(expected)) ||
  Math.abs(actual - expected) <= Math.max(1e-5, 1e-4 * Math.abs(expected))

/** The first element of two named arrays outside the tensor tolerance, with its name and the difference. */
export const firstTensorMismatch = (
  actual: { readonly [name: string]: ReadonlyArray<number> },
  expected: { readonly [name: string]: ReadonlyArray<number> },
): { readonly name: string; readonly index: number; readonly diff: number } | undefined => {
  for (const [name, values] of Object.entries(expected)) {
    const got = actual[name]
    if (got === undefined) return { name, index: -1, diff: Infinity }
    for (let i = 0; i < values.length; i++) {
      if (!tensorClose(got[i]!, values[i]!)) return { name, index: i, diff: Math.abs(got[i]! - values[i]!) }
    }
  }
  return undefined
}
