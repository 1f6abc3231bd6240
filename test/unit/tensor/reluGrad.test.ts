import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import '../../../src/tensor/gradients.js'
import { RELU_GRAD } from '../../../src/tensor/reluGrad.js'

// Values where ReLU's gradient is delicate: ±0, NaN, ±∞, subnormals, and ordinary ones.
const value = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -1e-40),
  fc.float({ noNaN: true, min: -5, max: 5 }),
)

/** The gradient of `Σ relu(x)·dy`, as bits. */
const gradient = (x: number[], dy: number[]): number[] => {
  const [xs, dys] = [tf.tensor1d(x), tf.tensor1d(dy)]
  const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.relu(z), dys)))(xs)
  const bits = Array.from(new Uint32Array(Float32Array.from(g.dataSync()).buffer))
  tf.dispose([xs, dys, g])
  return bits
}

/** tfjs's composition, `dy · step(x)`, as bits. */
const composed = (x: number[], dy: number[]): number[] => {
  const out = tf.tidy(() => tf.mul(tf.tensor1d(dy), tf.cast(tf.step(tf.tensor1d(x)), 'float32')))
  const bits = Array.from(new Uint32Array(Float32Array.from(out.dataSync()).buffer))
  out.dispose()
  return bits
}

// NaN results compare as NaN, whatever their payload.
const canonical = (bits: number[]) =>
  bits.map((b) => (Number.isNaN(new Float32Array(new Uint32Array([b]).buffer)[0]) ? 'NaN' : b))

describe("ReLU's gradient as one kernel", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it("gives tfjs's dy · step(x) bit for bit on WASM, in the SIMD lanes and the scalar tail", async () => {
    await tf.setBackend('wasm')
    expect(tf.getKernel(RELU_GRAD, 'wasm')).toBeDefined()
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { maxLength: 23 }), (pairs) => {
        const [x, dy] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])]
        expect(canonical(gradient(x, dy))).toEqual(canonical(composed(x, dy)))
      }),
      { numRuns: 300 },
    )
  })

  it('is the same on the CPU backend, which composes it', async () => {
    const x = [-1, 0, -0, 2, Number.NaN, 1e-40]
    const dy = [3, -1, 2, -4, 5, 6]
    await tf.setBackend('cpu')
    const cpu = canonical(gradient(x, dy))
    await tf.setBackend('wasm')
    expect(canonical(gradient(x, dy))).toEqual(cpu)
  })
})
