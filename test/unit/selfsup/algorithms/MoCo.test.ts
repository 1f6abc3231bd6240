import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import '../../../../src/tensor/gradients.js'
import * as Models from '../../../../src/models/registry.js'
import { allModelTypes } from '../../../../src/selfsup/algorithms/registry.js'
import { selectBackend } from '../../../../src/tensor/backend.js'
import { CONTRASTIVE_CROSS_ENTROPY } from '../../../../src/tensor/contrastiveCrossEntropy.js'
import { algorithmConfigs, profiledStep } from './support.js'

const BATCH = 8
// A long queue, so that the logits (8 × 16,385 values, 524 kB) outweigh everything else the step holds.
const QUEUE = 16384

/** One differentiated step of MoCo with `head` (the config's when absent), with a queue of `QUEUE` keys. */
const step = async (head?: object) => {
  const config = { ...(algorithmConfigs['MoCo'] as { head: object }), queue_len: QUEUE }
  const built = Models.build(head === undefined ? config : { ...config, head }, allModelTypes)
  if (built._tag === 'Left') throw new Error(built.left.map((i) => `${i.path}: ${i.message}`).join('; '))
  const s = await profiledStep(built.right, BATCH, {}, (l) => l['loss']!)
  return { ...s, loss: s.losses['loss']! }
}

const headOf = () => ({ ...(algorithmConfigs['MoCo'] as { head: object }).head })

/** The largest gradient difference over each gradient's own scale. */
const gradientGap = (a: { [name: string]: Float32Array }, b: { [name: string]: Float32Array }) => {
  let worst = 0
  for (const [name, g] of Object.entries(b)) {
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs))
    g.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - a[name]![i]!) / scale)
    })
  }
  return worst
}

describe('MoCo', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('scores the queue without forming the n × (Q + 1) logits on WASM', async () => {
    await tf.setBackend('wasm')
    const s = await step()
    // The same loss with the logits formed (class_weight all ones takes mmcls's weighted route).
    const formed = await step({ ...headOf(), loss: { type: 'mmcls.CrossEntropyLoss', class_weight: [1] } })
    expect(s.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(1)
    expect(s.peak).toBeLessThan(formed.peak - 2 * BATCH * (QUEUE + 1) * 4)
    expect(s.leaked).toBe(0)
  })

  it('agrees with the composed contrastive loss (the CPU backend), loss and gradients', async () => {
    await tf.setBackend('wasm')
    const fused = await step()
    await tf.setBackend('cpu')
    const composed = await step()
    expect(composed.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(0)
    expect(Math.abs(fused.loss - composed.loss)).toBeLessThan(1e-4 * composed.loss)
    expect(gradientGap(fused.gradients, composed.gradients)).toBeLessThan(2e-3)
  })

  it('forms the logits for another loss; with class weights all 1 the value is the same', async () => {
    await tf.setBackend('wasm')
    const plain = await step()
    // class_weight all ones: the same loss through mmcls's weighted route, which the fused kernel does not take.
    const ones = await step({ ...headOf(), loss: { type: 'mmcls.CrossEntropyLoss', class_weight: [1] } })
    expect(ones.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(0)
    expect(Math.abs(plain.loss - ones.loss)).toBeLessThan(1e-4 * plain.loss)
    expect(gradientGap(plain.gradients, ones.gradients)).toBeLessThan(2e-3)
  })
})
