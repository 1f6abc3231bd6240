import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff, seededValues } from '../../../src/tensor/opConformance.js'
import { wasmGemm } from '../../../src/tensor/wasmGemm.js'

type Mode = 'A·B' | 'Aᵀ·B' | 'A·Bᵀ'
const f = Math.fround

/**
 * The float32 sums the kernels compute, in their order: `A·B` and `Aᵀ·B` add the terms k = 0, 1, … one by one;
 * `A·Bᵀ` keeps four partial sums (k mod 4) over the whole vectors, adds them as (s0 + s1) + (s2 + s3), then
 * the tail.
 */
const model = (mode: Mode, aValues: number[], bValues: number[], m: number, k: number, n: number): Float32Array => {
  const [a, b] = [Float32Array.from(aValues), Float32Array.from(bValues)]
  const A = (i: number, kk: number) => (mode === 'Aᵀ·B' ? a[kk * m + i]! : a[i * k + kk]!)
  const B = (kk: number, j: number) => (mode === 'A·Bᵀ' ? b[j * k + kk]! : b[kk * n + j]!)
  const out = new Float32Array(m * n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      if (mode !== 'A·Bᵀ') {
        let s = 0
        for (let kk = 0; kk < k; kk++) s = f(s + f(A(i, kk) * B(kk, j)))
        out[i * n + j] = s
      } else {
        const k4 = k - (k % 4)
        const lanes = [0, 0, 0, 0]
        for (let kk = 0; kk < k4; kk++) lanes[kk % 4] = f(lanes[kk % 4]! + f(A(i, kk) * B(kk, j)))
        let s = f(f(lanes[0]! + lanes[1]!) + f(lanes[2]! + lanes[3]!))
        for (let kk = k4; kk < k; kk++) s = f(s + f(A(i, kk) * B(kk, j)))
        out[i * n + j] = s
      }
    }
  return out
}

const shapes = (mode: Mode, m: number, k: number, n: number): [number[], number[]] => [
  mode === 'Aᵀ·B' ? [k, m] : [m, k],
  mode === 'A·Bᵀ' ? [n, k] : [k, n],
]

const flags = (mode: Mode): [boolean, boolean] => [mode === 'Aᵀ·B', mode === 'A·Bᵀ']

const bits = (x: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(x).buffer))

const MODES: ReadonlyArray<Mode> = ['A·B', 'Aᵀ·B', 'A·Bᵀ']

describe('tiled matrix products on WASM (wasmGemm)', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('compute every product, edges and tails included, as the stated float32 sums, bit for bit', async () => {
    await tf.setBackend('wasm')
    const dims = fc.integer({ min: 1, max: 21 })
    fc.assert(
      fc.property(
        fc.constantFrom(...MODES),
        dims,
        dims,
        dims,
        fc.integer({ min: 0, max: 1000 }),
        (mode, m, k, n, s) => {
          const [sa, sb] = shapes(mode, m, k, n)
          const [av, bv] = [seededValues(m * k, s), seededValues(k * n, s + 1)]
          const c = tf.tidy(() => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ...flags(mode)))
          const got = c.dataSync()
          c.dispose()
          expect(bits(got)).toEqual(bits(model(mode, av, bv, m, k, n)))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('take the products of an MLP step (784-256-256-10, batch 64) and agree with the CPU backend', async () => {
    const cases: ReadonlyArray<[Mode, number, number, number]> = [
      ['A·Bᵀ', 64, 784, 256],
      ['A·Bᵀ', 64, 256, 10],
      ['A·B', 64, 10, 256],
      ['Aᵀ·B', 256, 64, 784],
      ['Aᵀ·B', 10, 64, 256],
    ]
    for (const [mode, m, k, n] of cases) {
      const [sa, sb] = shapes(mode, m, k, n)
      const run = async (backend: string) => {
        await tf.setBackend(backend)
        const c = tf.tidy(() =>
          tf.matMul(tf.tensor(seededValues(m * k, 1), sa), tf.tensor(seededValues(k * n, 2), sb), ...flags(mode)),
        )
        const values = (await c.data()) as Float32Array
        c.dispose()
        return values
      }
      const wasm = await run('wasm')
      expect(maxRelDiff(wasm, await run('cpu'))).toBeLessThan(1e-5)
    }
  })

  it('take leading dimensions of one and keep them in the output', async () => {
    await tf.setBackend('wasm')
    const [a, b] = [tf.tensor(seededValues(15, 3), [1, 3, 5]), tf.tensor(seededValues(10, 4), [1, 5, 2])]
    const c = tf.matMul(a, b)
    expect(c.shape).toEqual([1, 3, 2])
    expect(bits(c.dataSync())).toEqual(bits(model('A·B', seededValues(15, 3), seededValues(10, 4), 3, 5, 2)))
    tf.dispose([a, b, c])
  })

  it('leave to XNNPACK what it does better: batches, Aᵀ·Bᵀ, a large A, a transposed A of many rows', async () => {
    await tf.setBackend('wasm')
    const wasm = tf.backend() as BackendWasm
    const declined: ReadonlyArray<[number[], number[], boolean, boolean]> = [
      [[2, 3, 4], [2, 4, 5], false, false],
      [[4, 3], [5, 4], true, true],
      [[1024, 512], [512, 8], false, false],
      [[8, 600], [8, 4], true, false],
    ]
    for (const [sa, sb, tA, tB] of declined) {
      const [a, b] = [tf.zeros(sa), tf.zeros(sb)]
      expect(wasmGemm(wasm, a, b, tA, tB)).toBeUndefined()
      tf.dispose([a, b])
    }
  })

  it('allocate nothing but the output', async () => {
    await tf.setBackend('wasm')
    const [a, b] = [tf.tensor(seededValues(40, 5), [8, 5]), tf.tensor(seededValues(30, 6), [6, 5])]
    tf.matMul(a, b, false, true).dispose()
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    tf.matMul(a, b, false, true).dispose()
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
    tf.dispose([a, b])
  })
})
