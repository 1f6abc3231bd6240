import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import * as Models from '../../../src/models/registry.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

const small = { type: 'ResNet', stage_blocks: [1, 1], base_channels: 4, in_channels: 1, img_size: 8, num_classes: 3 }
const build = (extra: object) => {
  const built = Models.build({ ...small, ...extra })
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right
}

describe('frozen_stages and norm_eval', () => {
  it('frozen_stages=1 freezes the stem and the first stage only', () => {
    const trainable = build({ frozen_stages: 1 })
      .info.params.filter((p) => p.requiresGrad)
      .map((p) => p.name)
    expect(
      trainable.some(
        (n) => n.startsWith('backbone.conv1') || n.startsWith('backbone.bn1') || n.startsWith('backbone.layer1.'),
      ),
    ).toBe(false)
    expect(trainable.filter((n) => n.startsWith('backbone.layer2.')).length).toBeGreaterThan(0)
    expect(trainable).toContain('head.fc.weight')
  })
  it('frozen BatchNorm layers keep their running statistics in a training forward; the others update', () => {
    const model = build({ frozen_stages: 1 })
    const { params, buffers } = model.init(Rng.make(0))
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 1)
    const out = model.forward(params, buffers, x, { training: true, rng: Rng.make(1) })
    expect(out.buffers['backbone.bn1.running_mean']).toBe(buffers['backbone.bn1.running_mean'])
    expect(out.buffers['backbone.layer1.0.bn1.running_var']).toBe(buffers['backbone.layer1.0.bn1.running_var'])
    expect(out.buffers['backbone.layer2.0.bn1.running_mean']).not.toBe(buffers['backbone.layer2.0.bn1.running_mean'])
    // norm_eval: an eval-mode pass even while training, so no statistics change at all.
    const evalMode = build({ frozen_stages: 2, norm_eval: true }).forward(params, buffers, x, {
      training: true,
      rng: Rng.make(1),
    })
    expect(evalMode.buffers).toBe(buffers)
  })
  it('checks frozen_stages against the stages', () => {
    expect(Models.build({ ...small, frozen_stages: 3 })).toMatchObject({
      _tag: 'Left',
      left: [{ path: 'model', message: 'frozen_stages must be -1 (none) to 2 (every stage), got 3' }],
    })
  })
})
