import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { defaultComponentTypes } from '../../../../src/selfsup/components.js'
import { buildLoss } from '../../../../src/selfsup/registry.js'
import { selectBackend } from '../../../../src/tensor/backend.js'
import { CONTRASTIVE_CROSS_ENTROPY } from '../../../../src/tensor/contrastiveCrossEntropy.js'

const head = (loss: object) =>
  buildLoss(
    defaultComponentTypes,
    { type: 'ContrastiveHead', loss: { type: 'mmcls.CrossEntropyLoss', ...loss }, temperature: 0.2 },
    'model.head',
  )

/** The head's loss and its gradient in the query, given `neg` or `query` + `queue`, and the kernels it ran. */
const run = async (loss: object, form: 'neg' | 'queue', classWeight?: number[]) => {
  const h = head(loss)
  const q = tf.randomNormal([6, 4], 0, 1, 'float32', 1)
  const pos = tf.randomNormal([6, 1], 0, 1, 'float32', 2)
  const queue = tf.randomNormal([4, 12], 0, 1, 'float32', 3)
  let out: { loss: number; gradient: Float32Array } = { loss: 0, gradient: new Float32Array() }
  const profile = await tf.profile(() => {
    const { value, grads } = tf.valueAndGrads((query: tf.Tensor) => {
      const inputs = form === 'neg' ? { pos, neg: tf.matMul(query, queue) } : { pos, query, queue }
      const attributes = classWeight === undefined ? {} : { 'head.loss.class_weight': classWeight }
      return h.forward({}, {}, 'head', inputs, { training: true, attributes }).value
    })([q])
    out = { loss: value.dataSync()[0]!, gradient: Float32Array.from(grads[0]!.dataSync()) }
    tf.dispose([value, ...grads])
    return undefined as unknown as tf.TensorContainer
  })
  const fused = profile.kernels.filter((k) => k.name === CONTRASTIVE_CROSS_ENTROPY).length
  tf.dispose([q, pos, queue])
  return { ...out, fused }
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).every((x, i) => Math.abs(x - b[i]!) < 1e-5 * Math.max(1, Math.abs(b[i]!)))

describe('ContrastiveHead against a queue (query and queue instead of neg)', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('is the same loss and gradient as with neg = query·queue, fused, loss_weight applied', async () => {
    for (const loss of [{}, { loss_weight: 2.5 }]) {
      const withNeg = await run(loss, 'neg')
      const withQueue = await run(loss, 'queue')
      expect(withQueue.fused).toBe(1)
      expect(withNeg.fused).toBe(0)
      expect(Math.abs(withQueue.loss - withNeg.loss)).toBeLessThan(1e-5 * withNeg.loss)
      expect(close(withQueue.gradient, withNeg.gradient)).toBe(true)
    }
  })

  it('with class weights (from the config or a hook) forms the logits and scores them as before', async () => {
    const weights = Array.from({ length: 13 }, (_, i) => 0.5 + i / 10)
    const configured = await run({ class_weight: weights }, 'queue')
    expect(configured.fused).toBe(0)
    expect(configured.loss).toBeCloseTo((await run({ class_weight: weights }, 'neg')).loss, 6)
    const fromHook = await run({}, 'queue', weights)
    expect(fromHook.fused).toBe(0)
    expect(fromHook.loss).toBeCloseTo((await run({}, 'neg', weights)).loss, 6)
    // Class 0's weight (0.5) scales every row's loss: not the unweighted loss.
    expect(fromHook.loss).toBeCloseTo((await run({}, 'neg')).loss * 0.5, 5)
  })
})
