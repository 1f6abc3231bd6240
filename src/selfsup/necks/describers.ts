/**
 * Describers of MMSelfSup's necks: the masked-image-modeling decoders
 * loopwright does not train (`MAEPretrainDecoder`, `MILANPretrainDecoder`,
 * `CAENeck`, `BEiTV2Neck`, `SimMIMNeck`, `LinearNeck`, `RelativeLocNeck`, `ODCNeck`,
 * `MixMIMPretrainDecoder`),
 * described from MMSelfSup's module layout, and the necks it trains, described
 * by the components themselves (one definition).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Describer } from '../../models/Description.js'
import { reader } from '../../models/Description.js'
import type { ParamSpec } from '../../models/ParamSpec.js'
import { conv2dSpecs, infoOfSpecs, linearSpecs, normSpecs, param, zeros } from '../../models/ParamSpec.js'
import { encoderLayerSpecs, vitArchs } from '../../models/vitSpecs.js'
import type { ComponentDict } from '../registry.js'
import { describeComponent } from '../ComponentDescription.js'
import { defaultComponentDescriptions } from '../componentDescriptions.js'

/**
 * A neck or head loopwright trains, described by its own `info` (the same list its `init` draws). `forwardOnly` names
 * keys that change only the forward pass, which the description may ignore even where training refuses them.
 */
export const componentDescriber = (name: string, forwardOnly: ReadonlyArray<string> = []): Describer => ({
  name,
  describe: (cfg, prefix, where) => {
    const kept = Object.fromEntries(Object.entries(cfg).filter(([k]) => !forwardOnly.includes(k))) as ComponentDict
    try {
      return E.right({ params: describeComponent(defaultComponentDescriptions, kept, prefix, where) })
    } catch (e) {
      return E.left([{ path: where, message: (e as Error).message }])
    }
  },
})

const ln = (name: string, c: number): ReadonlyArray<ParamSpec> => normSpecs(name, c, 'LayerNorm')

/**
 * `MAEPretrainDecoder` (and MixMIM's and MILAN's subclasses): own `mask_token` and fixed `decoder_pos_embed`, then
 * `decoder_embed`, the decoder layers, the norm `ln1`, `decoder_pred`.
 */
const maeDecoder = (name: string, variant: 'mae' | 'milan' | 'mixmim'): Describer => ({
  name,
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const patch = r.number('patch_size', 16)
    const inChans = r.number('in_chans', 3)
    const embed = r.number('embed_dim', 1024)
    const dim = r.number('decoder_embed_dim', 512)
    const depth = r.number('decoder_depth', 8)
    const heads = r.number('decoder_num_heads', 16)
    const mlp = r.number('mlp_ratio', 4)
    const patches = r.number('num_patches', 196)
    const milan = variant === 'milan'
    // MixMIM predicts the pixels of a whole encoder-stride patch and has no class token position.
    const predict = milan
      ? r.number('predict_feature_dim', 512)
      : variant === 'mixmim'
        ? r.number('encoder_stride', 32) ** 2 * 3
        : patch * patch * inChans
    const positions = variant === 'mixmim' ? patches : patches + 1
    const own = { type: name }
    return r.done(() => {
      const blocks = Array.from({ length: depth }, (_, i) => {
        const block = `${prefix}.decoder_blocks.${i}`
        if (!milan)
          return encoderLayerSpecs(block, {
            embed_dims: dim,
            num_heads: heads,
            feedforward_channels: Math.trunc(mlp * dim),
            qkv_bias: 'linear',
            layer_scale: 0,
            rel_pos_rows: 0,
          })
        // MILAN's prompt layers attend with separate q and kv projections.
        return [
          ...ln(`${block}.ln1`, dim),
          ...linearSpecs(`${block}.attn.q`, dim, dim),
          ...linearSpecs(`${block}.attn.kv`, dim, 2 * dim),
          ...linearSpecs(`${block}.attn.proj`, dim, dim),
          ...ln(`${block}.ln2`, dim),
          ...linearSpecs(`${block}.ffn.layers.0.0`, dim, Math.trunc(mlp * dim)),
          ...linearSpecs(`${block}.ffn.layers.1`, Math.trunc(mlp * dim), dim),
        ]
      }).flat()
      return {
        params: infoOfSpecs([
          param(`${prefix}.mask_token`, [1, 1, dim], own, zeros),
          param(`${prefix}.decoder_pos_embed`, [1, positions, dim], own, zeros, false),
          ...linearSpecs(`${prefix}.decoder_embed`, embed, dim),
          ...blocks,
          ...ln(`${prefix}.ln1`, dim),
          ...linearSpecs(`${prefix}.decoder_pred`, dim, predict),
        ]),
      }
    })
  },
})

