import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { stopGradient } from '../../../src/tensor/stopGradient.js'
import '../../../src/tensor/gradients.js'

describe('stopGradient', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it.each(['cpu', 'wasm'])('on %s, has the values and no gradient: d/dx (Σx + Σ stop(x)·x) = 1 + x', async (b) => {
    await tf.setBackend(b)
    const x = tf.tensor1d([1, 2, -3])
    const before = tf.memory().numTensors
    const { value, grads } = tf.valueAndGrads(
      (v: tf.Tensor) => tf.add(tf.sum(v), tf.sum(tf.mul(stopGradient(v), v))) as tf.Scalar,
    )([x])
    expect(value.dataSync()[0]).toBeCloseTo(0 + 14, 6)
    expect(Array.from(grads[0]!.dataSync())).toEqual([2, 3, -2])
    tf.dispose([value, ...grads])
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })

  it('shares the data, which lives while either tensor does, also from another backend', async () => {
    await tf.setBackend('cpu')
    const x = tf.tensor1d([4, 5])
    await tf.setBackend('wasm')
    const before = tf.memory().numTensors
    const y = stopGradient(x)
    x.dispose()
    expect(Array.from(y.dataSync())).toEqual([4, 5])
    y.dispose()
    expect(tf.memory().numTensors).toBe(before - 1)
  })
})
