import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'

// Every power-of-two scale from 2^-30 to 2^5, eight mantissas each, both signs, and the values around the
// switch at 1/16.
const sweep = (): number[] => {
  const values: number[] = [0, -0, 1 / 16, -1 / 16, Math.fround(1 / 16 - 1e-9), 30, -30, 100]
  for (let e = -30; e <= 5; e++)
    for (let m = 0; m < 8; m++) values.push(Math.fround(2 ** e * (1 + m / 8)), Math.fround(-(2 ** e) * (1 + m / 8)))
  return values
}

describe('Tanh on WASM through the vectorised sigmoid', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('is within 2e-6 relative (or 1.2e-7 absolute) of the exact value, and exact at 0, ±∞ and NaN', async () => {
    await tf.setBackend('wasm')
    const xs = sweep()
    const x = tf.tensor1d(xs)
    const y = Array.from(await tf.tanh(x).data())
    x.dispose()
    let worstRel = 0
    xs.forEach((v, i) => {
      const exact = Math.tanh(v)
      const err = Math.abs(y[i]! - exact)
      expect(err <= 2e-6 * Math.abs(exact) || err <= 1.2e-7).toBe(true)
      worstRel = Math.max(worstRel, err / Math.max(Math.abs(exact), 1e-30))
    })
    expect(worstRel).toBeLessThan(2e-6)
    // Four values at a time, the last n mod 4 one by one: the same float32 operations either way.
    const shifted = Array.from(await tf.tidy(() => tf.tanh(tf.tensor1d(xs.slice(1)))).data())
    expect(xs.length % 4).toBe(0)
    expect(shifted).toEqual(y.slice(1))
    const special = Array.from(await tf.tidy(() => tf.tanh(tf.tensor1d([0, Infinity, -Infinity, NaN]))).data())
    expect(special.slice(0, 3)).toEqual([0, 1, -1])
    expect(special[3]).toBeNaN()
  })

  it('its gradient agrees with the CPU backend', async () => {
    await Effect.runPromise(selectBackend('cpu'))
    const grad = async (backend: string) => {
      await tf.setBackend(backend)
      const x = tf.tensor1d(sweep().filter((v) => Math.abs(v) < 20))
      const g = await tf
        .grad((t: tf.Tensor) => tf.sum(tf.tanh(t)))(x)
        .data()
      x.dispose()
      return Array.from(g)
    }
    const [cpu, wasm] = [await grad('cpu'), await grad('wasm')]
    wasm.forEach((g, i) => {
      expect(Math.abs(g - cpu[i]!)).toBeLessThan(3e-7)
    })
  })

  it('releases its temporaries', async () => {
    await tf.setBackend('wasm')
    const x = tf.ones([100])
    tf.tanh(x).dispose()
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    tf.tanh(x).dispose()
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
    x.dispose()
  })
})
