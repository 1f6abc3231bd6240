import { describe, expect, it } from 'vitest'
import {
  defaultConstructor,
  pretrainLayerDecayConstructor,
  swinLayerDepth,
  vitLayerDepth,
} from '../../../../src/optim/constructors/index.js'
import type { ConstructorResult, ModelInfo } from '../../../../src/optim/constructors/index.js'
import { param } from './models.js'

const run = (optimizer: unknown, paramwise: unknown, model: ModelInfo): ConstructorResult => {
  const r = pretrainLayerDecayConstructor(optimizer, paramwise, model)
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
  return r.right
}
const issues = (optimizer: unknown, paramwise: unknown, model: ModelInfo) => {
  const r = pretrainLayerDecayConstructor(optimizer, paramwise, model)
  if (r._tag === 'Right') throw new Error('expected issues')
  return r.left
}

const ln = { type: 'LayerNorm' }
const linear = { type: 'Linear' }
/** An MMPretrain ImageClassifier with a 2-layer ViT backbone. */
const vit = (): ModelInfo => ({
  backbone: { kind: 'vit', numLayers: 2 },
  params: [
    param('backbone.cls_token', [1, 1, 8], { type: 'VisionTransformer' }),
    param('backbone.pos_embed', [1, 5, 8], { type: 'VisionTransformer' }),
    param('backbone.patch_embed.projection.weight', [8, 3, 4, 4], { type: 'Conv2d', inChannels: 3 }),
    param('backbone.patch_embed.projection.bias', [8], { type: 'Conv2d', inChannels: 3 }),
    param('backbone.layers.0.ln1.weight', [8], ln),
    param('backbone.layers.0.attn.qkv.weight', [24, 8], linear),
    param('backbone.layers.0.attn.qkv.bias', [24], linear),
    param('backbone.layers.1.ffn.layers.0.0.weight', [32, 8], linear),
    param('backbone.ln1.weight', [8], ln),
    param('head.layers.head.weight', [10, 8], linear),
    param('head.layers.head.bias', [10], linear),
  ],
})

const adamw = { type: 'AdamW', lr: 1, weight_decay: 0.05 }
const paramwise = {
  layer_decay_rate: 0.5,
  norm_decay_mult: 0,
  bias_decay_mult: 0.5,
  custom_keys: { '.cls_token': { decay_mult: 0 }, pos_embed: { decay_mult: 0, lars_exclude: true } },
}

