import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import '../../../../src/tensor/gradients.js'
import * as Models from '../../../../src/models/registry.js'
import { allModelTypes } from '../../../../src/selfsup/algorithms/registry.js'
import { selectBackend } from '../../../../src/tensor/backend.js'
import { CONTRASTIVE_CROSS_ENTROPY } from '../../../../src/tensor/contrastiveCrossEntropy.js'
import { algorithmConfigs, gradientGap, profiledStep } from './support.js'

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

describe('MoCo', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('scores the queue without forming the logits on WASM; a weighted loss forms them, same value', async () => {
    await tf.setBackend('wasm')
    const s = await step()
    // The same loss with the logits formed: class_weight all ones takes mmcls's weighted route, not the fused kernel.
    const formed = await step({ ...headOf(), loss: { type: 'mmcls.CrossEntropyLoss', class_weight: [1] } })
    expect(s.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(1)
    expect(formed.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(0)
    expect(s.peak).toBeLessThan(formed.peak - 2 * BATCH * (QUEUE + 1) * 4)
    expect(s.leaked).toBe(0)
    expect(Math.abs(s.loss - formed.loss)).toBeLessThan(1e-4 * formed.loss)
    expect(gradientGap(s.gradients, formed.gradients)).toBeLessThan(2e-3)
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
})
