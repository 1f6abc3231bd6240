import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff } from '../../../src/tensor/opConformance.js'
import { crossEntropyOps, SOFTMAX_CROSS_ENTROPY, softmaxCrossEntropy } from '../../../src/tensor/softmaxCrossEntropy.js'

type Loss = (z: tf.Tensor, y: tf.Tensor) => tf.Scalar

/** The loss times 3 and its gradient, so that the upstream gradient is not 1. */
const lossAndGradient = (loss: Loss, logits: number[][], labels: number[]) => {
  const z = tf.tensor2d(logits)
  const y = tf.tensor1d(labels, 'int32')
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.mul(loss(x, y), 3) as tf.Scalar)(z)
  const out = { loss: value.dataSync()[0]!, gradient: Array.from(grad.dataSync()) }
  tf.dispose([z, y, value, grad])
  return out
}

// Batches of logits up to ±30 and labels, now and then outside [0, classes) (they contribute nothing); two
// classes at least, as tfjs's oneHot (the composed route) wants.
const batch = fc.integer({ min: 2, max: 12 }).chain((classes) =>
  fc
    .array(
      fc.record({
        row: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -30, max: 30 }), {
          minLength: classes,
          maxLength: classes,
        }),
        label: fc.integer({ min: -1, max: classes }),
      }),
      { minLength: 1, maxLength: 9 },
    )
    .map((rows) => ({ logits: rows.map((r) => r.row), labels: rows.map((r) => r.label) })),
)

describe('the fused softmax cross-entropy', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('is one kernel on WASM and agrees with the composed ops, loss and gradient, labels out of range too', async () => {
    await tf.setBackend('wasm')
    expect(tf.getKernel(SOFTMAX_CROSS_ENTROPY, 'wasm')).toBeDefined()
    fc.assert(
      fc.property(batch, ({ logits, labels }) => {
        const fused = lossAndGradient(softmaxCrossEntropy, logits, labels)
        const ops = lossAndGradient(crossEntropyOps, logits, labels)
        expect(maxRelDiff([fused.loss], [ops.loss])).toBeLessThan(2e-6)
        // Gradients are at most 3/n in size: compare absolutely, at float32 resolution of the composed route.
        for (const [i, g] of fused.gradient.entries()) expect(Math.abs(g - ops.gradient[i]!)).toBeLessThan(3e-6)
      }),
      { numRuns: 200 },
    )
  })

  it('gives log 2 for two equal logits, and F.cross_entropy of a known batch', async () => {
    await tf.setBackend('wasm')
    expect(lossAndGradient(softmaxCrossEntropy, [[0, 0]], [1]).loss).toBeCloseTo(3 * Math.LN2, 6)
    // torch: F.cross_entropy(tensor([[1., 2., 3.], [1., 0., -1.]]), tensor([2, 0])) = 0.4076059644
    const { loss } = lossAndGradient(
      softmaxCrossEntropy,
      [
        [1, 2, 3],
        [1, 0, -1],
      ],
      [2, 0],
    )
    expect(loss / 3).toBeCloseTo(0.4076059644, 6)
  })

  it('on a backend without the kernel, is the composed ops', async () => {
    await tf.setBackend('cpu')
    const logits = [
      [0.5, -1, 2],
      [3, 0, 1],
    ]
    expect(lossAndGradient(softmaxCrossEntropy, logits, [0, 2])).toEqual(
      lossAndGradient(crossEntropyOps, logits, [0, 2]),
    )
  })

  it('leaves no tensor behind, with or without a gradient, for int32 and float32 labels', async () => {
    await tf.setBackend('wasm')
    const z = tf.tensor2d([
      [1, 2],
      [3, 4],
    ])
    const labels = [tf.tensor1d([0, 1], 'int32'), tf.tensor1d([1, 0])]
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    for (const y of labels) {
      softmaxCrossEntropy(z, y).dispose()
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => softmaxCrossEntropy(x, y))(z)
      tf.dispose([value, grad])
    }
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
    tf.dispose([z, ...labels])
  })
})
