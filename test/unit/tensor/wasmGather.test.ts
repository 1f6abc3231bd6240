import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff, seededValues } from '../../../src/tensor/opConformance.js'
import '../../../src/tensor/gradients.js'
import { rowsBeyondHeap, seededTensor, wasmHeapBytes } from '../../support/kernels.js'

type DType = 'float32' | 'int32' | 'bool'

const input = (shape: number[], dtype: DType, seed: number) => seededTensor(shape, seed, dtype, 100)

/** Seeded indices in [0, size). */
const indicesOf = (shape: number[], size: number, seed: number) =>
  tf.tensor(
    seededValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ).map((v) => Math.min(size - 1, Math.floor(((v + 1) / 2) * size))),
    shape,
    'int32',
  )

/** `tf.gather(x, indices, axis, batchDims)` on a backend, as its shape and plain values. */
const gathered = async (
  backend: string,
  shape: number[],
  indexShape: number[],
  axis: number,
  batchDims: number,
  dtype: DType,
) => {
  await tf.setBackend(backend)
  const x = input(shape, dtype, 3)
  const indices = indicesOf(indexShape, shape.at(axis)!, 5)
  const y = tf.gather(x, indices, axis, batchDims)
  const out = { shape: y.shape, values: Array.from(await y.data()) }
  tf.dispose([x, indices, y])
  return out
}

/** An embedding's gradient through `tf.gather`, and the tensors it left behind. */
const embeddingGrad = async (backend: string) => {
  await tf.setBackend(backend)
  const table = input([50, 8], 'float32', 1)
  const ids = indicesOf([6, 7], 50, 2)
  const before = tf.memory().numTensors
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, ids))))(table)
  const out = Array.from(await g.data())
  g.dispose()
  const leaked = tf.memory().numTensors - before
  tf.dispose([table, ids])
  return { out, leaked }
}

describe("WASM's GatherV2 equals the CPU backend's", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('rows of an embedding table, and a minibatch of images drawn by index', async () => {
    for (const [shape, indexShape] of [
      [
        [40, 20],
        [3, 5],
      ],
      [[30, 6, 6, 1], [8]],
    ] as const) {
      const wasm = await gathered('wasm', [...shape], [...indexShape], 0, 0, 'float32')
      expect(wasm.shape).toEqual([...indexShape, ...shape.slice(1)])
      expect(wasm).toEqual(await gathered('cpu', [...shape], [...indexShape], 0, 0, 'float32'))
    }
  })

  it('any shape, axis (negative too) and batch dimensions, float32, int32 and bool', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 2 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        fc.constantFrom<DType>('float32', 'int32', 'bool'),
        async (shape, extra, axisPick, batchPick, negative, dtype) => {
          const batchDims = batchPick % Math.min(shape.length, 2)
          const axis = batchDims + (axisPick % (shape.length - batchDims))
          // The indices' leading batch dimensions are x's; then any shape.
          const indexShape = [...shape.slice(0, batchDims), ...extra]
          const named = negative ? axis - shape.length : axis
          expect(await gathered('wasm', shape, indexShape, named, batchDims, dtype)).toEqual(
            await gathered('cpu', shape, indexShape, axis, batchDims, dtype),
          )
        },
      ),
      { numRuns: 150 },
    )
  })

  it('an index out of range is an error, as on the CPU backend', async () => {
    await tf.setBackend('wasm')
    const x = tf.ones([4, 2])
    const bad = tf.tensor1d([1, 4], 'int32')
    expect(() => tf.gather(x, bad)).toThrow('GatherV2: the index value 4 is not in [0, 3]')
    tf.dispose([x, bad])
  })

  it("an embedding's gradient agrees with the CPU backend's and leaves no tensors", async () => {
    const wasm = await embeddingGrad('wasm')
    const cpu = await embeddingGrad('cpu')
    expect(wasm.leaked).toBe(0)
    expect(maxRelDiff(wasm.out, cpu.out)).toBeLessThan(1e-6)
  })

  it('reads the indices after its output is allocated, also when that allocation grows the heap', async () => {
    await tf.setBackend('wasm')
    const before = wasmHeapBytes()
    // An output larger than the whole heap: its allocation must grow it, detaching views taken before.
    const rows = rowsBeyondHeap(1024)
    const x = tf.tensor2d([...Array(1024).fill(1), ...Array(1024).fill(2)], [2, 1024])
    const indices = tf.tensor1d(
      Int32Array.from({ length: rows }, (_, i) => i % 2),
      'int32',
    )
    const y = tf.gather(x, indices)
    expect(wasmHeapBytes()).toBeGreaterThan(before)
    const values = y.dataSync()
    for (const row of [0, 1, rows - 2, rows - 1]) {
      expect(values[row * 1024]).toBe(1 + (row % 2))
      expect(values[row * 1024 + 1023]).toBe(1 + (row % 2))
    }
    tf.dispose([x, indices, y])
  })
})
