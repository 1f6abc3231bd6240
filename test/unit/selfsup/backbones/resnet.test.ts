import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../../src/dsl/Rng.js'
import { backboneDict, buildBackbone } from '../../../../src/selfsup/backbones/registry.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(useCpu)

const refusal = (cfg: object): string => {
  const r = backboneDict.decode(cfg)
  return r._tag === 'Left' ? r.left.map((e) => (e.message ?? '') + String(e.value)).join('; ') : ''
}

describe('the self-supervised ResNet backbones', () => {
  it('take MMSelfSup’s ResNet-50 as its configs write it (out_indices [4]: the stem counts as 0)', () => {
    const cfg = { type: 'ResNet', depth: 50, in_channels: 3, out_indices: [4], norm_cfg: { type: 'SyncBN' } }
    expect(refusal(cfg)).toBe('')
    const backbone = buildBackbone(cfg)
    expect(backbone.outChannels).toBe(2048)
    expect(backbone.info.find((p) => p.name === 'backbone.layer4.2.conv3.weight')!.shape).toEqual([2048, 512, 1, 1])
    expect(refusal({ ...cfg, out_indices: [3] })).toContain('only the last stage ([4])')
    expect(refusal({ type: 'ResNet_CIFAR', depth: 18, out_indices: [3] })).toBe('')
  })

  it('a small Bottleneck backbone initialises exactly what it describes; ResNet starts without zero-init', () => {
    const small = { type: 'ResNet', depth: 50, base_channels: 2, stem_channels: 4, img_size: 16 }
    const backbone = buildBackbone(small)
    const { params, buffers } = backbone.init(Rng.make(0))
    expect(Object.keys(params)).toEqual(backbone.info.map((p) => p.name))
    expect(Object.values(params).map((t) => t.shape)).toEqual(backbone.info.map((p) => p.shape))
    // MMSelfSup's ResNet defaults to zero_init_residual=False: every BatchNorm weight starts at 1.
    expect(Array.from(params['backbone.layer1.0.bn3.weight']!.dataSync()).every((v) => v === 1)).toBe(true)
    const x = tf.zeros([2, 16, 16, 3])
    const out = backbone.apply(params, buffers, x, false)
    expect(out.value.shape).toEqual([2, 1, 1, 64])
    tf.dispose([x, out.value, ...Object.values(params), ...Object.values(buffers)])
  })
})
