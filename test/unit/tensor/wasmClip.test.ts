import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'

/** `clipByValue` on a backend, as bits (NaN as NaN). */
const clipped = async (backend: string, values: number[], low: number, high: number) => {
  await tf.setBackend(backend)
  const x = tf.tensor1d(values)
  const y = tf.clipByValue(x, low, high)
  const out = Array.from(await y.data(), (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v))
  tf.dispose([x, y])
  return out
}

describe("WASM's compiled ClipByValue equals the CPU backend's", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('keeps NaN (stock WASM turns it into a bound), both zeros, and bounds that float32 rounds', async () => {
    const values = [NaN, -0, 0, -1, 1, 0.1, 0.30000001192092896, 255.4, 256, -Infinity, Infinity, 7]
    const wasm = await clipped('wasm', values, 0.1, 255)
    expect(wasm).toEqual(await clipped('cpu', values, 0.1, 255))
    expect(wasm[0]).toBe('NaN')
  })

  it('any values and bounds, across the four-lane loop and its scalar tail', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 23 }),
        fc.float({ noNaN: true }),
        fc.float({ noNaN: true }),
        async (values, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a]
          expect(await clipped('wasm', values, low, high)).toEqual(await clipped('cpu', values, low, high))
        },
      ),
      { numRuns: 100 },
    )
  })
})
