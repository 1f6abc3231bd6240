/**
 * Float arrays one after another in one new array: what crosses a
 * communicator is one flat float32 array, so parts are joined before a
 * collective and after an all-gather.
 * @module
 */

/** `parts` in order, in one new array. */
export const concatFloats = (parts: ReadonlyArray<Float32Array>): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