/** `CAENeck`: own `mask_token`; regressor (cross-attention) layers, decoder layers, their norms, the `head`. */
const caeNeck: Describer = {
  name: 'CAENeck',
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const c = r.number('embed_dims', 768)
    const classes = r.number('num_classes', 8192)
    const regressors = r.number('regressor_depth', 6)
    const decoders = r.number('decoder_depth', 8)
    const heads = r.number('num_heads', 12)
    const f = c * r.number('mlp_ratio', 4)
    const qkvBias = r.boolean('qkv_bias', true)
    const scale = r.number('init_values', 0)
    return r.done(() => {
      const regressor = (i: number): ReadonlyArray<ParamSpec> => {
        const l = `${prefix}.regressors.${i}`
        const own = { type: 'CAETransformerRegressorLayer' }
        const attn = { type: 'CrossMultiheadAttention' }
        return [
          // Without init_values the gammas are fixed ones.
          param(`${l}.gamma_1_cross`, [c], own, zeros, scale > 0),
          param(`${l}.gamma_2_cross`, [c], own, zeros, scale > 0),
          ...ln(`${l}.norm1_q_cross`, c),
          ...ln(`${l}.norm1_k_cross`, c),
          ...ln(`${l}.norm1_v_cross`, c),
          ...ln(`${l}.norm2_cross`, c),
          ...(qkvBias
            ? [param(`${l}.cross_attn.q_bias`, [c], attn, zeros), param(`${l}.cross_attn.v_bias`, [c], attn, zeros)]
            : []),
          ...linearSpecs(`${l}.cross_attn.q`, c, c, { bias: false }),
          ...linearSpecs(`${l}.cross_attn.k`, c, c, { bias: false }),
          ...linearSpecs(`${l}.cross_attn.v`, c, c, { bias: false }),
          ...linearSpecs(`${l}.cross_attn.proj`, c, c),
          ...linearSpecs(`${l}.ffn.layers.0.0`, c, f),
          ...linearSpecs(`${l}.ffn.layers.1`, f, c),
        ]
      }
      const layer = { embed_dims: c, num_heads: heads, feedforward_channels: f, layer_scale: scale, rel_pos_rows: 0 }
      return {
        params: infoOfSpecs([
          param(`${prefix}.mask_token`, [1, 1, c], { type: 'CAENeck' }, zeros),
          ...Array.from({ length: regressors }, (_, i) => regressor(i)).flat(),
          ...Array.from({ length: decoders }, (_, i) =>
            encoderLayerSpecs(`${prefix}.decoders.${i}`, { ...layer, qkv_bias: qkvBias ? 'linear' : 'qv' }),
          ).flat(),
          ...ln(`${prefix}.norm_regressor`, c),
          ...ln(`${prefix}.norm_decoder`, c),
          ...(classes > 0 ? linearSpecs(`${prefix}.head`, c, classes) : []),
        ]),
      }
    })
  },
}

