import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff, seededValues } from '../../../src/tensor/opConformance.js'

type Shape4 = [number, number, number, number]
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]

// Shapes the op-conformance sweep does not reach: explicit and asymmetric padding, strides per axis,
// non-square inputs and filters, a single channel, and batches of one.
interface Case {
  readonly name: string
  readonly x: Shape4
  readonly w: Shape4
  readonly stride: number | [number, number]
  readonly pad: Pad
}
const cases: ReadonlyArray<Case> = [
  { name: 'LeNet conv1 (1 channel, valid)', x: [3, 12, 12, 1], w: [5, 5, 1, 6], stride: 1, pad: 'valid' },
  { name: 'ResNet 3×3 same', x: [2, 8, 8, 5], w: [3, 3, 5, 7], stride: 1, pad: 'same' },
  { name: 'stride 2 same, odd size', x: [2, 9, 7, 3], w: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { name: '1×1 stride 2 (downsample)', x: [2, 8, 8, 4], w: [1, 1, 4, 6], stride: 2, pad: 'valid' },
  {
    name: 'explicit asymmetric padding, strides (2, 1), 2×3 filter',
    x: [1, 7, 6, 2],
    w: [2, 3, 2, 3],
    stride: [2, 1],
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
]

const gradients = async (backend: string, c: Case) => {
  await tf.setBackend(backend)
  const x = tf.tensor(
    seededValues(
      c.x.reduce((a, b) => a * b, 1),
      3,
    ),
    c.x,
  ) as tf.Tensor4D
  const w = tf.tensor(
    seededValues(
      c.w.reduce((a, b) => a * b, 1),
      4,
    ),
    c.w,
  ) as tf.Tensor4D
  const y = tf.conv2d(x, w, c.stride, c.pad)
  // A non-uniform output gradient, so that a misplaced contribution shows.
  const dy = tf.tensor(seededValues(y.size, 5), y.shape)
  const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w])
  const values = [await dx!.data(), await dw!.data()] as const
  tf.dispose([x, w, y, dy, dx!, dw!])
  return values
}

describe('convolution gradients on WASM (one XNNPACK product each) against the CPU backend', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  for (const c of cases)
    it(c.name, async () => {
      const [cpuDx, cpuDw] = await gradients('cpu', c)
      const [wasmDx, wasmDw] = await gradients('wasm', c)
      expect(maxRelDiff(wasmDx, cpuDx)).toBeLessThan(1e-5)
      expect(maxRelDiff(wasmDw, cpuDw)).toBeLessThan(1e-5)
    })

  it('release every temporary', async () => {
    await tf.setBackend('wasm')
    const c = cases[2]!
    await gradients('wasm', c)
    // Kernel temporaries (patches, products) live in the backend, not the engine: count both.
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    await gradients('wasm', c)
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
  })
})
