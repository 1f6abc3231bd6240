/**
 * Half-precision numerics, emulated. TF.js has no float16 or bfloat16 dtype,
 * so `AmpOptimWrapper(dtype='float16' | 'bfloat16')` is emulated by rounding
 * float32 values to the nearest value of that format (ties to even), with its
 * range: float16 overflows to ±Infinity above 65504 and has subnormals below
 * 2⁻¹⁴; bfloat16 has float32's range. The values stay float32 tensors: this
 * reproduces the *numerics* of mixed precision, not its memory or speed.
 *
 * The rounding uses Veltkamp splitting (`p = x·c; hi = p − (p − x)`), exact
 * for round-to-nearest-even in float32 arithmetic.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

export type HalfPrecision = 'float16' | 'bfloat16'

/** Round to `keep` significand bits (implicit bit included) by splitting with c = 2^(24 − keep) + 1. */
const split = (x: tf.Tensor, keep: number): tf.Tensor => {
  const p = tf.mul(x, 2 ** (24 - keep) + 1)
  return tf.sub(p, tf.sub(p, x))
}

const FP16_MAX = 65504
const FP16_MIN_NORMAL = 2 ** -14

/** `x` rounded to float16 (as float32 values). */
export const roundToFloat16 = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const magnitude = tf.abs(x)
    // Keep the split away from overflow; anything this large is ±Infinity in float16 anyway.
    const safe = tf.clipByValue(x, -2 * FP16_MAX, 2 * FP16_MAX)
    const normal = split(safe, 11)
    const subnormal = tf.mul(tf.round(tf.mul(safe, 2 ** 24)), 2 ** -24)
    const rounded = tf.where(tf.less(magnitude, FP16_MIN_NORMAL), subnormal, normal)
    const overflow = tf.logicalAnd(tf.greater(tf.abs(rounded), FP16_MAX), tf.logicalNot(tf.isNaN(x)))
    return tf.where(overflow, tf.mul(tf.sign(x), Infinity), tf.where(tf.isNaN(x), x, rounded))
  })

/** `x` rounded to bfloat16 (as float32 values). */
export const roundToBfloat16 = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    // The split overflows for |x| ≳ 5e33: round those after scaling by a power of two (exact).
    const large = tf.greater(tf.abs(x), 2 ** 100)
    const small = split(tf.where(large, tf.zerosLike(x), x), 8)
    const big = tf.mul(split(tf.mul(tf.where(large, x, tf.zerosLike(x)), 2 ** -64), 8), 2 ** 64)
    // float32 subnormals have fewer significand bits, so the split does not round them: scale up
    // by 2^133 in two exact steps, round to an integer (ties to even), scale back.
    const tiny = tf.less(tf.abs(x), 2 ** -126)
    const subnormal = tf.mul(tf.mul(tf.round(tf.mul(tf.mul(x, 2 ** 70), 2 ** 63)), 2 ** -70), 2 ** -63)
    const rounded = tf.where(large, big, tf.where(tiny, subnormal, small))
    return tf.where(tf.logicalOr(tf.isNaN(x), tf.isInf(x)), x, rounded)
  })

/** Round to the given half format. */
export const roundTo = (precision: HalfPrecision, x: tf.Tensor): tf.Tensor =>
  precision === 'float16' ? roundToFloat16(x) : roundToBfloat16(x)

/**
 * Scalar reference: float16 rounding of a JS number via Math.f16round-free bit arithmetic (for tests and
 * hyper-parameters).
 */
export const float16Of = (x: number): number => {
  if (Number.isNaN(x) || !Number.isFinite(x)) return x
  const a = Math.abs(x)
  if (a < FP16_MIN_NORMAL) return Math.sign(x) * roundHalfEven(a * 2 ** 24) * 2 ** -24
  const exponent = Math.floor(Math.log2(a))
  const quantum = 2 ** (exponent - 10)
  const r = roundHalfEven(a / quantum) * quantum
  return r > FP16_MAX ? Math.sign(x) * Infinity : Math.sign(x) * r
}

const roundHalfEven = (v: number): number => {
  const f = Math.floor(v)
  const d = v - f
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1
}

/**
 * `x` rounded to the half format in the forward pass, with the identity as
 * its gradient (a straight-through cast): what autocast does to a value a
 * half-precision op reads, as far as the gradient of the float32 master
 * weights is concerned.
 */
export const castStraightThrough = (precision: HalfPrecision, x: tf.Tensor): tf.Tensor =>
  tf.customGrad(((input: tf.Tensor) => ({
    value: roundTo(precision, input),
    gradFunc: (dy: tf.Tensor) => dy,
  })) as unknown as Parameters<typeof tf.customGrad>[0])(x)