/** `BEiTV2Neck`: BEiT layers `patch_aggregation.{i}` over the early layers' tokens, then `norm`. */
const beitV2Neck: Describer = {
  name: 'BEiTV2Neck',
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const layers = r.number('num_layers', 2)
    const archName = r.string('backbone_arch', 'base')
    const a = vitArchs[archName.toLowerCase()]
    if (a === undefined) r.fail('backbone_arch', `'${archName}' is not a ViT arch`)
    const scale = r.number('layer_scale_init_value', 0.1)
    if (r.boolean('use_rel_pos_bias', false))
      r.fail('use_rel_pos_bias', 'a relative position bias here is not described')
    return r.done(() => ({
      params: infoOfSpecs([
        ...Array.from({ length: layers }, (_, i) =>
          encoderLayerSpecs(`${prefix}.patch_aggregation.${i}`, {
            ...a!,
            qkv_bias: 'qv',
            layer_scale: scale,
            rel_pos_rows: 0,
          }),
        ).flat(),
        ...ln(`${prefix}.norm`, a!.embed_dims),
      ]),
    }))
  },
}

/** `SimMIMNeck`: a 1×1 conv to `encoder_stride² · 3` channels (then a parameter-free pixel shuffle). */
const simmimNeck: Describer = {
  name: 'SimMIMNeck',
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const inC = r.number('in_channels', Number.NaN)
    const stride = r.number('encoder_stride', 32)
    if (Number.isNaN(inC)) r.fail('in_channels', 'in_channels is required')
    return r.done(() => ({
      params: infoOfSpecs(conv2dSpecs(`${prefix}.decoder.0`, { in: inC, out: stride * stride * 3, k: 1 })),
    }))
  },
}

/** `LinearNeck`: one `fc`. */
const linearNeck: Describer = {
  name: 'LinearNeck',
  describe: (cfg, prefix, where, ctx) => {
    const r = reader(cfg, where)
    const inC = r.number('in_channels', ctx.inChannels ?? Number.NaN)
    const outC = r.number('out_channels', Number.NaN)
    if (Number.isNaN(inC) || Number.isNaN(outC)) r.fail('', 'in_channels and out_channels are required')
    return r.done(() => ({ params: infoOfSpecs(linearSpecs(`${prefix}.fc`, inC, outC)) }))
  },
}

/** `RelativeLocNeck`: `fc` over two patches' features, then a BatchNorm1d `bn`. */
const relativeLocNeck: Describer = {
  name: 'RelativeLocNeck',
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const inC = r.number('in_channels', Number.NaN)
    const outC = r.number('out_channels', Number.NaN)
    if (Number.isNaN(inC) || Number.isNaN(outC)) r.fail('', 'in_channels and out_channels are required')
    return r.done(() => ({
      params: infoOfSpecs([
        ...linearSpecs(`${prefix}.fc`, 2 * inC, outC),
        ...normSpecs(`${prefix}.bn`, outC, 'BatchNorm1d'),
      ]),
    }))
  },
}

/** `ODCNeck`: `fc0`, a BatchNorm1d `bn0` without affine parameters, `fc1`. */
const odcNeck: Describer = {
  name: 'ODCNeck',
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    const inC = r.number('in_channels', Number.NaN)
    const hid = r.number('hid_channels', Number.NaN)
    const outC = r.number('out_channels', Number.NaN)
    if ([inC, hid, outC].some(Number.isNaN)) r.fail('', 'in_channels, hid_channels and out_channels are required')
    return r.done(() => ({
      params: infoOfSpecs([...linearSpecs(`${prefix}.fc0`, inC, hid), ...linearSpecs(`${prefix}.fc1`, hid, outC)]),
    }))
  },
}

/** Every neck loopwright can describe. */
export const neckDescribers: ReadonlyArray<Describer> = [
  maeDecoder('MAEPretrainDecoder', 'mae'),
  maeDecoder('MILANPretrainDecoder', 'milan'),
  maeDecoder('MixMIMPretrainDecoder', 'mixmim'),
  caeNeck,
  beitV2Neck,
  simmimNeck,
  linearNeck,
  relativeLocNeck,
  odcNeck,
  // With a ViT backbone the neck reads the class token instead of pooling: the same parameters.
  componentDescriber('NonLinearNeck', ['vit_backbone']),
  ...['MoCoV2Neck', 'AvgPool2dNeck', 'SwAVNeck', 'DenseCLNeck'].map((n) => componentDescriber(n)),
]
