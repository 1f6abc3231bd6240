import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { LINEAR, linear } from '../../../src/tensor/linear.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { bits, kernelsDuring } from '../../support/kernels.js'

describe('linear', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it(
    "runs tfjs's MatMul, Add and Relu where the backend has no fused kernel (WASM, CPU), " + 'with their bits',
    async () => {
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend)
        expect(tf.getKernel(LINEAR, backend)).toBeUndefined()
        const x = tf.tensor2d(seededValues(5 * 7, 1), [5, 7])
        const w = tf.tensor2d(seededValues(3 * 7, 2), [3, 7])
        const b = tf.tensor1d(seededValues(3, 3))
        const { result, kernels } = kernelsDuring(() => linear(x, w, b, 'relu'))
        expect(kernels, backend).toEqual(['BatchMatMul', 'Add', 'Relu'])
        const want = tf.tidy(() => tf.relu(tf.add(tf.matMul(x, w, false, true), b)))
        expect(bits(result), backend).toEqual(bits(want))
        const plain = kernelsDuring(() => linear(x, w, undefined, undefined))
        expect(plain.kernels, backend).toEqual(['BatchMatMul'])
        tf.dispose([x, w, b, result, want, plain.result])
      }
    },
  )

  it('leaves only its output behind where it composes kernels, also outside any tfjs scope', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend)
      const x = tf.tensor2d(seededValues(5 * 7, 4), [5, 7])
      const w = tf.tensor2d(seededValues(3 * 7, 5), [3, 7])
      const b = tf.tensor1d(seededValues(3, 6))
      const before = tf.memory().numTensors
      const y = linear(x, w, b, 'relu')
      expect(tf.memory().numTensors - before, backend).toBe(1)
      tf.dispose([x, w, b, y])
    }
  })
})
