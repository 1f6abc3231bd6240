import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import '../../../../src/tensor/gradients.js'
import { crossEntropyLoss } from '../../../../src/selfsup/losses/CrossEntropyLoss.js'
import { selectBackend } from '../../../../src/tensor/backend.js'
import { SOFTMAX_CROSS_ENTROPY, crossEntropyOps } from '../../../../src/tensor/softmaxCrossEntropy.js'

beforeAll(async () => {
  await Effect.runPromise(selectBackend('cpu'))
  await Effect.runPromise(selectBackend('wasm'))
})

const logits = () =>
  tf.tensor2d(
    Array.from({ length: 6 * 9 }, (_, i) => Math.sin(i * 1.7) * 4),
    [6, 9],
  )
const labels = () => tf.tensor1d([0, 3, 8, 1, 1, 5], 'int32')

describe("mmcls's CrossEntropyLoss as MMSelfSup's heads use it", () => {
  it('without class weights: the fused kernel on WASM, with the value and gradient of the composed ops', async () => {
    await tf.setBackend('wasm')
    const [z, y] = [logits(), labels()]
    const before = tf.memory().numTensors
    let value = 0
    const profile = await tf.profile(() => {
      const { value: v, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropyLoss(x, y))(z)
      value = v.dataSync()[0]!
      const composed = tf.valueAndGrad((x: tf.Tensor) => crossEntropyOps(x, y))(z)
      expect(value).toBeCloseTo(composed.value.dataSync()[0]!, 5)
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(grad, composed.grad))).dataSync()[0]!)
      expect(gap).toBeLessThan(1e-6)
      tf.dispose([v, grad, composed.value, composed.grad])
      return undefined as unknown as tf.TensorContainer
    })
    expect(profile.kernels.filter((k) => k.name === SOFTMAX_CROSS_ENTROPY)).toHaveLength(1)
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([z, y])
  })

  it("with class weights: each sample's loss times its class's weight, then the plain mean (mmcls)", async () => {
    await tf.setBackend('cpu')
    const loss = tf.tidy(
      () =>
        crossEntropyLoss(
          tf.tensor2d([
            [0, 0],
            [1, 0],
          ]),
          tf.tensor1d([0, 1], 'int32'),
          [1, 3],
        ).dataSync()[0]!,
    )
    // (log 2 · 1 + log(e + 1) · 3) / 2, not divided by the weights' sum as PyTorch's weighted mean would be.
    expect(loss).toBeCloseTo((Math.log(2) + 3 * Math.log(Math.E + 1)) / 2, 5)
  })
})
