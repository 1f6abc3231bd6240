import { describe, expect, it } from 'vitest'
import { backboneFromNames, withBackboneFromNames } from '../../../../src/optim/constructors/backboneFromNames.js'
import { pretrainLayerDecayConstructor } from '../../../../src/optim/constructors/pretrainLayerDecay.js'
import { selfsupLayerDecayConstructor } from '../../../../src/optim/constructors/selfsupLayerDecay.js'
import type { ModelInfo } from '../../../../src/models/ModelInfo.js'

const info = (names: ReadonlyArray<string>): ModelInfo => ({
  params: names.map((name) => ({
    name,
    shape: name.endsWith('weight') && !name.includes('norm') && !name.includes('ln') ? [4, 4] : [4],
    requiresGrad: true,
    module: { type: /norm|ln/.test(name) ? 'LayerNorm' : 'Linear' },
  })),
})

const vit = [
  'backbone.cls_token',
  'backbone.pos_embed',
  'backbone.patch_embed.projection.weight',
  'backbone.layers.0.ln1.weight',
  'backbone.layers.0.ffn.fc1.weight',
  'backbone.layers.2.ln1.weight',
  'backbone.ln1.weight',
  'head.fc.weight',
]
const swin = [
  'backbone.patch_embed.projection.weight',
  'backbone.stages.0.blocks.0.norm1.weight',
  'backbone.stages.0.blocks.1.norm1.weight',
  'backbone.stages.0.downsample.reduction.weight',
  'backbone.stages.1.blocks.0.norm1.weight',
  'backbone.stages.2.downsample.norm.weight',
  'backbone.norm3.weight',
]

describe('backbone facts from parameter names', () => {
  it('reads len(backbone.layers) from the highest layer index, depths from the highest block index', () => {
    expect(backboneFromNames(vit)).toEqual({ kind: 'vit', numLayers: 3 })
    // Stage 2 has only a downsample: zero blocks.
    expect(backboneFromNames(swin)).toEqual({ kind: 'swin', depths: [2, 1, 0] })
    expect(backboneFromNames(['fc.weight', 'fc.bias'])).toEqual({})
  })

  it('keeps what a model declares and fills in the rest', () => {
    expect(withBackboneFromNames({ ...info(vit), backbone: { numLayers: 12 } }).backbone).toEqual({
      kind: 'vit',
      numLayers: 12,
    })
    const plain = info(['fc.weight'])
    expect(withBackboneFromNames(plain)).toBe(plain)
  })

  it('lets both layer-decay constructors run on a model given only by its names', () => {
    const selfsup = selfsupLayerDecayConstructor(
      { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 0.5 },
      undefined,
      info(vit),
    )
    expect(selfsup._tag).toBe('Right')
    // num_layers = 3 + 2: the last layer (id 3) has lr_scale 0.5^(5 - 3 - 1).
    const groups = selfsup._tag === 'Right' ? selfsup.right.groups : []
    expect(groups.find((g) => g['group_name'] === 'layer_3_decay')?.['lr_scale']).toBe(0.5)
    const pretrain = pretrainLayerDecayConstructor(
      { type: 'AdamW', lr: 1, weight_decay: 0.05 },
      { layer_decay_rate: 0.5 },
      info(swin),
    )
    expect(pretrain._tag).toBe('Right')
    // Swin: max id = sum(depths) + 2 = 5; stages.1.blocks.0 is layer 2 + 0 + 1 = 3.
    const block =
      pretrain._tag === 'Right'
        ? pretrain.right.groups.find((g) => g.params[0] === 'backbone.stages.1.blocks.0.norm1.weight')
        : undefined
    expect(block?.['layer_id']).toBe(3)
  })
})
