/**
 * Describers of the backbones MMSelfSup's and MMPretrain's configs name
 * (`backbone=dict(type=...)`), at their real size and with the
 * `requires_grad` each constructor leaves (MAE's fixed `pos_embed`,
 * `frozen_stages`, MoCo v3's `stop_grad_conv1`, the frozen Sobel filter).
 * ResNet and ViT come from the same parameter lists the tensor models draw
 * their weights from; Swin is described only.
 * @module
 */
import type { Cfg, Describer } from './Description.js'
import { makeDescribers, reader } from './Description.js'
import type { ParamSpec } from './ParamSpec.js'
import { conv2dSpecs, infoOfSpecs } from './ParamSpec.js'
import { mixmimArchs, mixmimBackboneInfo, mixmimSpecs } from './mixmimSpecs.js'
import * as ResNet from './resnetSpecs.js'
import type { SwinArch } from './swinSpecs.js'
import { swinArchs, swinBackboneInfo, swinOutChannels, swinSpecs } from './swinSpecs.js'
import type { ViTArch, ViTLayout } from './vitSpecs.js'
import { vitArchs, vitBackboneInfo, vitSpecs } from './vitSpecs.js'

const freezeWhere = (specs: ReadonlyArray<ParamSpec>, frozen: (name: string) => boolean): ReadonlyArray<ParamSpec> =>
  specs.map((s) => (frozen(s.name) ? { ...s, requiresGrad: false } : s))

/** `depth`, widths, `frozen_stages`, `norm_cfg` (BN kinds; SyncBN is BatchNorm in one process). */
const resnet = (name: string, stem: 'cifar' | 'imagenet', sobel: boolean): Describer => ({
  name,
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const depth = r.number('depth', 50)
    const arch = ResNet.archOf(depth)
    if (arch === undefined) r.fail('depth', `depth ${depth} is not a ResNet depth (18, 34, 50, 101, 152)`)
    const norm = r.dict('norm_cfg')
    const normType = norm === undefined ? 'BN' : reader(norm, `${where}.norm_cfg`).string('type', 'BN')
    if (!['BN', 'SyncBN', 'BN2d'].includes(normType))
      r.fail('norm_cfg.type', `'${normType}' is not described (BN and SyncBN are)`)
    const frozen = r.number('frozen_stages', -1)
    const cfgR: ResNet.ResNetConfig = {
      block: arch?.block ?? 'basic',
      stage_blocks: arch?.stageBlocks ?? [],
      base_channels: r.number('base_channels', 64),
      stem_channels: r.number('stem_channels', 64),
      in_channels: sobel ? 2 : r.number('in_channels', 3),
      num_classes: 1,
      strides: (arch?.stageBlocks ?? []).map((_, i) => (i === 0 ? 1 : 2)),
      stem,
      zero_init_residual: r.boolean('zero_init_residual', false),
      img_size: 224,
    }
    if (r.boolean('deep_stem', false)) r.fail('deep_stem', 'the deep stem (ResNetV1c/d) is not described')
    return r.done(() => {
      // MMPretrain's frozen_stages: 0 freezes the stem, n also layer1…layer n.
      const frozenPrefixes =
        frozen < 0
          ? []
          : ['backbone.conv1.', 'backbone.bn1.', ...Array.from({ length: frozen }, (_, s) => `backbone.layer${s + 1}.`)]
      const own = freezeWhere(ResNet.backboneSpecs(cfgR), (n) => frozenPrefixes.some((p) => n.startsWith(p)))
      // ResNetSobel registers its fixed gray-scale and Sobel convs after the stages.
      const sobelSpecs = sobel
        ? [
            ...conv2dSpecs('backbone.sobel_layer.sobel.0', { in: 3, out: 1, k: 1 }),
            ...conv2dSpecs('backbone.sobel_layer.sobel.1', { in: 1, out: 2, k: 3 }),
          ].map((s) => ({ ...s, requiresGrad: false }))
        : []
      return {
        params: infoOfSpecs([...own, ...sobelSpecs]).map((s) => ({
          ...s,
          name: `${prefix}${s.name.slice('backbone'.length)}`,
        })),
        outChannels: ResNet.featureChannels(cfgR),
      }
    })
  },
})

