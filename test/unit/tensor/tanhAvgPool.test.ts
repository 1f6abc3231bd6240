import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { TANH_AVG_POOL, tanhAvgPool } from '../../../src/tensor/tanhAvgPool.js'
import { bits, kernelsDuring } from '../../support/kernels.js'

describe('tanhAvgPool', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it("is tfjs's Tanh then AvgPool, bit for bit, where no backend kernel replaces them (WASM, CPU)", async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend)
      expect(tf.getKernel(TANH_AVG_POOL, backend)).toBeUndefined()
      const x = tf.tensor4d(
        seededValues(2 * 9 * 7 * 3, 5).map((v) => 3 * v),
        [2, 9, 7, 3],
      )
      const { result: got, kernels } = kernelsDuring(() => tanhAvgPool(x, 2))
      // tfjs's avgPool op casts its result to the input's dtype (a no-op for float32).
      expect(kernels, backend).toEqual(['Tanh', 'AvgPool', 'Cast'])
      expect(got.shape).toEqual([2, 4, 3, 3])
      const want = tf.tidy(() => tf.avgPool(tf.tanh(x), 2, 2, 'valid'))
      expect(bits(got), backend).toEqual(bits(want))
      tf.dispose([x, got, want])
    }
  })
})
