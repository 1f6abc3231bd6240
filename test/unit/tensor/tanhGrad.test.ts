import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import '../../../src/tensor/gradients.js'
import { TANH_GRAD } from '../../../src/tensor/tanhGrad.js'
import { bits } from '../../support/kernels.js'

const value = fc.oneof(fc.constantFrom(0, -0, 1, -1, 20, -20), fc.float({ noNaN: true, min: -5, max: 5 }))

/** The gradient of `Σ tanh(x)·dy` through the registered gradient, as bits. */
const gradient = (x: number[], dy: number[]): number[] => {
  const [xs, dys] = [tf.tensor1d(x), tf.tensor1d(dy)]
  const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.tanh(z), dys)))(xs)
  const out = bits(g)
  tf.dispose([xs, dys, g])
  return out
}

/** tfjs's own gradient, `(1 − y²) · dy`, composed in its order, as bits. */
const composed = (x: number[], dy: number[]): number[] => {
  const out = tf.tidy(() => tf.mul(tf.sub(tf.scalar(1), tf.square(tf.tanh(tf.tensor1d(x)))), tf.tensor1d(dy)))
  const result = bits(out)
  out.dispose()
  return result
}

describe("tanh's gradient", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it("is tfjs's composition, bit for bit, where no backend kernel replaces it (WASM, CPU)", async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend)
      expect(tf.getKernel(TANH_GRAD, backend)).toBeUndefined()
      fc.assert(
        fc.property(fc.array(fc.tuple(value, value), { maxLength: 19 }), (pairs) => {
          const [x, dy] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])]
          expect(gradient(x, dy)).toEqual(composed(x, dy))
        }),
        { numRuns: 100 },
      )
    }
  })
})
