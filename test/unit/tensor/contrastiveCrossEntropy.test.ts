import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import {
  CONTRASTIVE_CROSS_ENTROPY,
  contrastiveCrossEntropy,
  contrastiveCrossEntropyOps,
  contrastiveRow,
} from '../../../src/tensor/contrastiveCrossEntropy.js'
import { BLOCK_ROWS } from '../../../src/tensor/wasmContrastiveCrossEntropy.js'

type Loss = typeof contrastiveCrossEntropy

interface Case {
  readonly pos: number[]
  readonly query: number[][]
  readonly queue: number[][]
  readonly temperature: number
}

/** The loss times 3 and its gradients in pos and query, so that the upstream gradient is not 1. */
const lossAndGradients = (loss: Loss, c: Case) => {
  const [pos, query, queue] = [tf.tensor2d(c.pos, [c.pos.length, 1]), tf.tensor2d(c.query), tf.tensor2d(c.queue)]
  const { value, grads } = tf.valueAndGrads(
    (p: tf.Tensor, q: tf.Tensor) => tf.mul(loss(p, q, queue, c.temperature), 3) as tf.Scalar,
  )([pos, query])
  const out = {
    loss: value.dataSync()[0]!,
    pos: Array.from(grads[0]!.dataSync()),
    query: Array.from(grads[1]!.dataSync()),
  }
  tf.dispose([pos, query, queue, value, ...grads])
  return out
}

const matrix = (rows: number, cols: number, max: number) =>
  fc.array(fc.array(fc.float({ noNaN: true, min: -max, max }), { minLength: cols, maxLength: cols }), {
    minLength: rows,
    maxLength: rows,
  })

// Rows across a block boundary now and then, queues of every length mod 4 (the compiled rows and the JS rows),
// logits up to ±200 (temperature down to 0.05), so that the exponentials underflow.
const cases = fc
  .record({
    n: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: BLOCK_ROWS - 2, max: BLOCK_ROWS + 3 })),
    d: fc.integer({ min: 1, max: 6 }),
    q: fc.integer({ min: 1, max: 13 }),
    temperature: fc.double({ min: 0.05, max: 2, noNaN: true }),
  })
  .chain(({ n, d, q, temperature }) =>
    fc.record({
      pos: fc.array(fc.float({ noNaN: true, min: -4, max: 4 }), { minLength: n, maxLength: n }),
      query: matrix(n, d, 2),
      queue: matrix(d, q, 1),
      temperature: fc.constant(temperature),
    }),
  )

