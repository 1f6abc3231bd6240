/**
 * The records of MMSelfSup component scenarios: tensors written as
 * `{shape, dtype, values}`, read into tfjs and written back, and the
 * comparison of a recorded value with loopwright's under the contract's
 * tolerances (float32 tensors 1e-4 relative or 1e-5 absolute per element,
 * numbers 1e-12 relative, integers, booleans and strings exactly).
 */
import * as tf from '@tensorflow/tfjs-core'
import { hyperMismatch, tensorClose } from './compare.js'

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** A recorded tensor. */
export interface TensorRecord {
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
  readonly values: ReadonlyArray<number | boolean>
}

/** Is this recorded value a tensor? */
export const isTensor = (j: unknown): j is TensorRecord =>
  typeof j === 'object' &&
  j !== null &&
  !Array.isArray(j) &&
  Array.isArray((j as { shape?: unknown }).shape) &&
  Array.isArray((j as { values?: unknown }).values)

/** A recorded tensor as a tfjs tensor (`int64` as int32, `bool` as bool). */
export const toTensor = (r: TensorRecord): tf.Tensor =>
  r.dtype === 'float32' || r.dtype === undefined
    ? tf.tensor(r.values as number[], r.shape as number[], 'float32')
    : r.dtype === 'bool'
      ? tf.tensor(
          (r.values as boolean[]).map((v) => (v ? 1 : 0)),
          r.shape as number[],
          'bool',
        )
      : tf.tensor(r.values as number[], r.shape as number[], 'int32')

/** A tfjs tensor as a record, in the recorded dtype names (read back synchronously: the replays are tiny). */
export const toRecord = (t: tf.Tensor): TensorRecord => ({
  shape: t.shape,
  dtype: t.dtype === 'float32' ? 'float32' : t.dtype === 'bool' ? 'bool' : 'int64',
  values: t.dtype === 'bool' ? Array.from(t.dataSync()).map((v) => v === 1) : Array.from(t.dataSync()),
})

/** The first difference of `actual` from `expected` under the contract's tolerances, or undefined. */
export const difference = (expected: unknown, actual: unknown, path = ''): string | undefined => {
  const at = path === '' ? '' : ` at ${path}`
  if (isTensor(expected)) {
    if (!isTensor(actual))
      return (
        `expected a tensor${at}, loopwright produced ` +
        `${actual === undefined ? 'nothing' : JSON.stringify(actual).slice(0, 60)}`
      )
    if (expected.shape.join(',') !== actual.shape.join(','))
      return `shape [${actual.shape.join(', ')}] ≠ [${expected.shape.join(', ')}]${at}`
    const floating = expected.dtype === 'float32' || expected.dtype === undefined
    for (let i = 0; i < expected.values.length; i++) {
      const e = Number(expected.values[i])
      const a = Number(actual.values[i])
      if (floating ? !tensorClose(a, e) : a !== e)
        return `${floating ? `max |Δ| ${Math.abs(a - e).toExponential(2)}` : `${a} ≠ ${e}`} at element ${i}${at}`
    }
    return undefined
  }
  if (expected === null) return actual === null || actual === undefined ? undefined : `expected null${at}`
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual))
      return `expected a list${at}, loopwright produced ${actual === undefined ? 'nothing' : typeof actual}`
    if (actual.length !== expected.length) return `${actual.length} entries ≠ ${expected.length}${at}`
    for (let i = 0; i < expected.length; i++) {
      const d = difference(expected[i], actual[i], `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null)
      return `expected a dict${at}, loopwright produced ${actual === undefined ? 'nothing' : typeof actual}`
    for (const [k, v] of Object.entries(expected)) {
      const d = difference(v, (actual as { [k: string]: unknown })[k], path === '' ? k : `${path}.${k}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number')
      return `expected ${expected}${at}, loopwright produced ${actual === undefined ? 'nothing' : String(actual)}`
    const miss = hyperMismatch(actual, expected)
    return miss === undefined ? undefined : `${actual} ≠ ${expected}${at}`
  }
  return actual === expected ? undefined : `${String(actual)} ≠ ${String(expected)}${at}`
}
