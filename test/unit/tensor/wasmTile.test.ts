import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff } from '../../../src/tensor/opConformance.js'
import { setWasmCorrections } from '../../../src/tensor/wasmKernels.js'
import '../../../src/tensor/gradients.js'
import { seededTensor } from '../../support/kernels.js'

type DType = 'float32' | 'int32' | 'bool'

const input = (shape: number[], dtype: DType, seed: number) => seededTensor(shape, seed, dtype, 100)

/** `tf.tile(x, reps)` on a backend, as its shape and plain values. */
const tiled = async (backend: string, shape: number[], reps: number[], dtype: DType) => {
  await tf.setBackend(backend)
  const x = input(shape, dtype, 7)
  const y = tf.tile(x, reps)
  const out = { shape: y.shape, values: Array.from(await y.data()) }
  tf.dispose([x, y])
  return out
}

/** The gradients of a `tf.batchNorm` with a rank-1 mean (the gradient tiles the variance per channel). */
const batchNormGrads = async (backend: string, shape: number[]) => {
  await tf.setBackend(backend)
  const c = shape.at(-1)!
  const x = input(shape, 'float32', 1)
  const [mean, variance, offset, scale] = [2, 3, 4, 5].map((seed) => input([c], 'float32', seed))
  const positive = tf.tidy(() => tf.add(tf.abs(variance!), 1))
  const before = tf.memory().numTensors
  const grads = tf.grads((a: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
    tf.sum(tf.square(tf.batchNorm(a, mean!, positive, o, s, 1e-3))),
  )([x, offset!, scale!])
  const out = await Promise.all(grads.map(async (g) => Array.from(await g.data())))
  tf.dispose(grads)
  const leaked = tf.memory().numTensors - before
  tf.dispose([x, mean!, variance!, offset!, scale!, positive])
  return { out, leaked }
}

describe("WASM's Tile equals the CPU backend's", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('a per-channel vector tiled over a batch of images, as the batch-norm gradient does', async () => {
    const args = [[1, 1, 1, 3], [2, 4, 5, 1], 'float32'] as const
    const wasm = await tiled('wasm', [...args[0]], [...args[1]], args[2])
    expect(wasm.shape).toEqual([2, 4, 5, 3])
    expect(wasm).toEqual(await tiled('cpu', [...args[0]], [...args[1]], args[2]))
  })

  it('any shape, any repetitions (0 included), float32, int32 and bool', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.constantFrom<DType>('float32', 'int32', 'bool'),
        async (axes, dtype) => {
          const shape = axes.map(([s]) => s)
          const reps = axes.map(([, r]) => r)
          expect(await tiled('wasm', shape, reps, dtype)).toEqual(await tiled('cpu', shape, reps, dtype))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('is the stock kernel with the corrections off (same values)', async () => {
    setWasmCorrections(false)
    try {
      expect(await tiled('wasm', [2, 1, 3], [2, 3, 1], 'float32')).toEqual(
        await tiled('cpu', [2, 1, 3], [2, 3, 1], 'float32'),
      )
    } finally {
      setWasmCorrections(true)
    }
  })

  it("tf.batchNorm's gradients (x, offset, scale) agree with the CPU backend's and leave no tensors", async () => {
    for (const shape of [
      [4, 5, 6, 3],
      [8, 16],
    ]) {
      const wasm = await batchNormGrads('wasm', shape)
      const cpu = await batchNormGrads('cpu', shape)
      expect(wasm.leaked).toBe(0)
      for (const [i, g] of wasm.out.entries()) expect(maxRelDiff(g, cpu.out[i]!)).toBeLessThan(1e-4)
    }
  })
})
