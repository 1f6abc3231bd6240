import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import '../../../../src/tensor/gradients.js'
import * as Rng from '../../../../src/dsl/Rng.js'
import type { Model } from '../../../../src/models/Model.js'
import * as Models from '../../../../src/models/registry.js'
import { allModelTypes } from '../../../../src/selfsup/algorithms/registry.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { algorithmConfigs, twoViews } from './support.js'

const build = (cfg: object): Model => {
  const built = Models.build(cfg, allModelTypes)
  if (built._tag === 'Left') throw new Error(built.left.map((i) => `${i.path}: ${i.message}`).join('; '))
  return built.right
}

beforeAll(async () => {
  await useCpu()
})

describe.each(Object.keys(algorithmConfigs))('%s as a model', (type) => {
  it(
    'has MMSelfSup parameter names, a finite loss with gradients for backbone, neck ' +
      'and head, and no leaked tensor',
    () => {
      const model = build(algorithmConfigs[type]!)
      expect(model.type).toBe(type)
      const { params, buffers } = model.init(Rng.make(1))
      expect(model.info.params.map((p) => p.name).sort()).toEqual(Object.keys(params).sort())
      expect(Object.keys(params).some((n) => n.startsWith('backbone.layers.0.conv'))).toBe(true)
      expect(Object.keys(params).some((n) => n.startsWith('neck.'))).toBe(true)
      const x = twoViews(4, 3)
      const before = tf.memory().numTensors
      const names = Object.keys(params)
      let nextBuffers: { [n: string]: tf.Tensor } = {}
      const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
        const r = model.loss!(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), buffers, x, tf.zeros([4]), {
          training: true,
          rng: Rng.make(0),
          iter: 1,
          maxIters: 10,
          attributes: {},
        })
        nextBuffers = Object.fromEntries(
          Object.entries(r.buffers).map(([n, t]) => [n, buffers[n] === t ? t : tf.keep(t)]),
        )
        // MMEngine's parse_losses: every entry whose name contains 'loss' (DenseCL: loss_single + loss_dense).
        return tf.addN(
          Object.entries(r.losses)
            .filter(([n]) => n.includes('loss'))
            .map(([, l]) => l),
        ) as tf.Scalar
      })(names.map((n) => params[n]!))
      const loss = value.dataSync()[0]!
      expect(Number.isFinite(loss)).toBe(true)
      const normOf = (prefix: string): number =>
        names.reduce(
          (s, n, i) => (n.startsWith(prefix) ? s + tf.tidy(() => tf.sum(tf.abs(grads[i]!)).dataSync()[0]!) : s),
          0,
        )
      expect(normOf('backbone.')).toBeGreaterThan(0)
      expect(normOf('neck.')).toBeGreaterThan(0)
      if (names.some((n) => n.startsWith('head.'))) expect(normOf('head.')).toBeGreaterThan(0)
      expect(Object.keys(nextBuffers).sort()).toEqual(Object.keys(buffers).sort())
      // BatchNorm running statistics moved in train mode.
      const bn = 'backbone.layers.0.bn.num_batches_tracked'
      expect(nextBuffers[bn]!.dataSync()[0]).toBeGreaterThan(0)
      const fresh = Object.values(nextBuffers).filter((t) => !Object.values(buffers).includes(t))
      tf.dispose([value, ...grads, ...fresh])
      expect(tf.memory().numTensors).toBe(before)
      tf.dispose([x, ...Object.values(params), ...Object.values(buffers)])
    },
  )

  it('extracts pooled backbone features in eval mode without touching the buffers', () => {
    const model = build(algorithmConfigs[type]!)
    const { params, buffers } = model.init(Rng.make(1))
    const x = twoViews(3, 4)
    const out = model.forward(params, buffers, x, { training: false, rng: Rng.make(0) })
    expect(out.output.shape).toEqual([3, 8])
    expect(out.buffers).toBe(buffers)
    tf.dispose([x, out.output, ...Object.values(params), ...Object.values(buffers)])
  })
})

describe('algorithm configs are checked before anything is built', () => {
  it('names a misspelt neck key with a did-you-mean and an unknown head type with the known ones', () => {
    const cfg = algorithmConfigs['SimSiam'] as { neck: object; head: object }
    const bad = Models.build({ ...cfg, neck: { ...cfg.neck, hid_chanels: 4 } }, allModelTypes)
    expect(bad._tag === 'Left' && bad.left.map((i) => `${i.path}: ${i.message}`).join()).toMatch(
      /model\.neck\.hid_chanels: unknown key.*hid_channels/,
    )
    const unknown = Models.build({ ...cfg, head: { type: 'LatentPredictHed' } }, allModelTypes)
    expect(unknown._tag === 'Left' && unknown.left.map((i) => `${i.path}: ${i.message}`).join()).toMatch(
      /model\.head\.type: .*LatentPredictHead/,
    )
  })

  it('refuses a one-view batch with a message naming the views', () => {
    const model = build(algorithmConfigs['SimSiam']!)
    const { params, buffers } = model.init(Rng.make(1))
    const x = tf.zeros([2, 8, 8, 1])
    expect(() =>
      model.loss!(params, buffers, x, tf.zeros([2]), {
        training: true,
        rng: Rng.make(0),
        iter: 0,
        maxIters: 1,
        attributes: {},
      }),
    ).toThrow(/expected a batch of 2 views/)
    tf.dispose([x, ...Object.values(params), ...Object.values(buffers)])
  })
})
