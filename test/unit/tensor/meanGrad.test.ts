import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import '../../../src/tensor/gradients.js'
import { MEAN_GRAD, meanLayout } from '../../../src/tensor/meanGrad.js'

// Upstream gradients where a division is delicate: ±0, NaN, ±∞, subnormals, large and ordinary values.
const value = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -3e-39, 3e38),
  fc.float({ noNaN: true, min: -5, max: 5 }),
)

const bitsOf = (t: tf.Tensor): string[] =>
  Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer), (b) =>
    Number.isNaN(new Float32Array(new Uint32Array([b]).buffer)[0]) ? 'NaN' : String(b),
  )

/** The gradient of `Σ mean(x, axes)·dy` as the registered gradient computes it, with the kernels it ran. */
const gradient = (shape: number[], axes: number[], keepDims: boolean, dy: (n: number) => number[]) => {
  const x = tf.zeros(shape)
  const y = tf.mean(x, axes, keepDims)
  const w = tf.tensor(dy(y.size), y.shape)
  let g: tf.Tensor | undefined
  const kernels = tf.profile(() => {
    g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, axes, keepDims), w)))(x)
    return g
  })
  return kernels.then((info) => {
    const out = { bits: bitsOf(g!), kernels: info.kernels.map((k) => k.name) }
    tf.dispose([x, y, w, g!])
    return out
  })
}

/** tfjs's own composition of the same gradient, `dy · ones(x.shape) / n`, with `dy` reshaped over the axes. */
const composed = (shape: number[], axes: number[], dy: (n: number) => number[]): string[] =>
  tf.tidy(() => {
    const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d))
    const n = axes.reduce((p, a) => p * shape[a]!, 1)
    const g = tf.tensor(dy(kept.reduce((a, b) => a * b, 1)), kept)
    return bitsOf(tf.div(tf.mul(g, tf.ones(shape)), n))
  })

const shapeAndAxes = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc
      .tuple(fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 0, max: shape.length - 1 }))
      .map(([a, b]) => ({ shape, axes: Array.from({ length: Math.abs(a - b) + 1 }, (_, i) => Math.min(a, b) + i) })),
  )

describe("Mean's gradient as one kernel", () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('reads the input as [outer, reduced, inner] over consecutive axes only', () => {
    expect(meanLayout([256, 7, 7, 64], [1, 2])).toEqual({ outer: 256, reduced: 49, inner: 64 })
    expect(meanLayout([4, 5], [-1])).toEqual({ outer: 4, reduced: 5, inner: 1 })
    expect(meanLayout([2, 3, 4], [0, 1, 2])).toEqual({ outer: 1, reduced: 24, inner: 1 })
    expect(meanLayout([2, 3, 4], [0, 2])).toBeUndefined()
  })

  it("gives tfjs's dy · ones / n bit for bit on WASM over consecutive axes, kept dimensions or not", async () => {
    await tf.setBackend('wasm')
    await fc.assert(
      fc.asyncProperty(
        shapeAndAxes,
        fc.boolean(),
        fc.array(value, { minLength: 1, maxLength: 40 }),
        async (c, keep, pool) => {
          const dy = (n: number) => Array.from({ length: n }, (_, i) => pool[i % pool.length]!)
          const { bits, kernels } = await gradient(c.shape, c.axes, keep, dy)
          expect(kernels).toContain(MEAN_GRAD)
          expect(bits).toEqual(composed(c.shape, c.axes, dy))
        },
      ),
      { numRuns: 150 },
    )
  })

  it("keeps tfjs's gradient for axes that are not consecutive and on the CPU backend: the same bits", async () => {
    const dy = (n: number) => Array.from({ length: n }, (_, i) => (i * 0.37) % 3)
    await tf.setBackend('wasm')
    const split = await gradient([2, 3, 4], [0, 2], false, dy)
    expect(split.kernels).not.toContain(MEAN_GRAD)
    expect(split.bits).toEqual(composed([2, 3, 4], [0, 2], dy))
    const pooled = await gradient([3, 7, 7, 8], [1, 2], false, dy)
    await tf.setBackend('cpu')
    const cpu = await gradient([3, 7, 7, 8], [1, 2], false, dy)
    expect(cpu.kernels).not.toContain(MEAN_GRAD)
    expect(pooled.bits).toEqual(cpu.bits)
    await tf.setBackend('wasm')
  })
})
