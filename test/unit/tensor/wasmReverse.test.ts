import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { seededValues } from '../../../src/tensor/opConformance.js'

/** `tf.reverse(x, axes)` on a backend, as plain values. */
const reversed = async (backend: string, shape: number[], axes: number[], dtype: 'float32' | 'int32') => {
  await tf.setBackend(backend)
  const size = shape.reduce((a, b) => a * b, 1)
  const values = seededValues(size, 4, 100).map((v) => (dtype === 'int32' ? Math.round(v) : v))
  const x = tf.tensor(values, shape, dtype)
  const y = tf.reverse(x, axes)
  const out = Array.from(await y.data())
  tf.dispose([x, y])
  return out
}

describe("WASM's Reverse equals the CPU backend's", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('a left-right flip of a batch of grey images', async () => {
    const args = [[4, 5, 6, 1], [2], 'float32'] as const
    const wasm = await reversed('wasm', [...args[0]], [...args[1]], args[2])
    expect(wasm).toEqual(await reversed('cpu', [...args[0]], [...args[1]], args[2]))
    expect(wasm).not.toEqual(await reversed('cpu', [4, 5, 6, 1], [], 'float32'))
  })

  it('any shape, any set of axes (negative ones too), float32 and int32', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: -4, max: 3 }), { maxLength: 3 }),
        fc.constantFrom<'float32' | 'int32'>('float32', 'int32'),
        async (shape, picks, dtype) => {
          const rank = shape.length
          // Each axis once, as given (tfjs refuses an axis named twice, as -1 and rank − 1).
          const inRange = picks.filter((a) => a >= -rank && a < rank)
          const axes = inRange.filter((a, i) => inRange.findIndex((b) => (b + rank) % rank === (a + rank) % rank) === i)
          expect(await reversed('wasm', shape, axes, dtype)).toEqual(await reversed('cpu', shape, axes, dtype))
        },
      ),
      { numRuns: 100 },
    )
  })
})
