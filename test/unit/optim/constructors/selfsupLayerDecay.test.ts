import { describe, expect, it } from 'vitest'
import {
  defaultConstructor,
  selfsupLayerDecayConstructor,
  selfsupLayerId,
} from '../../../../src/optim/constructors/index.js'
import type { ConstructorResult, ModelInfo } from '../../../../src/optim/constructors/index.js'
import { fromNames, param, toyVit } from './models.js'

const run = (optimizer: unknown, paramwise: unknown, model: ModelInfo): ConstructorResult => {
  const r = selfsupLayerDecayConstructor(optimizer, paramwise, model)
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
  return r.right
}
const issues = (optimizer: unknown, paramwise: unknown, model: ModelInfo) => {
  const r = selfsupLayerDecayConstructor(optimizer, paramwise, model)
  if (r._tag === 'Right') throw new Error('expected issues')
  return r.left
}

const vitOptimizer = { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 2.0 }
const zeroDecay = {
  custom_keys: { '.bias': { decay_mult: 0.0 }, '.cls_token': { decay_mult: 0.0 }, '.pos_embed': { decay_mult: 0.0 } },
}

describe('MMSelfSup LearningRateDecayOptimWrapperConstructor: the toy ViT (spec §11.1)', () => {
  it('gives the 7 expected groups as (weight_decay, lr)', () => {
    const r = run(vitOptimizer, zeroDecay, toyVit())
    expect(r.groups.map((g) => [g['weight_decay'], g['lr']])).toEqual([
      [0, 8],
      [0.05, 4],
      [0, 4],
      [0.05, 2],
      [0, 2],
      [0.05, 1],
      [0, 1],
    ])
    expect(r.groups.map((g) => g['lr_scale'])).toEqual([8, 4, 4, 2, 2, 1, 1])
  })

  it('names groups layer_{id}_{kind}, in first-seen order, with their parameters', () => {
    const r = run(vitOptimizer, zeroDecay, toyVit())
    expect(r.groups.map((g) => g['group_name'])).toEqual([
      'layer_0_no_decay',
      'layer_1_decay',
      'layer_1_no_decay',
      'layer_2_decay',
      'layer_2_no_decay',
      'layer_3_decay',
      'layer_3_no_decay',
    ])
    expect(r.groups[0]).toEqual({
      weight_decay: 0,
      params: ['backbone.cls_token', 'backbone.pos_embed'],
      param_names: ['backbone.cls_token', 'backbone.pos_embed'],
      lr_scale: 8,
      group_name: 'layer_0_no_decay',
      lr: 8,
    })
    expect(r.groups[6]!.params).toEqual(['head.bias'])
  })

  it('pops model_type and layer_decay_rate from the optimizer cfg', () => {
    expect(run(vitOptimizer, zeroDecay, toyVit()).optimizerCfg).toEqual({ type: 'AdamW', lr: 1, weight_decay: 0.05 })
  })

  it('logs the group table as MMSelfSup does (json.dumps, indent 2)', () => {
    const [log] = run(vitOptimizer, zeroDecay, toyVit()).log
    expect(
      log!.startsWith(
        'Param groups = {\n  "layer_0_no_decay": {\n    "param_names": [\n      ' +
          '"backbone.cls_token",\n      "backbone.pos_embed"\n    ],\n    "lr_scale": ' +
          '8.0,\n    "lr": 8.0,\n    "weight_decay": 0.0\n  },',
      ),
    ).toBe(true)
  })

  it('builds its groups even without paramwise_cfg; layer_decay_rate defaults to 1', () => {
    const r = run({ type: 'AdamW', lr: 0.5, weight_decay: 0.05, model_type: 'vit' }, undefined, toyVit())
    expect(r.groups.map((g) => g['group_name'])).toEqual([
      'layer_0_decay',
      'layer_1_decay',
      'layer_2_decay',
      'layer_3_decay',
    ])
    expect(r.groups.every((g) => g['lr'] === 0.5 && g['lr_scale'] === 1)).toBe(true)
  })
})

