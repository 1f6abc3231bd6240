/**
 * Small test helpers shared by the optimizer and transform reference tests:
 * a seeded PRNG, float32 comparisons that name the first mismatch (with its
 * distance in ulps), and the owner's disposal step after an update.
 */
import * as tf from '@tensorflow/tfjs-core'

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` float32 values uniform in [-scale, scale); a fraction `zeros` of them exactly 0. */
export const randomValues = (rand: () => number, n: number, scale = 1, zeros = 0): number[] =>
  Array.from({ length: n }, () => (rand() < zeros ? 0 : Math.fround((rand() * 2 - 1) * scale)))

const bits = new DataView(new ArrayBuffer(4))
/** The float32 bit pattern as a monotone integer (so the difference of two is a distance in ulps). */
const ordered = (x: number): number => {
  bits.setFloat32(0, x)
  const i = bits.getInt32(0)
  return i < 0 ? -(i & 0x7fffffff) : i
}

/** Distance in float32 ulps (0 for +0/−0; Infinity when either is NaN and the other is not). */
export const ulps = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  return Math.abs(ordered(a) - ordered(b))
}

export interface Mismatch {
  readonly where: string
  readonly index: number
  readonly expected: number
  readonly actual: number
}

const describeMismatch = (m: Mismatch): string =>
  `${m.where}[${m.index}]: expected ${m.expected} (PyTorch reference), got ` +
  `${m.actual} (${ulps(m.actual, m.expected)} ulp, |Δ| = ` +
  `${Math.abs(m.actual - m.expected)})`

/** The first element where `actual` and `expected` differ as float32 values (+0 and −0 equal, NaN equals NaN). */
export const firstBitMismatch = (
  where: string,
  actual: ReadonlyArray<number>,
  expected: ReadonlyArray<number>,
): Mismatch | undefined => {
  if (actual.length !== expected.length)
    return { where: `${where} (length ${actual.length} vs ${expected.length})`, index: 0, expected: NaN, actual: NaN }
  for (let i = 0; i < expected.length; i++)
    if (ulps(actual[i]!, expected[i]!) !== 0) return { where, index: i, expected: expected[i]!, actual: actual[i]! }
  return undefined
}

/**
 * The first element outside a tolerance relative to the tensor's scale:
 * `|a − e| ≤ rtol · max(|e|, max_j |e_j|)` (the second term keeps near-zero
 * entries of a tensor from demanding more than its largest entry does).
 */
export const firstToleranceMismatch = (
  where: string,
  actual: ReadonlyArray<number>,
  expected: ReadonlyArray<number>,
  rtol: number,
): Mismatch | undefined => {
  if (actual.length !== expected.length)
    return { where: `${where} (length ${actual.length} vs ${expected.length})`, index: 0, expected: NaN, actual: NaN }
  const scale = expected.reduce((m, e) => Math.max(m, Math.abs(e)), 0)
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!
    const e = expected[i]!
    if (Number.isNaN(a) !== Number.isNaN(e) || Math.abs(a - e) > rtol * Math.max(Math.abs(e), scale))
      return { where, index: i, expected: e, actual: a }
  }
  return undefined
}

/** Throw with a readable message when there is a mismatch. */
export const assertNoMismatch = (m: Mismatch | undefined, context = ''): void => {
  if (m !== undefined) throw new Error(`${context}${context === '' ? '' : ': '}${describeMismatch(m)}`)
}

/** Every tensor inside a nested value (objects and arrays). */
export const tensorsIn = (value: unknown, into: Set<tf.Tensor> = new Set()): Set<tf.Tensor> => {
  if (value instanceof tf.Tensor) into.add(value)
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, into)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) tensorsIn(v, into)
  return into
}

/**
 * The owner's bookkeeping after one update: dispose every tensor the
 * previous step held (old params, old state, the gradients fed in, the
 * updates applied) that the new params and state no longer reference.
 */
export const disposeReplaced = (previous: ReadonlyArray<unknown>, next: ReadonlyArray<unknown>): void => {
  const kept = tensorsIn(next)
  for (const t of tensorsIn(previous)) if (!kept.has(t) && !t.isDisposed) t.dispose()
}

/** Read a tensor back as plain numbers. */
export const read = (t: tf.Tensor): number[] => Array.from(t.dataSync())

/** A nested value with every tensor read back as plain numbers (to compare states by value). */
export const plain = (value: unknown): unknown => {
  if (value instanceof tf.Tensor) return { shape: [...value.shape], values: read(value) }
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}
