import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { NORMALIZE, normalize } from '../../../src/tensor/normalize.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { bits } from '../../support/kernels.js'

describe('normalize', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it("is tfjs's Sub and RealDiv, bit for bit, where no backend kernel replaces them (WASM, CPU)", async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend)
      expect(tf.getKernel(NORMALIZE, backend)).toBeUndefined()
      const x = tf.tensor(
        seededValues(2 * 5 * 3, 7).map((v) => Math.round(127.5 * (v + 1))),
        [2, 5, 3],
      )
      for (const [mean, std] of [
        [[33.46], [78.87]],
        [
          [123.675, 116.28, 103.53],
          [58.395, 57.12, 57.375],
        ],
      ] as const) {
        const before = tf.memory().numTensors
        const got = normalize(x, mean, std)
        expect(tf.memory().numTensors, backend).toBe(before + 1)
        const want = tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d([...mean])), tf.tensor1d([...std])))
        expect(bits(got), backend).toEqual(bits(want))
        tf.dispose([got, want])
      }
      x.dispose()
    }
  })
})
