import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import '../../../src/tensor/gradients.js'

describe('clones on WASM share the buffer (tfjs clones every tensor it saves for a gradient)', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('a clone reads the same values, allocates no buffer, and outlives its source', async () => {
    await tf.setBackend('wasm')
    const x = tf.tensor2d([
      [1, -2],
      [3, 4.5],
    ])
    const buffers = tf.memory().numDataBuffers
    const y = tf.clone(x)
    expect(tf.memory().numDataBuffers).toBe(buffers)
    x.dispose()
    expect(Array.from(await y.data())).toEqual([1, -2, 3, 4.5])
    y.dispose()
    expect(tf.memory().numDataBuffers).toBe(buffers - 1)
  })
})
