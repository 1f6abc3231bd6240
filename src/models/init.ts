/**
 * Parameter initialisation as PyTorch does it, from loopwright's seeded RNG.
 * `nn.Linear` and `nn.Conv2d` use `kaiming_uniform_(a=√5)` for weights, i.e.
 * U(−1/√fan_in, 1/√fan_in), and the same bound for biases.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Rng from '../dsl/Rng.js'
import type { Tree } from '../tensor/tree.js'
import type { ParamSpec } from './ParamSpec.js'

// The bounds are pure arithmetic; descriptions use them without tensors.
export { defaultBound, kaimingNormalStd, xavierUniformBound } from './ParamSpec.js'

/** `count` floats from U(low, high), drawn from `rng`; returns them and the advanced stream. */
export const uniformValues = (
  rng: Rng.Rng,
  count: number,
  low: number,
  high: number,
): readonly [Float32Array, Rng.Rng] => {
  const values = new Float32Array(count)
  let r = rng
  for (let i = 0; i < count; i++) {
    const [u, next] = Rng.uniform(r)
    values[i] = low + (high - low) * u
    r = next
  }
  return [values, r]
}

/** A tensor of `shape` from U(−bound, bound). */
export const uniformTensor = (
  rng: Rng.Rng,
  shape: ReadonlyArray<number>,
  bound: number,
): readonly [tf.Tensor, Rng.Rng] => {
  const [values, next] = uniformValues(
    rng,
    shape.reduce((a, b) => a * b, 1),
    -bound,
    bound,
  )
  return [tf.tensor(values, shape as number[], 'float32'), next]
}

/**
 * `count` floats from N(mean, std²) by the Box–Muller transform: each pair of
 * uniforms gives two normals (the last pair's second is dropped for odd
 * `count`). Reproducible from `rng` alone; returns the advanced stream.
 *
 * @example
 * ```ts
 * const [values, next] = normalValues(Rng.make(0), 4, 0, 1) // next.counter === 4
 * ```
 */
export const normalValues = (
  rng: Rng.Rng,
  count: number,
  mean: number,
  std: number,
): readonly [Float32Array, Rng.Rng] => {
  const values = new Float32Array(count)
  let r = rng
  for (let i = 0; i < count; i += 2) {
    const [u1, r1] = Rng.uniform(r)
    const [u2, r2] = Rng.uniform(r1)
    r = r2
    // 1 − u1 lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - u1))
    values[i] = mean + std * radius * Math.cos(2 * Math.PI * u2)
    if (i + 1 < count) values[i + 1] = mean + std * radius * Math.sin(2 * Math.PI * u2)
  }
  return [values, r]
}

/**
 * A tensor of `shape` from N(mean, std²) (`nn.init.normal_`).
 *
 * @example
 * ```ts
 * const [weight, rng] = normalTensor(Rng.make(0), [10, 4], 1) // nn.Embedding's N(0, 1)
 * ```
 */
export const normalTensor = (
  rng: Rng.Rng,
  shape: ReadonlyArray<number>,
  std: number,
  mean = 0,
): readonly [tf.Tensor, Rng.Rng] => {
  const [values, next] = normalValues(
    rng,
    shape.reduce((a, b) => a * b, 1),
    mean,
    std,
  )
  return [tf.tensor(values, shape as number[], 'float32'), next]
}

/**
 * A tensor of `shape` from N(mean, std²) truncated to the absolute bounds
 * `[a, b]` (`trunc_normal_(std=…)` of PyTorch/MMEngine; their defaults are
 * a = −2, b = 2, *not* scaled by `std`). PyTorch samples by the inverse CDF;
 * this draws normals and rejects those outside the bounds — the same
 * distribution, different values for the same seed.
 *
 * @example
 * ```ts
 * const [posEmbed, rng] = truncNormalTensor(Rng.make(0), [1, 17, 64], 0.02) // ViT's pos_embed
 * ```
 */
export const truncNormalTensor = (
  rng: Rng.Rng,
  shape: ReadonlyArray<number>,
  std: number,
  mean = 0,
  a = -2,
  b = 2,
): readonly [tf.Tensor, Rng.Rng] => {
  if (!(a < b)) throw new Error(`truncNormalTensor: expected a < b, got a=${a}, b=${b}`)
  const count = shape.reduce((x, y) => x * y, 1)
  const values = new Float32Array(count)
  let r = rng
  let filled = 0
  while (filled < count) {
    const [batch, next] = normalValues(r, Math.max(2, count - filled), mean, std)
    r = next
    for (let i = 0; i < batch.length && filled < count; i++) {
      const v = batch[i]!
      if (v >= a && v <= b) values[filled++] = v
    }
  }
  return [tf.tensor(values, shape as number[], 'float32'), r]
}

/**
 * The parameters a description lists, initialised by their rules; the random
 * ones drawn from `rng` in list order (`named_parameters()` order), so one
 * description fixes both the names and the values a seed gives.
 *
 * @example
 * ```ts
 * const [params, rng] = initFromSpecs(ResNet.specs(cfg), Rng.make(0))
 * ```
 */
export const initFromSpecs = (specs: ReadonlyArray<ParamSpec>, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  const params: { [name: string]: tf.Tensor } = {}
  let r = rng
  for (const s of specs) {
    const rule = s.init
    if (rule.kind === 'zeros') params[s.name] = tf.zeros(s.shape as number[])
    else if (rule.kind === 'ones') params[s.name] = tf.ones(s.shape as number[])
    else if (rule.kind === 'constant') params[s.name] = tf.fill(s.shape as number[], rule.value)
    else {
      const [value, next] =
        rule.kind === 'uniform'
          ? uniformTensor(r, s.shape, rule.bound)
          : rule.kind === 'normal'
            ? normalTensor(r, s.shape, rule.std)
            : truncNormalTensor(r, s.shape, rule.std)
      params[s.name] = value
      r = next
    }
  }
  return [params, r]
}
