import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'

describe('a full WASM heap', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('is a one-line error naming the size, and the backend goes on working', () => {
    const before = tf.memory().numTensors
    // 2³⁰ − 1 floats (4 GB) can never fit the heap, so malloc fails at once, without growing it. Unguarded, tfjs
    // takes the failed allocation's 0 as the tensor's address.
    expect(() => tf.fill([2 ** 30 - 1], 1)).toThrow(/^the WASM backend's heap is full: 4096 MB more do not fit/)
    expect(tf.memory().numTensors).toBe(before)
    const x = tf.tensor1d([1, 2, 3])
    expect(Array.from(tf.tidy(() => tf.mul(x, 2)).dataSync())).toEqual([2, 4, 6])
    x.dispose()
  })
})