describe('MMSelfSup layer decay: custom_keys', () => {
  it('the last matching key (the shortest) wins, unlike the default constructor', () => {
    const paramwise = { custom_keys: { bias: { decay_mult: 0 }, 'layers.0.bias': { decay_mult: 0.5 } } }
    const r = run(vitOptimizer, paramwise, toyVit())
    const group = r.groups.find((g) => g.params.includes('backbone.layers.0.bias'))!
    expect(group['group_name']).toBe('layer_1_no_decay')
    expect(group['weight_decay']).toBe(0)
    const def = defaultConstructor({ type: 'AdamW', lr: 1, weight_decay: 0.05 }, paramwise, toyVit())
    expect(
      def._tag === 'Right' && def.right.groups.find((g) => g.params[0] === 'backbone.layers.0.bias')!['weight_decay'],
    ).toBe(0.05 * 0.5)
    expect(r.warnings).toEqual([
      "custom_keys 'layers.0.bias' applies to no parameter: a shorter key wins " +
        "wherever it matches (e.g. 'bias' for 'backbone.layers.0.bias')",
    ])
  })

  it("a parameter joins its layer's decay group with the weight decay of the group's first parameter (warned)", () => {
    const r = run(vitOptimizer, { custom_keys: { bias: { decay_mult: 0.5 } } }, toyVit())
    const group = r.groups.find((g) => g.params.includes('backbone.layers.0.bias'))!
    expect(group).toMatchObject({
      group_name: 'layer_1_decay',
      params: ['backbone.layers.0.weight', 'backbone.layers.0.bias'],
      weight_decay: 0.05,
    })
    expect(r.warnings[0]).toBe(
      'backbone.layers.0.bias has weight decay 0.025 but joins layer_1_decay, whose ' +
        'weight_decay is 0.05 (groups are keyed by layer and decay/no_decay only)',
    )
  })

  it('reads only decay_mult, and warns about everything else', () => {
    const r = run(
      vitOptimizer,
      { custom_keys: { '.bias': { decay_mult: 0, lr_mult: 0.1 } }, bias_lr_mult: 2 },
      toyVit(),
    )
    expect(
      r.groups.every((g) => Object.keys(g).join() === 'weight_decay,params,param_names,lr_scale,group_name,lr'),
    ).toBe(true)
    expect(r.warnings).toEqual([
      'paramwise_cfg.bias_lr_mult has no effect: mmselfsup.LearningRateDecayOptimWrapperConstructor does not read it',
      'paramwise_cfg.custom_keys..bias.lr_mult has no effect: ' +
        'mmselfsup.LearningRateDecayOptimWrapperConstructor reads only decay_mult',
    ])
  })

  it('matches against full names: no leading dot for root-level parameters', () => {
    const model: ModelInfo = {
      backbone: { numLayers: 0 },
      params: [param('scale', [1], { type: 'Net' }), param('head.scale', [1], { type: 'Linear' })],
    }
    const r = run(vitOptimizer, { custom_keys: { '.scale': { decay_mult: 0 } } }, model)
    expect(r.groups.map((g) => [g['group_name'], g.params])).toEqual([
      ['layer_1_decay', ['scale']],
      ['layer_1_no_decay', ['head.scale']],
    ])
  })
})

describe('MMSelfSup layer decay: frozen and shared parameters', () => {
  it('skips frozen parameters and yields a shared tensor once, with warnings', () => {
    const base = toyVit()
    const model: ModelInfo = {
      ...base,
      params: [
        ...base.params.map((p) => (p.name === 'backbone.layers.0.weight' ? { ...p, requiresGrad: false } : p)),
        param('neck.weight', [1, 1], { type: 'Linear' }, { sameTensorAs: 'head.weight' }),
      ],
    }
    const r = run(vitOptimizer, zeroDecay, model)
    expect(r.groups.map((g) => g['group_name'])).toEqual([
      'layer_0_no_decay',
      'layer_1_no_decay',
      'layer_2_decay',
      'layer_2_no_decay',
      'layer_3_decay',
      'layer_3_no_decay',
    ])
    expect(r.warnings).toEqual([
      'backbone.layers.0.weight is skipped since its requires_grad=False',
      "neck.weight is skipped: it is the same tensor as 'head.weight' (named_parameters() yields it once)",
    ])
  })
})

