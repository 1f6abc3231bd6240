/**
 * `nn.Dropout` as a function of the random stream: in train mode each
 * element is kept with probability `1 − p` and scaled by `1 / (1 − p)`
 * (inverted dropout, as PyTorch); in eval mode (or with `p = 0`) the input
 * passes through unchanged.
 *
 * The mask is drawn from loopwright's counter-based {@link Rng}: one 32-bit
 * draw per element, element `i` dropped when draw `i` / 2³² < p. It is
 * therefore reproducible from the `Rng` value alone (a resumed run draws the
 * same masks), and `apply` returns the stream advanced by the number of
 * elements. PyTorch's values differ (its generator is not this one); the
 * distribution is the same.
 *
 * @example
 * ```ts
 * const [y, rng] = Dropout.apply(x, 0.1, true, Rng.make(7)) // rng.counter === x.size
 * const [same] = Dropout.apply(x, 0.1, true, Rng.make(7))   // the same mask
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Rng from '../dsl/Rng.js'

/**
 * The keep mask, already scaled: `1 / (1 − p)` where kept, 0 where dropped,
 * for `count` elements, and the advanced stream.
 *
 * @example
 * ```ts
 * const [mask] = Dropout.mask(Rng.make(0), 4, 0.5) // e.g. [2, 0, 2, 2]
 * ```
 */
export const mask = (rng: Rng.Rng, count: number, p: number): readonly [Float32Array, Rng.Rng] => {
  const values = new Float32Array(count)
  const scale = p < 1 ? 1 / (1 - p) : 0
  // Compare against p·2³² on the raw draw: the same test as uniform < p, without a division per element.
  const threshold = p * 0x1_0000_0000
  for (let i = 0; i < count; i++) values[i] = Rng.at(rng.seed, rng.counter + i) < threshold ? 0 : scale
  return [values, { seed: rng.seed, counter: rng.counter + count }]
}

/**
 * Dropout with probability `p` (0 ≤ p ≤ 1). Returns a new tensor (a clone in
 * eval mode) and the stream: advanced by `x.size` in train mode with `p > 0`,
 * unchanged otherwise (PyTorch draws nothing then either). `p = 1` gives zeros.
 *
 * @example
 * ```ts
 * const [y] = Dropout.apply(x, 0.5, false, rng) // eval mode: y equals x, rng unchanged
 * ```
 */
export const apply = (x: tf.Tensor, p: number, training: boolean, rng: Rng.Rng): readonly [tf.Tensor, Rng.Rng] => {
  if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`)
  if (!training || p === 0) return [tf.clone(x), rng]
  const [values, next] = mask(rng, x.size, p)
  const y = tf.tidy(() => tf.mul(x, tf.tensor(values, x.shape, 'float32')))
  return [y, next]
}