/** `arch` as a name of the zoo or a dict of the four widths. */
const readArch = <A>(
  r: ReturnType<typeof reader>,
  cfg: Cfg,
  zoo: { readonly [name: string]: A },
  fallback: string,
  keys: ReadonlyArray<keyof A & string>,
): A | undefined => {
  const a = cfg['arch'] ?? fallback
  if (typeof a === 'string') {
    const found = zoo[a.toLowerCase()]
    if (found === undefined) r.fail('arch', `'${a}' is not one of ${Object.keys(zoo).join(', ')}`)
    return found
  }
  if (typeof a === 'object' && a !== null && keys.every((k) => k in a)) return a as A
  r.fail('arch', `expected an arch name or a dict with ${keys.join(', ')}`)
  return undefined
}

const vitKeys: ReadonlyArray<keyof ViTArch & string> = ['embed_dims', 'num_layers', 'num_heads', 'feedforward_channels']

/** The ViT variants: what each fixes, on top of MMPretrain's `VisionTransformer` arguments. */
interface ViTVariant {
  readonly name: string
  readonly arch: string
  /** Position embedding when the config does not say (MAE and CAE fix theirs). */
  readonly posEmbed: ViTLayout['pos_embed']
  readonly maskToken: boolean
  /** BEiT-style layers: q/v biases, layer scale `gamma_1`/`gamma_2`, relative position bias. */
  readonly beit: boolean
  /** MoCo v3's ViT: `stop_grad_conv1`, and `frozen_stages ≥ 0` freezes the embeddings too. */
  readonly mocov3: boolean
}

const vit = (v: ViTVariant): Describer => ({
  name: v.name,
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const a = readArch(r, cfg, vitArchs, v.arch, vitKeys)
    // MMPretrain's BEiT backbone defaults to the averaged-token norm ln2 and a relative position bias per layer.
    const mmpretrainBeit = v.name === 'BEiT'
    const finalNorm = r.boolean('final_norm', !mmpretrainBeit)
    // MMCls 1.x's avg_token and MMPretrain's out_type='avg_featmap' both add the norm ln2.
    const avgNorm =
      r.boolean('avg_token', mmpretrainBeit) ||
      r.string('out_type', mmpretrainBeit ? 'avg_featmap' : 'cls_token') === 'avg_featmap'
    const beitScale = r.number('layer_scale_init_value', v.beit ? 0.1 : 0)
    const caeScale = r.number('init_values', 0)
    if (!v.beit && v.name !== 'CAEViT' && beitScale > 0)
      r.fail('layer_scale_init_value', 'the layer scale of MMPretrain’s ViT is not described')
    if (r.boolean('pre_norm', false)) r.fail('pre_norm', 'pre_norm is not described')
    const qkvBias = r.boolean('qkv_bias', true)
    const absPos = r.boolean('use_abs_pos_emb', false)
    const relPos = r.boolean('use_rel_pos_bias', mmpretrainBeit)
    const sharedRelPos = r.boolean('use_shared_rel_pos_bias', v.name === 'BEiTViT')
    const frozen = r.number('frozen_stages', -1)
    const stopGradConv1 = v.mocov3 && r.boolean('stop_grad_conv1', false)
    const layout: ViTLayout | undefined =
      a === undefined
        ? undefined
        : {
            ...a,
            img_size: r.number('img_size', 224),
            patch_size: r.number('patch_size', 16),
            in_channels: r.number('in_channels', 3),
            with_cls_token: r.boolean('with_cls_token', true),
            pos_embed: v.beit ? (absPos ? 'learned' : 'none') : v.posEmbed,
            qkv_bias: v.beit || (v.name === 'CAEViT' && !qkvBias) ? 'qv' : qkvBias ? 'linear' : 'none',
            layer_scale: v.beit ? beitScale : v.name === 'CAEViT' ? caeScale : 0,
            rel_pos_bias: v.beit ? (relPos ? 'layer' : sharedRelPos ? 'shared' : 'none') : 'none',
            mask_token: v.maskToken,
            final_norm: finalNorm,
            avg_norm: avgNorm,
          }
    return r.done(() => {
      const l = layout!
      const p = (s: string) => `${prefix}.${s}`
      // MMPretrain's _freeze_stages: the embeddings, then layers 1…n, and the final norm with the last layer.
      const frozenNames = (n: string): boolean => {
        if (stopGradConv1 && n.startsWith(p('patch_embed.projection.'))) return true
        if ((v.mocov3 ? frozen >= 0 : frozen > 0) && [p('cls_token'), p('pos_embed')].includes(n)) return true
        if ((v.mocov3 ? frozen >= 0 : frozen > 0) && n.startsWith(p('patch_embed.'))) return true
        const layer = /\.layers\.(\d+)\./.exec(n.slice(prefix.length))
        if (layer !== null && Number(layer[1]) < frozen) return true
        return frozen >= l.num_layers && l.final_norm && n.startsWith(p('ln1.'))
      }
      return {
        params: infoOfSpecs(freezeWhere(vitSpecs(prefix, l), frozenNames)),
        backbone: vitBackboneInfo(l),
        outChannels: l.embed_dims,
      }
    })
  },
})

