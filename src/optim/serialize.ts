/**
 * Optimizer state to plain data and back, bit-exactly: tensors become
 * `{ dtype, shape, data }` with their float32 values as base64 bytes (no
 * decimal round trip), everything else stays as it is. Used by checkpoints.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** A serialised tensor. */
export interface TensorData {
  readonly __tensor__: true
  readonly dtype: 'float32' | 'int32' | 'bool'
  readonly shape: ReadonlyArray<number>
  /** The raw little-endian bytes, base64. */
  readonly data: string
}

const isTensorData = (value: unknown): value is TensorData =>
  typeof value === 'object' && value !== null && (value as { __tensor__?: unknown }).__tensor__ === true

/** Replace every tensor in a nested value with its data (reads tensors back). */
export const toData = (value: unknown): unknown => {
  if (value instanceof tf.Tensor) {
    const values = value.dataSync()
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
    return {
      __tensor__: true,
      dtype: value.dtype as TensorData['dtype'],
      shape: [...value.shape],
      data: Buffer.from(bytes).toString('base64'),
    } satisfies TensorData
  }
  if (Array.isArray(value)) return value.map(toData)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toData(v)]))
  return value
}

/** The inverse of {@link toData}: new tensors for every serialised tensor. */
export const fromData = (value: unknown): unknown => {
  if (isTensorData(value)) {
    const bytes = Buffer.from(value.data, 'base64')
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    const values =
      value.dtype === 'int32'
        ? new Int32Array(copy.buffer)
        : value.dtype === 'bool'
          ? new Uint8Array(copy.buffer)
          : new Float32Array(copy.buffer)
    return tf.tensor(values, value.shape as number[], value.dtype)
  }
  if (Array.isArray(value)) return value.map(fromData)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromData(v)]))
  return value
}

/** Every tensor inside a nested value (to dispose or count them). */
export const tensorsIn = (value: unknown, into: tf.Tensor[] = []): tf.Tensor[] => {
  if (value instanceof tf.Tensor) into.push(value)
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, into)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) tensorsIn(v, into)
  return into
}

/** Dispose the tensors of `previous` that `next` no longer holds (the owner's step after an update). */
export const disposeReplaced = (previous: unknown, next: unknown): void => {
  const kept = new Set(tensorsIn(next))
  for (const t of tensorsIn(previous)) if (!kept.has(t) && !t.isDisposed) t.dispose()
}
