import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff } from '../../../src/tensor/opConformance.js'
import { setWasmGemm } from '../../../src/tensor/wasmGemm.js'
import { seededTensor } from '../../support/kernels.js'

const tensor = (shape: number[], seed: number) => seededTensor(shape, seed)

// A layer's forward x·Wᵀ at a small batch: more weights than activations, so the corrected kernel
// computes (W·xᵀ)ᵀ.
interface Product {
  readonly name: string
  readonly a: number[]
  readonly b: number[]
  readonly tA: boolean
  readonly tB: boolean
}
const products: ReadonlyArray<Product> = [
  { name: 'x·Wᵀ, 8×96 · (40×96)ᵀ (swapped)', a: [8, 96], b: [40, 96], tA: false, tB: true },
  { name: 'x·Wᵀ, batched rank 3 of one (swapped)', a: [1, 6, 50], b: [1, 30, 50], tA: false, tB: true },
  { name: 'Aᵀ·Bᵀ, 30×5 and 7×30 (swapped)', a: [30, 5], b: [7, 30], tA: true, tB: true },
  { name: 'dyᵀ·x, 8×40 and 8×96 (direct)', a: [8, 40], b: [8, 96], tA: true, tB: false },
  { name: 'dy·W, 8×40 · 40×96 (direct)', a: [8, 40], b: [40, 96], tA: false, tB: false },
]

const product = async (backend: string, p: Product): Promise<Float32Array> => {
  await tf.setBackend(backend)
  const [a, b] = [tensor(p.a, 1), tensor(p.b, 2)]
  const c = tf.matMul(a, b, p.tA, p.tB)
  const values = (await c.data()) as Float32Array
  tf.dispose([a, b, c])
  return values
}

describe('matrix products on WASM: transposed operands, direct or swapped (C = (Bᵀ·Aᵀ)ᵀ)', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  for (const p of products)
    it(`${p.name} agrees with the CPU backend`, async () => {
      expect(maxRelDiff(await product('wasm', p), await product('cpu', p))).toBeLessThan(1e-5)
    })

  it('the swapped product is bit-identical to transposing the weights first', async () => {
    await tf.setBackend('wasm')
    // Products this small go through the compiled tiles (wasmGemm.test.ts); the swap is XNNPACK's route.
    setWasmGemm(false)
    const [x, w] = [tensor([8, 96], 3), tensor([40, 96], 4)]
    const swapped = await tf.tidy(() => tf.matMul(x, w, false, true)).data()
    const direct = await tf.tidy(() => tf.matMul(x, tf.transpose(w))).data()
    setWasmGemm(true)
    expect(Array.from(swapped)).toEqual(Array.from(direct))
    tf.dispose([x, w])
  })

  it('releases its temporaries', async () => {
    await tf.setBackend('wasm')
    const [x, w] = [tensor([8, 96], 3), tensor([40, 96], 4)]
    tf.matMul(x, w, false, true).dispose()
    // Kernel temporaries live in the backend, not the engine: count both.
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    tf.matMul(x, w, false, true).dispose()
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
    tf.dispose([x, w])
  })
})
