/**
 * Parameter initialisation as PyTorch does it, from loopwright's seeded RNG.
 * `nn.Linear` and `nn.Conv2d` use `kaiming_uniform_(a=√5)` for weights, i.e.
 * U(−1/√fan_in, 1/√fan_in), and the same bound for biases.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Rng from '../dsl/Rng.js'

/** `count` floats from U(low, high), drawn from `rng`; returns them and the advanced stream. */
export const uniformValues = (rng: Rng.Rng, count: number, low: number, high: number): readonly [Float32Array, Rng.Rng] => {
  const values = new Float32Array(count)
  let r = rng
  for (let i = 0; i < count; i++) {
    const [u, next] = Rng.uniform(r)
    values[i] = low + (high - low) * u
    r = next
  }
  return [values, r]
}

/** PyTorch's default bound for a layer with this fan-in: 1/√fan_in. */
export const defaultBound = (fanIn: number): number => (fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0)

/** A tensor of `shape` from U(−bound, bound). */
export const uniformTensor = (rng: Rng.Rng, shape: ReadonlyArray<number>, bound: number): readonly [tf.Tensor, Rng.Rng] => {
  const [values, next] = uniformValues(rng, shape.reduce((a, b) => a * b, 1), -bound, bound)
  return [tf.tensor(values, shape as number[], 'float32'), next]
}