describe("MMPretrain's LearningRateDecayOptimWrapperConstructor (spec §11.2)", () => {
  it('one group per parameter, lr = base_lr · rate^(max − id − 1), custom key > norm > bias > flat > base', () => {
    const r = run(adamw, paramwise, vit())
    // max_id = num_layers + 2 = 4: stem 0, layers.i i+1, the rest 3.
    const lr = (id: number) => 0.5 ** (4 - id - 1)
    const group = (name: string, id: number, decay: object) => ({
      params: [name],
      ...decay,
      lr: lr(id),
      lr_scale: lr(id),
      layer_id: id,
      param_name: name,
    })
    expect(r.groups).toEqual([
      group('backbone.cls_token', 0, { weight_decay: 0 }),
      group('backbone.pos_embed', 0, { weight_decay: 0, lars_exclude: true }),
      group('backbone.patch_embed.projection.weight', 0, { weight_decay: 0.05 }),
      group('backbone.patch_embed.projection.bias', 0, { weight_decay: 0.05 * 0.5 }),
      group('backbone.layers.0.ln1.weight', 1, { weight_decay: 0 }),
      group('backbone.layers.0.attn.qkv.weight', 1, { weight_decay: 0.05 }),
      group('backbone.layers.0.attn.qkv.bias', 1, { weight_decay: 0.05 * 0.5 }),
      group('backbone.layers.1.ffn.layers.0.0.weight', 2, { weight_decay: 0.05 }),
      group('backbone.ln1.weight', 3, { weight_decay: 0 }),
      group('head.layers.head.weight', 3, { weight_decay: 0.05 }),
      group('head.layers.head.bias', 3, { weight_decay: 0.05 * 0.5 }),
    ])
    expect(Object.keys(r.groups[1]!)).toEqual([
      'params',
      'weight_decay',
      'lars_exclude',
      'lr',
      'lr_scale',
      'layer_id',
      'param_name',
    ])
    expect(r.optimizerCfg).toEqual(adamw)
  })

  it('flat_decay_mult applies to 1-d parameters after the bias rule', () => {
    const r = run(adamw, { layer_decay_rate: 0.5, bias_decay_mult: 0.5, flat_decay_mult: 0 }, vit())
    const wd = Object.fromEntries(r.groups.map((g) => [g.params[0], g['weight_decay']]))
    expect(wd['backbone.layers.0.ln1.weight']).toBe(0)
    expect(wd['backbone.layers.0.attn.qkv.bias']).toBe(0.025)
    expect(wd['backbone.cls_token']).toBe(0.05)
  })

  it('matches full names without a leading dot for root-level parameters (unlike the default constructor)', () => {
    const model: ModelInfo = { params: [param('scale', [1], { type: 'Net' }, { layerDepth: [0, 1] })] }
    const keys = { custom_keys: { '.scale': { decay_mult: 0 } } }
    expect(run(adamw, { ...keys, layer_decay_rate: 0.5 }, model).groups[0]!['weight_decay']).toBe(0.05)
    const def = defaultConstructor(adamw, keys, model)
    expect(def._tag === 'Right' && def.right.groups[0]!['weight_decay']).toBe(0)
  })

  it('logs layer by layer', () => {
    const r = run(adamw, paramwise, vit())
    expect(r.log[0]).toBe(
      'layer 0 params:\n\tbackbone.cls_token: lr=0.125, ' +
        'weight_decay=0.0\n\tbackbone.pos_embed: lr=0.125, ' +
        'weight_decay=0.0\n\tbackbone.patch_embed.projection.weight: lr=0.125, ' +
        'weight_decay=0.05\n\tbackbone.patch_embed.projection.bias: lr=0.125, ' +
        'weight_decay=0.025',
    )
    expect(r.log).toHaveLength(4)
  })

  it('copies lr_mult but does not apply it, and warns about options it does not read', () => {
    const r = run(adamw, { layer_decay_rate: 0.5, bias_lr_mult: 2, custom_keys: { head: { lr_mult: 10 } } }, vit())
    const head = r.groups.find((g) => g.params[0] === 'head.layers.head.weight')!
    expect(head).toMatchObject({ lr_mult: 10, lr: 1, lr_scale: 1, weight_decay: 0.05 })
    expect(r.warnings).toEqual([
      'paramwise_cfg.bias_lr_mult has no effect: mmpretrain.LearningRateDecayOptimWrapperConstructor does not read it',
      'paramwise_cfg.custom_keys.head.lr_mult has no effect: ' +
        'mmpretrain.LearningRateDecayOptimWrapperConstructor copies it into the group ' +
        'but sets lr from the layer depth',
    ])
  })

  it('without optimizer.weight_decay, groups carry no weight_decay and custom keys are not consulted', () => {
    const r = run(
      { type: 'AdamW', lr: 1 },
      { layer_decay_rate: 0.5, custom_keys: { pos_embed: { lars_exclude: true } } },
      vit(),
    )
    expect(r.groups.every((g) => !Object.hasOwn(g, 'weight_decay') && !Object.hasOwn(g, 'lars_exclude'))).toBe(true)
    expect(r.warnings[0]).toMatch(/^custom_keys have no effect without optimizer.weight_decay/)
  })

  it('an empty paramwise_cfg falls back to one group without layer decay', () => {
    const r = run(adamw, {}, vit())
    expect(r.groups).toEqual([{ params: vit().params.map((p) => p.name) }])
    expect(r.warnings).toHaveLength(1)
  })

  it('skips frozen parameters; a shared trainable tensor is the torch duplicate error', () => {
    const base = vit()
    const frozen = {
      ...base,
      params: base.params.map((p) => (p.name.startsWith('backbone.patch_embed') ? { ...p, requiresGrad: false } : p)),
    }
    const r = run(adamw, paramwise, frozen)
    expect(r.groups).toHaveLength(9)
    expect(r.warnings).toEqual([
      'backbone.patch_embed.projection.weight is skipped since its requires_grad=False',
      'backbone.patch_embed.projection.bias is skipped since its requires_grad=False',
    ])
    const shared = {
      ...base,
      params: [...base.params, param('neck.weight', [10, 8], linear, { sameTensorAs: 'head.layers.head.weight' })],
    }
    expect(issues(adamw, paramwise, shared).map((i) => i.path)).toEqual(['model.params'])
  })

  it('needs get_layer_depth: a vit/swin backbone or per-parameter layerDepth', () => {
    const plain = vit().params.filter((p) => !p.name.startsWith('backbone.layers.'))
    expect(issues(adamw, paramwise, { params: plain }).map((i) => i.path)).toEqual(['model.backbone.kind'])
    expect(issues(adamw, paramwise, { backbone: { kind: 'vit' }, params: plain }).map((i) => i.path)).toEqual([
      'model.backbone.numLayers',
    ])
    // Names of the vit family imply the kind and the layer count.
    expect(pretrainLayerDecayConstructor(adamw, paramwise, { params: vit().params })._tag).toBe('Right')
    expect(issues({ type: 'AdamW', weight_decay: 0.05 }, paramwise, vit()).map((i) => i.path)).toEqual([
      'optim_wrapper.optimizer.lr',
    ])
  })
})

