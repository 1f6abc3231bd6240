import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import '../../../../src/tensor/gradients.js'
import type { Model } from '../../../../src/models/Model.js'
import * as Models from '../../../../src/models/registry.js'
import { allModelTypes } from '../../../../src/selfsup/algorithms/registry.js'
import { selectBackend } from '../../../../src/tensor/backend.js'
import { CONTRASTIVE_CROSS_ENTROPY } from '../../../../src/tensor/contrastiveCrossEntropy.js'
import { algorithmConfigs, gradientGap, profiledStep } from './support.js'

const BATCH = 8
// A long queue, so that the dense logits (8 images × 16 cells × 8,193 columns, 4.2 MB) outweigh everything else
// the step holds, as at batch 256 on Fashion-MNIST (12,544 × 4,097, 205 MB per copy).
const QUEUE = 8192
const config = { ...(algorithmConfigs['DenseCL'] as object), queue_len: QUEUE }

const build = (): Model => {
  const built = Models.build(config, allModelTypes)
  if (built._tag === 'Left') throw new Error(built.left.map((i) => `${i.path}: ${i.message}`).join('; '))
  return built.right
}

/** One differentiated step at `loss_lambda`: losses, gradients by name, its tf.profile, its convolutions. */
const step = async (lambda: number) => {
  const s = await profiledStep(build(), BATCH, { loss_lambda: lambda }, (l) =>
    tf.addN([l['loss_single']!, l['loss_dense']!]),
  )
  const convolutions = Object.entries(s.ranks).filter(([n, rank]) => n.startsWith('backbone.') && rank === 4).length
  return { ...s, convolutions }
}

describe('DenseCL', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('never holds a tensor the size of the dense logits (at batch 256 the step filled the 4 GB heap)', async () => {
    await tf.setBackend('wasm')
    const s = await step(0.5)
    const denseLogits = BATCH * 16 * (QUEUE + 1) * 4
    expect(s.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(2)
    expect(s.peak).toBeLessThan(denseLogits)
    expect(s.leaked).toBe(0)
  })

  it('differentiates the online encoder only: the backward pass never enters the momentum encoder', async () => {
    await tf.setBackend('wasm')
    const s = await step(0.5)
    // One filter gradient per online convolution; the key encoder (same backbone) adds none.
    expect(s.calls('Conv2DBackpropFilter')).toBe(s.convolutions)
    expect(Object.keys(s.gradients).some((n) => n.startsWith('encoder_k'))).toBe(false)
  })

  it('agrees with the composed contrastive loss (the CPU backend), losses and gradients', async () => {
    await tf.setBackend('wasm')
    const fused = await step(0.5)
    await tf.setBackend('cpu')
    const composed = await step(0.5)
    for (const name of ['loss_single', 'loss_dense'])
      expect(Math.abs(fused.losses[name]! - composed.losses[name]!)).toBeLessThan(1e-4 * composed.losses[name]!)
    expect(gradientGap(fused.gradients, composed.gradients)).toBeLessThan(2e-3)
  })

  it('with loss_lambda 0 (DenseCLHook before start_iters) gives loss_dense 0 without computing it', async () => {
    await tf.setBackend('wasm')
    const off = await step(0)
    const on = await step(0.5)
    expect(off.losses['loss_dense']).toBe(0)
    expect(off.calls(CONTRASTIVE_CROSS_ENTROPY)).toBe(1)
    // The same global loss, now at full weight; the grid projection, which only the dense loss reaches, gets 0.
    expect(off.losses['loss_single']).toBeCloseTo(on.losses['loss_single']! / 0.5, 5)
    const grid = Object.keys(off.gradients).filter((n) => n.startsWith('neck.mlp2.'))
    expect(grid.length).toBeGreaterThan(0)
    for (const n of grid) expect(off.gradients[n]!.every((g) => g === 0)).toBe(true)
    for (const n of grid) expect(on.gradients[n]!.some((g) => g !== 0)).toBe(true)
  })
})
