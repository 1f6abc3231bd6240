import { describe, expect, it } from 'vitest'
import { describeParts } from '../../../../src/models/Description.js'
import type { ParamInfo } from '../../../../src/models/ModelInfo.js'
import { countParams } from '../../../../src/models/ParamSpec.js'
import { modelDescribers } from '../../../../src/selfsup/algorithms/describers.js'

const described = (cfg: object): { params: ReadonlyArray<ParamInfo>; backbone?: unknown } => {
  const d = describeParts(modelDescribers, cfg, '', 'model')
  if (d._tag === 'Left') throw new Error(JSON.stringify(d.left))
  return d.right
}
const trained = (params: ReadonlyArray<ParamInfo>) => params.filter((p) => p.requiresGrad).map((p) => p.name)
const resnet50 = { type: 'ResNet', depth: 50, out_indices: [4], norm_cfg: { type: 'SyncBN' } }

describe('the models MMSelfSup’s configs name, described from their configs', () => {
  it('a ResNet-50 linear probe: frozen_stages=4 leaves only the head to train', () => {
    const probe = described({
      type: 'ImageClassifier',
      backbone: { ...resnet50, frozen_stages: 4, norm_cfg: { type: 'BN' } },
      neck: { type: 'GlobalAveragePooling' },
      head: { type: 'LinearClsHead', num_classes: 1000, in_channels: 2048, loss: { type: 'CrossEntropyLoss' } },
    })
    expect(trained(probe.params)).toEqual(['head.fc.weight', 'head.fc.bias'])
    expect(countParams(probe.params)).toBe(23_508_032 + 2_049_000)
  })

  it('ResNetSobel takes two channels and keeps its Sobel convs frozen after the stages', () => {
    const sobel = described({ type: 'ImageClassifier', backbone: { type: 'ResNetSobel', depth: 50 }, head: null })
    expect(sobel.params[0]).toMatchObject({ name: 'backbone.conv1.weight', shape: [64, 2, 7, 7] })
    expect(sobel.params.at(-1)).toMatchObject({ name: 'backbone.sobel_layer.sobel.1.bias', requiresGrad: false })
  })

  it('CAE lists its teacher and MoCo v3 its momentum encoder as frozen copies', () => {
    const cae = described({
      type: 'CAE',
      backbone: { type: 'CAEViT', arch: 'b', patch_size: 16, init_values: 0.1, qkv_bias: false },
      neck: { type: 'CAENeck', embed_dims: 768, num_heads: 12, regressor_depth: 4, decoder_depth: 4, init_values: 0.1 },
      head: { type: 'CAEHead', loss: { type: 'CAELoss', lambd: 2 } },
    })
    const names = cae.params.map((p) => p.name)
    expect(names).toContain('backbone.layers.0.attn.q_bias')
    expect(names).toContain('neck.regressors.3.cross_attn.k.weight')
    expect(names).toContain('neck.head.weight')
    const teacher = cae.params.filter((p) => p.name.startsWith('teacher.'))
    expect(teacher.length).toBe(cae.params.filter((p) => p.name.startsWith('backbone.')).length)
    expect(teacher.every((p) => !p.requiresGrad)).toBe(true)
    const mocov3 = described({
      type: 'MoCoV3',
      backbone: { type: 'MoCoV3ViT', arch: 'mocov3-small', patch_size: 16, frozen_stages: -1 },
      neck: {
        type: 'NonLinearNeck',
        in_channels: 384,
        hid_channels: 4096,
        out_channels: 256,
        num_layers: 3,
        with_bias: false,
        with_last_bn: true,
        with_last_bn_affine: false,
        with_last_bias: false,
        with_avg_pool: false,
        vit_backbone: true,
      },
      head: {
        type: 'MoCoV3Head',
        temperature: 0.2,
        loss: { type: 'mmcls.CrossEntropyLoss', loss_weight: 2 },
        predictor: {
          type: 'NonLinearNeck',
          in_channels: 256,
          hid_channels: 4096,
          out_channels: 256,
          num_layers: 2,
          with_bias: false,
          with_last_bn: true,
          with_last_bn_affine: false,
          with_last_bias: false,
          with_avg_pool: false,
        },
      },
    })
    expect(mocov3.params.find((p) => p.name === 'momentum_encoder.module.0.cls_token')!.requiresGrad).toBe(false)
    expect(mocov3.params.some((p) => p.name === 'momentum_encoder.module.1.fc0.weight')).toBe(true)
    expect(mocov3.backbone).toEqual({ kind: 'vit', numLayers: 12 })
  })

  it('BEiT v2: the neck’s BEiT layers and norm, the head’s token classifier', () => {
    const beit = described({
      type: 'BEiT',
      backbone: { type: 'BEiTViT', arch: 'base', patch_size: 16, out_indices: [-4, -1], final_norm: false },
      neck: { type: 'BEiTV2Neck', num_layers: 2, early_layers: 9, backbone_arch: 'base' },
      head: { type: 'BEiTV2Head', embed_dims: 768, num_embed: 8192, loss: { type: 'BEiTLoss' } },
    })
    const shape = (n: string) => beit.params.find((p) => p.name === n)?.shape
    expect(shape('neck.patch_aggregation.1.gamma_2')).toEqual([768])
    expect(shape('neck.norm.weight')).toEqual([768])
    expect(shape('head.cls_head.weight')).toEqual([8192, 768])
    expect(shape('backbone.ln1.weight')).toBeUndefined()
  })

  it('MultiClsHead of the ResNet-50 benchmarks: one classifier per tapped stage over its pooled width', () => {
    const mhead = described({
      type: 'ImageClassifier',
      backbone: { ...resnet50, out_indices: [0, 1, 2, 3, 4] },
      head: {
        type: 'mmselfsup.MultiClsHead',
        pool_type: 'specified',
        in_indices: [0, 1, 2, 3, 4],
        norm_cfg: { type: 'SyncBN', momentum: 0.1, affine: false },
        num_classes: 205,
      },
    })
    const heads = mhead.params.filter((p) => p.name.startsWith('head.'))
    expect(heads.map((p) => [p.name, p.shape]).slice(0, 2)).toEqual([
      ['head.fcs.0.weight', [205, 9216]],
      ['head.fcs.0.bias', [205]],
    ])
    expect(heads.length).toBe(10)
  })

  it('MixMIM-B: about 88M parameters with a 1000-class head (the paper’s count), a decoder without cls', () => {
    const mixmim = described({
      type: 'MixMIM',
      backbone: { type: 'MixMIMTransformerPretrain', arch: 'B', drop_rate: 0.0, drop_path_rate: 0.0 },
      neck: {
        type: 'MixMIMPretrainDecoder',
        num_patches: 49,
        encoder_stride: 32,
        embed_dim: 1024,
        decoder_embed_dim: 512,
        decoder_depth: 8,
        decoder_num_heads: 16,
      },
      head: { type: 'MixMIMPretrainHead', norm_pix: true, loss: { type: 'PixelReconstructionLoss', criterion: 'L2' } },
    })
    const backbone = mixmim.params.filter((p) => p.name.startsWith('backbone.') && p.requiresGrad)
    expect(Math.round((countParams(backbone) + 1024 * 1000 + 1000) / 1e6)).toBe(88)
    const shape = (n: string) => mixmim.params.find((p) => p.name === n)?.shape
    // Stage 3 (7×7 map) clips its window 7; stages 0–2 keep 14.
    expect(shape('backbone.layers.0.blocks.0.attn.relative_position_bias_table')).toEqual([27 * 27, 4])
    expect(shape('backbone.layers.3.blocks.1.attn.relative_position_bias_table')).toEqual([13 * 13, 32])
    expect(shape('neck.decoder_pos_embed')).toEqual([1, 49, 512])
    expect(shape('neck.decoder_pred.weight')).toEqual([32 * 32 * 3, 512])
    expect(mixmim.params.find((p) => p.name === 'backbone.absolute_pos_embed')!.requiresGrad).toBe(false)
  })

  it('ODC: the neck’s two linears (its BatchNorm has no affine parameters) and the 10,000-way head', () => {
    const odc = described({
      type: 'ODC',
      backbone: resnet50,
      neck: { type: 'ODCNeck', in_channels: 2048, hid_channels: 512, out_channels: 256, with_avg_pool: true },
      head: {
        type: 'ClsHead',
        loss: { type: 'mmcls.CrossEntropyLoss' },
        with_avg_pool: false,
        in_channels: 256,
        num_classes: 10000,
      },
    })
    expect(trained(odc.params).filter((n) => !n.startsWith('backbone.'))).toEqual([
      'neck.fc0.weight',
      'neck.fc0.bias',
      'neck.fc1.weight',
      'neck.fc1.bias',
      'head.fc_cls.weight',
      'head.fc_cls.bias',
    ])
  })
})