describe('MMPretrain get_layer_depth', () => {
  it('vit', () => {
    expect(
      [
        'backbone.cls_token',
        'backbone.pos_embed',
        'backbone.patch_embed.projection.weight',
        'backbone.layers.0.ln1.weight',
        'backbone.layers.11.ffn.layers.1.weight',
        'backbone.ln1.bias',
        'backbone.mask_token',
        'head.fc.weight',
      ].map((n) => vitLayerDepth(n, 12)),
    ).toEqual([0, 0, 0, 1, 12, 13, 13, 13].map((id) => ({ _tag: 'Right', right: [id, 14] })))
  })
  it('swin', () => {
    // depths [2, 2, 6, 2]: max 14.
    const names = [
      'backbone.patch_embed.projection.weight',
      'backbone.stages.0.blocks.0.attn.w_msa.qkv.weight',
      'backbone.stages.0.blocks.1.norm2.weight',
      'backbone.stages.0.downsample.reduction.weight',
      'backbone.stages.0.downsample.norm.weight',
      'backbone.stages.2.blocks.5.ffn.layers.0.0.weight',
      'backbone.stages.3.blocks.1.norm1.bias',
      'backbone.norm3.weight',
      'neck.weight',
      'head.fc.weight',
    ]
    expect(names.map((n) => swinLayerDepth(n, [2, 2, 6, 2]))).toEqual(
      [0, 1, 2, 2, 2, 10, 12, 13, 13, 13].map((id) => ({ _tag: 'Right', right: [id, 14] })),
    )
  })
  it('swin groups through the constructor', () => {
    const model: ModelInfo = {
      backbone: { kind: 'swin', depths: [1, 1] },
      params: [
        param('backbone.stages.1.blocks.0.attn.w_msa.relative_position_bias_table', [9, 2], linear),
        param('backbone.stages.0.downsample.reduction.weight', [4, 8], linear),
      ],
    }
    const r = run(
      adamw,
      { layer_decay_rate: 0.5, custom_keys: { relative_position_bias_table: { decay_mult: 0 } } },
      model,
    )
    expect(r.groups.map((g) => [g['layer_id'], g['lr'], g['weight_decay']])).toEqual([
      [2, 0.5, 0],
      [1, 0.25, 0.05],
    ])
  })
})