const plain = { posEmbed: 'learned', maskToken: false, beit: false, mocov3: false } as const

const swin = (name: string, maskToken: boolean): Describer => ({
  name,
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const a = readArch<SwinArch>(r, cfg, swinArchs, maskToken ? 'T' : 'tiny', ['embed_dims', 'depths', 'num_heads'])
    const stageCfgs = r.dict('stage_cfgs')
    const blockCfgs = stageCfgs === undefined ? undefined : reader(stageCfgs, `${where}.stage_cfgs`).dict('block_cfgs')
    const window =
      blockCfgs === undefined
        ? r.number('window_size', 7)
        : reader(blockCfgs, `${where}.stage_cfgs.block_cfgs`).number('window_size', r.number('window_size', 7))
    const outIndices = r.numbers('out_indices', [3])
    if (r.boolean('use_abs_pos_embed', false))
      r.fail('use_abs_pos_embed', 'the absolute position embedding is not described')
    const inChannels = r.number('in_channels', 3)
    const patch = r.number('patch_size', 4)
    return r.done(() => ({
      params: infoOfSpecs(
        swinSpecs(prefix, {
          ...a!,
          in_channels: inChannels,
          patch_size: patch,
          window_sizes: a!.depths.map(() => window),
          out_indices: outIndices,
          mask_token: maskToken,
        }),
      ),
      backbone: swinBackboneInfo(a!),
      outChannels: swinOutChannels(a!),
    }))
  },
})

/** MMSelfSup's `MixMIMTransformerPretrain` (MMPretrain's `MixMIMTransformer` with masking in its forward). */
const mixmim = (name: string): Describer => ({
  name,
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const a = readArch<SwinArch>(r, cfg, mixmimArchs, 'base', ['embed_dims', 'depths', 'num_heads'])
    const layout = {
      img_size: r.number('img_size', 224),
      patch_size: r.number('patch_size', 4),
      in_channels: r.number('in_channels', 3),
      mlp_ratio: r.number('mlp_ratio', 4),
      window_sizes: r.numbers('window_size', [14, 14, 14, 7]),
    }
    if (!r.boolean('qkv_bias', true)) r.fail('qkv_bias', 'qkv_bias=False is not described')
    return r.done(() => ({
      params: infoOfSpecs(mixmimSpecs(prefix, { ...a!, ...layout })),
      backbone: mixmimBackboneInfo(a!),
      outChannels: swinOutChannels(a!),
    }))
  },
})

/** The backbones loopwright can describe, by config `type` (scopes `mmcls.`, `mmselfsup.`, … accepted). */
export const backboneDescribers = makeDescribers('backbone description', [
  resnet('ResNet', 'imagenet', false),
  resnet('ResNetSobel', 'imagenet', true),
  resnet('ResNet_CIFAR', 'cifar', false),
  vit({ name: 'VisionTransformer', arch: 'base', ...plain }),
  vit({ name: 'MoCoV3ViT', arch: 'base', ...plain, mocov3: true }),
  vit({ name: 'MAEViT', arch: 'b', ...plain, posEmbed: 'fixed' }),
  vit({ name: 'MILANViT', arch: 'b', ...plain, posEmbed: 'fixed' }),
  vit({ name: 'MaskFeatViT', arch: 'b', ...plain, maskToken: true }),
  vit({ name: 'CAEViT', arch: 'b', ...plain, posEmbed: 'fixed' }),
  vit({ name: 'BEiTViT', arch: 'base', ...plain, beit: true, maskToken: true }),
  vit({ name: 'BEiT', arch: 'base', ...plain, beit: true }),
  swin('SwinTransformer', false),
  swin('SimMIMSwinTransformer', true),
  mixmim('MixMIMTransformer'),
  mixmim('MixMIMTransformerPretrain'),
])
