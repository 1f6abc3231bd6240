/**
 * Pixel helpers shared by the colour transforms: results are kept as the
 * 8-bit images MMCV and Pillow produce (rounded, clipped to 0–255), and a
 * per-sample factor is a `[b, 1, 1, 1]` tensor that broadcasts over a batch.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** Round and clip to 0–255, as an 8-bit image stores the result of each step. */
export const toBytes = (x: tf.Tensor4D): tf.Tensor4D => tf.tidy(() => tf.clipByValue(tf.round(x), 0, 255))

/** One value per sample, shaped to broadcast over `[b, h, w, c]`. */
export const perSample = (values: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tensor4d([...values], [values.length, 1, 1, 1], 'float32')

/** Pillow's luma `L = 0.299 R + 0.587 G + 0.114 B` (`[b, h, w, 1]`); a one-channel image is its own luma. */
export const luma = (x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() =>
    x.shape[3] === 1 ? x.clone() : (tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D),
  )

/** `degenerate + factor · (x − degenerate)`, Pillow's `ImageEnhance` blend, per sample. */
export const blend = (x: tf.Tensor4D, degenerate: tf.Tensor, factor: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => toBytes(tf.add(degenerate, tf.mul(factor, tf.sub(x, degenerate))) as tf.Tensor4D))

/**
 * `images` with sample `k` replaced by `other`'s where `mask[k]` holds, as
 * `other·m + images·(1 − m)` with `m` 0 or 1 per sample: exact for finite
 * values, and a broadcast multiply is several times faster than `where` over a
 * broadcast mask.
 */
export const selectSamples = (mask: ReadonlyArray<boolean>, other: tf.Tensor4D, images: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const m = perSample(mask.map((x) => (x ? 1 : 0)))
    return tf.add(tf.mul(other, m), tf.mul(images, tf.sub(1, m))) as tf.Tensor4D
  })
