import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import { backboneDescribers } from '../../../src/models/backboneDescribers.js'
import { describeParts } from '../../../src/models/Description.js'
import type { ParamInfo } from '../../../src/models/ModelInfo.js'
import { countParams } from '../../../src/models/ParamSpec.js'
import { build } from '../../../src/models/registry.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

const backbone = (cfg: object): { params: ReadonlyArray<ParamInfo>; backbone?: unknown } => {
  const d = describeParts(backboneDescribers, cfg, 'backbone', 'model.backbone')
  if (d._tag === 'Left') throw new Error(JSON.stringify(d.left))
  return d.right
}
const shapeOf = (params: ReadonlyArray<ParamInfo>, name: string) => params.find((p) => p.name === name)?.shape

describe('ViT descriptions (one layout for every MMSelfSup variant)', () => {
  it('ViT-B/16 and ViT-L/16 at 224 have the parameter counts timm and MMPretrain report without the head', () => {
    // timm's vit_base_patch16_224 (86,567,656) and vit_large_patch16_224 (304,326,632) less their 1000-class heads.
    expect(countParams(backbone({ type: 'VisionTransformer', arch: 'b' }).params)).toBe(85_798_656)
    expect(countParams(backbone({ type: 'VisionTransformer', arch: 'large' }).params)).toBe(303_301_632)
    const names = backbone({ type: 'VisionTransformer', arch: 'b' }).params.map((p) => p.name)
    expect(names.slice(0, 4)).toEqual([
      'backbone.cls_token',
      'backbone.pos_embed',
      'backbone.patch_embed.projection.weight',
      'backbone.patch_embed.projection.bias',
    ])
    expect(names).toContain('backbone.layers.11.ffn.layers.0.0.weight')
    expect(names.at(-1)).toBe('backbone.ln1.bias')
  })

  it('MAEViT fixes pos_embed; MaskFeatViT adds a trained mask_token; the fine-tune form has ln2 and no ln1', () => {
    const mae = backbone({ type: 'MAEViT', arch: 'b', patch_size: 16, mask_ratio: 0.75 }).params
    expect(mae.find((p) => p.name === 'backbone.pos_embed')!.requiresGrad).toBe(false)
    expect(shapeOf(mae, 'backbone.pos_embed')).toEqual([1, 197, 768])
    const maskfeat = backbone({ type: 'mmselfsup.MaskFeatViT', arch: 'b' }).params
    expect(maskfeat.find((p) => p.name === 'backbone.mask_token')!.requiresGrad).toBe(true)
    const ft = backbone({ type: 'VisionTransformer', arch: 'base', avg_token: true, final_norm: false }).params
    expect(ft.some((p) => p.name.startsWith('backbone.ln1.'))).toBe(false)
    expect(shapeOf(ft, 'backbone.ln2.weight')).toEqual([768])
  })

  it('BEiTViT: no absolute pos_embed, a shared relative position bias, q/v biases and layer scale gammas', () => {
    const beit = backbone({ type: 'BEiTViT', arch: 'base', layer_scale_init_value: 0.1 }).params
    const names = beit.map((p) => p.name)
    expect(names).not.toContain('backbone.pos_embed')
    expect(shapeOf(beit, 'backbone.rel_pos_bias.relative_position_bias_table')).toEqual([27 * 27 + 3, 12])
    expect(shapeOf(beit, 'backbone.layers.0.gamma_1')).toEqual([768])
    expect(shapeOf(beit, 'backbone.layers.0.attn.q_bias')).toEqual([768])
    expect(names).not.toContain('backbone.layers.0.attn.qkv.bias')
    expect(shapeOf(beit, 'backbone.mask_token')).toEqual([1, 1, 768])
    const perLayer = backbone({ type: 'BEiTViT', use_rel_pos_bias: true, use_shared_rel_pos_bias: false }).params
    expect(shapeOf(perLayer, 'backbone.layers.3.attn.relative_position_bias_table')).toEqual([732, 12])
  })

  it('frozen_stages and MoCo v3’s stop_grad_conv1 leave the frozen parameters out of training', () => {
    const probe = backbone({ type: 'VisionTransformer', arch: 'b', frozen_stages: 12 }).params
    expect(probe.filter((p) => p.requiresGrad).map((p) => p.name)).toEqual([])
    const mocov3 = backbone({ type: 'MoCoV3ViT', arch: 'mocov3-small', stop_grad_conv1: true }).params
    expect(mocov3.find((p) => p.name === 'backbone.patch_embed.projection.weight')!.requiresGrad).toBe(false)
    expect(mocov3.find((p) => p.name === 'backbone.cls_token')!.requiresGrad).toBe(true)
  })

  it('SwinTransformer-B (window 7) has Swin-B’s parameter count without the head, with MMPretrain’s names', () => {
    // timm's swin_base_patch4_window7_224 (87,768,224) less its 1000-class head.
    const swin = backbone({ type: 'SwinTransformer', arch: 'B', img_size: 224 })
    expect(countParams(swin.params)).toBe(86_743_224)
    expect(shapeOf(swin.params, 'backbone.stages.2.blocks.17.attn.w_msa.relative_position_bias_table')).toEqual([
      169, 16,
    ])
    expect(shapeOf(swin.params, 'backbone.stages.0.downsample.reduction.weight')).toEqual([256, 512])
    expect(shapeOf(swin.params, 'backbone.norm3.weight')).toEqual([1024])
    expect(swin.backbone).toEqual({ kind: 'swin', depths: [2, 2, 18, 2] })
    const simmim = backbone({
      type: 'SimMIMSwinTransformer',
      arch: 'B',
      stage_cfgs: { block_cfgs: { window_size: 6 } },
    })
    expect(shapeOf(simmim.params, 'backbone.mask_token')).toEqual([1, 1, 128])
    expect(shapeOf(simmim.params, 'backbone.stages.0.blocks.0.attn.w_msa.relative_position_bias_table')).toEqual([
      121, 4,
    ])
  })

  it('the trainable VisionTransformer initialises exactly the parameters the shared description lists', () => {
    const built = build({ type: 'VisionTransformer', num_classes: 10 })
    if (built._tag === 'Left') throw new Error('build')
    const model = built.right
    const { params } = model.init(Rng.make(0))
    expect(Object.keys(params)).toEqual(model.info.params.map((p) => p.name))
    expect(Object.values(params).map((t) => t.shape)).toEqual(model.info.params.map((p) => p.shape))
    tf.dispose(Object.values(params))
  })
})
