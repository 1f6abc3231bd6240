import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { CONV2D_BIAS, conv2dBias } from '../../../src/tensor/conv2dBias.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { bits, kernelsDuring } from '../../support/kernels.js'

describe('conv2dBias', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it("runs tfjs's Conv2D and Add where the backend has no fused kernel (WASM, CPU), with their bits", async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend)
      expect(tf.getKernel(CONV2D_BIAS, backend)).toBeUndefined()
      const x = tf.tensor4d(seededValues(2 * 6 * 6 * 3, 1), [2, 6, 6, 3])
      const filter = tf.tensor4d(seededValues(3 * 3 * 3 * 4, 2), [3, 3, 3, 4])
      const b = tf.tensor1d(seededValues(4, 3))
      const pad: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]
      const { result, kernels } = kernelsDuring(() => conv2dBias(x, filter, 2, pad, b))
      expect(kernels, backend).toEqual(['Conv2D', 'Add'])
      const want = tf.tidy(() => tf.add(tf.conv2d(x, filter, 2, pad), b))
      expect(bits(result), backend).toEqual(bits(want))
      const plain = kernelsDuring(() => conv2dBias(x, filter, 1, 'valid', undefined))
      expect(plain.kernels, backend).toEqual(['Conv2D'])
      tf.dispose([x, filter, b, result, want, plain.result])
    }
  })
})