describe('MMSelfSup layer decay: swin and mixmim layer ids', () => {
  const swinNames = [
    'backbone.mask_token',
    'backbone.patch_embed.projection.weight',
    'backbone.stages.0.blocks.0.attn.w_msa.relative_position_bias_table',
    'backbone.stages.0.blocks.1.ffn.layers.0.0.weight',
    'backbone.stages.0.downsample.norm.weight',
    'backbone.stages.0.downsample.reduction.weight',
    'backbone.stages.1.blocks.0.norm1.weight',
    'backbone.stages.1.blocks.1.attn.w_msa.qkv.weight',
    'backbone.norm3.weight',
    'head.fc.weight',
  ]

  it(
    'swin: stem 0, block b of stage s → sum(depths[:s]) + b + 1, downsample → ' +
      'sum(depths[:s+1]), rest num_layers − 1',
    () => {
      // depths [2, 2] → num_layers 6.
      expect(swinNames.map((n) => selfsupLayerId('swin', n, 6, [2, 2]))).toEqual(
        [0, 0, 1, 2, 2, 2, 3, 4, 5, 5].map((id) => ({ _tag: 'Right', right: id })),
      )
    },
  )

  it(
    'swin groups: lr_scale = rate^(num_layers − id − 1), the relative position table ' +
      'decays only with a custom key',
    () => {
      const r = run(
        { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'swin', layer_decay_rate: 2 },
        { custom_keys: { relative_position_bias_table: { decay_mult: 0 } } },
        fromNames(swinNames, { depths: [2, 2] }),
      )
      const byGroup = Object.fromEntries(r.groups.map((g) => [g['group_name'], [g['lr_scale'], g['weight_decay']]]))
      expect(byGroup).toEqual({
        layer_0_decay: [32, 0.05],
        layer_1_no_decay: [16, 0],
        layer_2_decay: [8, 0.05],
        layer_3_decay: [4, 0.05],
        layer_4_decay: [2, 0.05],
        layer_5_decay: [1, 0.05],
      })
      // The last groups have lr_scale 1 and 2 (MMSelfSup's Swin test reads positions −1, −3, …).
      expect(r.groups.at(-1)!['lr_scale']).toBe(1)
      expect(r.groups.at(-2)!['lr_scale']).toBe(2)
    },
  )

  it(
    'mixmim: stem −1, block b of layer l → sum(depths[:l]) + b, downsample → ' +
      'sum(depths[:l+1]) − 1, rest num_layers − 2',
    () => {
      const names = [
        'backbone.absolute_pos_embed',
        'backbone.patch_embed.projection.weight',
        'backbone.layers.0.blocks.0.attn.qkv.weight',
        'backbone.layers.0.blocks.1.attn.qkv.weight',
        'backbone.layers.0.downsample.reduction.weight',
        'backbone.layers.1.blocks.0.mlp.fc1.weight',
        'backbone.layers.1.blocks.1.norm1.weight',
        'backbone.norm.weight',
        'head.fc.weight',
      ]
      // depths [2, 2] → num_layers 5.
      expect(names.map((n) => selfsupLayerId('mixmim', n, 5, [2, 2]))).toEqual(
        [-1, -1, 0, 1, 1, 2, 3, 3, 3].map((id) => ({ _tag: 'Right', right: id })),
      )
      const r = run(
        { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'mixmim', layer_decay_rate: 2 },
        undefined,
        fromNames(names, { depths: [2, 2] }),
      )
      expect(r.groups.map((g) => [g['group_name'], g['lr_scale']])).toEqual([
        ['layer_-1_decay', 32],
        ['layer_0_decay', 16],
        ['layer_1_decay', 8],
        ['layer_2_decay', 4],
        ['layer_3_decay', 2],
      ])
    },
  )

  it('vit: cls/mask token, pos_embed and patch_embed 0; layers.i i+1; the rest num_layers − 1', () => {
    const ids = [
      'backbone.mask_token',
      'backbone.patch_embed.projection.bias',
      'backbone.layers.11.ln1.weight',
      'backbone.ln1.weight',
      'neck.decoder_pos_embed',
      'backbone.pos_embed_x',
    ].map((n) => selfsupLayerId('vit', n, 14, undefined))
    expect(ids).toEqual([0, 0, 12, 13, 13, 13].map((id) => ({ _tag: 'Right', right: id })))
  })

  it('lr_scale is rate ** k as Python computes it (correctly rounded, not V8 **)', () => {
    // 0.65 ** 7 in Python is 0.049022278906250015; V8's ** gives 0.04902227890625001.
    const model = fromNames(['backbone.layers.0.weight'], { numLayers: 7 })
    const r = run(
      { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 0.65 },
      undefined,
      model,
    )
    expect(r.groups[0]!['lr_scale']).toBe(0.049022278906250015)
  })
})

describe('MMSelfSup layer decay: config problems', () => {
  it('needs model_type in the optimizer cfg, one of vit/swin/mixmim', () => {
    expect(issues({ type: 'AdamW', lr: 1, weight_decay: 0.05 }, undefined, toyVit()).map((i) => i.path)).toEqual([
      'optim_wrapper.optimizer.model_type',
    ])
    expect(
      issues({ type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'resnet' }, undefined, toyVit())[0]!.message,
    ).toBe("expected one of 'vit', 'swin', 'mixmim', got \"resnet\"")
  })
  it('needs lr and weight_decay', () => {
    expect(issues({ type: 'AdamW', model_type: 'vit' }, undefined, toyVit()).map((i) => i.path)).toEqual([
      'optim_wrapper.optimizer.lr',
      'optim_wrapper.optimizer.weight_decay',
    ])
  })
  it(
    'needs the backbone size: declared, or implied by backbone.layers.<i> / ' + 'backbone.stages.<s>.blocks.<b> names',
    () => {
      expect(
        issues(vitOptimizer, undefined, fromNames(['backbone.cls_token', 'head.fc.weight'])).map((i) => i.path),
      ).toEqual(['model.backbone.numLayers'])
      // toyVit's names imply its layer count: the same groups as when it is declared.
      const implied = selfsupLayerDecayConstructor(vitOptimizer, undefined, { params: toyVit().params })
      expect(implied._tag === 'Right' ? implied.right.groups : implied.left).toEqual(
        run(vitOptimizer, undefined, toyVit()).groups,
      )
      expect(issues({ ...vitOptimizer, model_type: 'swin' }, undefined, toyVit()).map((i) => i.path)).toEqual([
        'model.backbone.depths',
      ])
    },
  )
  it('reports a name whose layer index cannot be read', () => {
    const r = issues(vitOptimizer, undefined, fromNames(['backbone.layers.first.weight'], { numLayers: 2 }))
    expect(r).toEqual([
      {
        path: 'optim_wrapper.optimizer.model_type',
        message:
          "vit: cannot read the layer index of 'backbone.layers.first.weight': 'first' is " +
          'not an index (Python raises ValueError)',
      },
    ])
  })
})
