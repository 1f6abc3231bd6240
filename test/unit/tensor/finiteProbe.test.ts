import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { FINITE_PROBE, nonFiniteProbe } from '../../../src/tensor/finiteProbe.js'

// Values as a gradient may hold them: ordinary, huge (their plain sum overflows), and now and then not finite.
const value = fc.oneof(
  { weight: 20, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }) },
  { weight: 4, arbitrary: fc.constantFrom(3e38, -3e38) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
)
const tensors = fc.array(fc.array(value, { maxLength: 37 }), { maxLength: 6 })

const probed = (values: number[][]): number[] => {
  const ts = values.map((v) => tf.tensor1d(v))
  const out = nonFiniteProbe(ts)
  const read = Array.from(out.dataSync())
  tf.dispose([...ts, out])
  return read
}

describe('the non-finite probe', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  for (const backend of ['wasm', 'cpu'])
    it(`gives NaN exactly for the tensors holding a NaN or an infinity, else 0 (${backend})`, async () => {
      await tf.setBackend(backend)
      fc.assert(
        fc.property(tensors, (values) => {
          const expected = values.map((v) => (v.every(Number.isFinite) ? 0 : Number.NaN))
          expect(probed(values)).toEqual(expected)
        }),
        { numRuns: 200 },
      )
    })

  it('runs as one kernel on WASM (compiled) and on the CPU backend, and frees what it does not return', async () => {
    await tf.setBackend('wasm')
    expect(tf.getKernel(FINITE_PROBE, 'wasm')).toBeDefined()
    expect(tf.getKernel(FINITE_PROBE, 'cpu')).toBeDefined()
    const ts = [tf.ones([3, 5]), tf.zeros([7])]
    nonFiniteProbe(ts).dispose()
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    nonFiniteProbe(ts).dispose()
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
    tf.dispose(ts)
  })
})