describe('the contrastive cross-entropy against a queue', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('is one kernel on WASM and agrees with the composed ops: loss, gradient in pos and in query', async () => {
    await tf.setBackend('wasm')
    expect(tf.getKernel(CONTRASTIVE_CROSS_ENTROPY, 'wasm')).toBeDefined()
    fc.assert(
      fc.property(cases, (c) => {
        const fused = lossAndGradients(contrastiveCrossEntropy, c)
        const ops = lossAndGradients(contrastiveCrossEntropyOps, c)
        // The composed route rounds its logits and log-softmax to float32: a few ulp of the largest logit.
        const scale = Math.max(1, ...c.pos.map(Math.abs)) / c.temperature
        expect(Math.abs(fused.loss - ops.loss)).toBeLessThan(3 * 4e-6 * scale)
        // Gradients are at most 3/(nτ) in size: compare at float32 resolution of that.
        const n = c.pos.length
        const tolerance = (3 / (n * c.temperature)) * 4e-6 * scale
        for (const [i, g] of fused.pos.entries()) expect(Math.abs(g - ops.pos[i]!)).toBeLessThan(tolerance)
        const d = c.queue.length
        for (const [i, g] of fused.query.entries()) expect(Math.abs(g - ops.query[i]!)).toBeLessThan(d * tolerance)
      }),
      { numRuns: 150 },
    )
  })

  it('gives log(1 + Q) when every logit is equal, and F.cross_entropy of a known case', async () => {
    await tf.setBackend('wasm')
    const equal = lossAndGradients(contrastiveCrossEntropy, {
      pos: [0, 0],
      query: [
        [1, 0],
        [0, 1],
      ],
      queue: [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      temperature: 0.2,
    })
    expect(equal.loss / 3).toBeCloseTo(Math.log(5), 6)
    // pos 1 and q·K = [2, −1, 0, 0.5]: torch's F.cross_entropy(tensor([[1., 2., -1., 0., 0.5]]) / 0.5, tensor([0]))
    const known = lossAndGradients(contrastiveCrossEntropy, {
      pos: [1],
      query: [[1, 2]],
      queue: [
        [2, 1, 0.5, 0.5],
        [0, -1, -0.25, 0],
      ],
      temperature: 0.5,
    })
    const logits = [1, 2, -1, 0, 0.5].map((z) => z / 0.5)
    const lse = Math.log(logits.reduce((s, z) => s + Math.exp(z), 0))
    expect(known.loss / 3).toBeCloseTo(lse - logits[0]!, 5)
    expect(known.loss / 3).toBeCloseTo(2.1872399, 5)
  })

  it('computes exponentials to float32 accuracy over the whole range, underflow included', async () => {
    await tf.setBackend('wasm')
    // One row of 4,096 negatives, logits from −120 to +20 (after τ): the compiled rows against float64.
    const q = 4096
    const neg = Float32Array.from({ length: q }, (_, j) => -24 + (28 * j) / q)
    const c: Case = { pos: [0.3], query: [[1]], queue: [Array.from(neg)], temperature: 0.2 }
    const fused = lossAndGradients(contrastiveCrossEntropy, c)
    const gradient = new Float32Array(q)
    const reference = contrastiveRow(0.3, neg, 0.2, 1, gradient)
    expect(Math.abs(fused.loss / 3 - reference.loss)).toBeLessThan(1e-6 * Math.abs(reference.loss) + 1e-6)
    expect(Math.abs(fused.pos[0]! / 3 - reference.posGradient)).toBeLessThan(1e-6)
    // d/dquery = Σ_j g_j·neg_j (one query feature): the compiled softmax agrees with float64 to float32 sums.
    const expected = gradient.reduce((s, g, j) => s + g * neg[j]!, 0)
    expect(Math.abs(fused.query[0]! / 3 - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)))
  })

  it('never holds a logits-sized tensor, where the composed route holds several', async () => {
    await tf.setBackend('wasm')
    const [n, d, q] = [512, 16, 1024]
    const logitsBytes = n * (q + 1) * 4
    const pos = tf.randomNormal([n, 1])
    const query = tf.randomNormal([n, d])
    const queue = tf.randomNormal([d, q])
    const peak = async (loss: Loss) => {
      const info = await tf.profile(() => {
        const { value, grads } = tf.valueAndGrads((p: tf.Tensor, x: tf.Tensor) => loss(p, x, queue, 0.2))([pos, query])
        tf.dispose([value, ...grads])
        return undefined as unknown as tf.TensorContainer
      })
      return info.peakBytes - info.newBytes
    }
    const before = tf.memory().numTensors
    const fusedPeak = await peak(contrastiveCrossEntropy)
    const composedPeak = await peak(contrastiveCrossEntropyOps)
    expect(fusedPeak).toBeLessThan(logitsBytes / 4)
    expect(composedPeak).toBeGreaterThan(2 * logitsBytes)
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([pos, query, queue])
  })

  it('on a backend without the kernel, is the composed ops; shapes that do not fit are named', async () => {
    await tf.setBackend('cpu')
    const c: Case = {
      pos: [0.5, -1],
      query: [
        [1, 0.5],
        [-0.5, 2],
      ],
      queue: [
        [0.1, 0.2, -0.3],
        [0.4, -0.5, 0.6],
      ],
      temperature: 0.3,
    }
    expect(lossAndGradients(contrastiveCrossEntropy, c)).toEqual(lossAndGradients(contrastiveCrossEntropyOps, c))
    const bad = () => contrastiveCrossEntropy(tf.zeros([2, 1]), tf.zeros([2, 3]), tf.zeros([2, 5]), 0.2)
    expect(bad).toThrow(/query \[2,3\] and queue \[2,5\] do not fit/)
  })
})
