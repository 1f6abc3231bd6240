/**
 * The parameters of MMPretrain's Vision Transformer family, described once
 * and in `named_parameters()` order, for every variant MMSelfSup builds on:
 * the plain `VisionTransformer` (and `MoCoV3ViT`), `MAEViT` (fixed sin-cos
 * `pos_embed`), `BEiTViT` (no absolute position embedding, relative position
 * bias shared or per layer, layer scale `gamma_1`/`gamma_2`, `q_bias`/`v_bias`,
 * `mask_token`), `CAEViT` (`q_bias`/`v_bias`, `gamma_1`/`gamma_2`) and
 * `MaskFeatViT` (`mask_token`). The trainable `VisionTransformer` model
 * initialises its weights from this list; the dry run lists ViT-L from it
 * without a tensor.
 *
 * ```
 * {p}.cls_token                       [1, 1, C]
 * {p}.pos_embed                       [1, 1 + P, C]   (requires_grad False when fixed)
 * {p}.mask_token                      [1, 1, C]
 * {p}.patch_embed.projection.*        [C, in, k, k], [C]
 * {p}.rel_pos_bias.relative_position_bias_table   [(2·W − 1)² + 3, heads]   (shared)
 * {p}.layers.{i}.gamma_1, gamma_2     [C]             (layer scale, BEiT/CAE)
 * {p}.layers.{i}.ln1.*                [C]
 * {p}.layers.{i}.attn.q_bias, v_bias  [C]             (BEiT/CAE: the qkv Linear has no bias)
 * {p}.layers.{i}.attn.relative_position_bias_table   (per-layer relative position bias)
 * {p}.layers.{i}.attn.qkv.*           [3C, C] (+ [3C])
 * {p}.layers.{i}.attn.proj.*          [C, C], [C]
 * {p}.layers.{i}.ln2.*                [C]
 * {p}.layers.{i}.ffn.layers.0.0.*     [F, C], [F]
 * {p}.layers.{i}.ffn.layers.1.*       [C, F], [C]
 * {p}.ln1.*, {p}.ln2.*                [C]             (final norm; the norm of the averaged tokens)
 * ```
 * @module
 */
import type { BackboneInfo } from './ModelInfo.js'
import type { InitRule, ParamSpec } from './ParamSpec.js'
import { conv2dSpecs, linearSpecs, normSpecs, param, xavierUniformBound, zeros } from './ParamSpec.js'

/** The widths of one ViT architecture (MMPretrain's `arch_zoo` entry). */
export interface ViTArch {
  readonly embed_dims: number
  readonly num_layers: number
  readonly num_heads: number
  readonly feedforward_channels: number
}

const arch = (embed: number, layers: number, heads: number, ffn: number): ViTArch => ({
  embed_dims: embed,
  num_layers: layers,
  num_heads: heads,
  feedforward_channels: ffn,
})

/** MMPretrain's `VisionTransformer.arch_zoo` (and `MoCoV3ViT`'s `mocov3-small`), by every alias. */
export const vitArchs: { readonly [name: string]: ViTArch } = Object.fromEntries(
  (
    [
      [['s', 'small'], arch(768, 8, 8, 768 * 3)],
      [['b', 'base'], arch(768, 12, 12, 3072)],
      [['l', 'large'], arch(1024, 24, 16, 4096)],
      [['h', 'huge'], arch(1280, 32, 16, 5120)],
      [['deit-t', 'deit-tiny'], arch(192, 12, 3, 192 * 4)],
      [['deit-s', 'deit-small'], arch(384, 12, 6, 384 * 4)],
      [['deit-b', 'deit-base'], arch(768, 12, 12, 768 * 4)],
      [['mocov3-s', 'mocov3-small'], arch(384, 12, 12, 1536)],
    ] as const
  ).flatMap(([names, a]) => names.map((n) => [n, a] as const)),
)

/** Everything that decides a ViT's parameters. */
export interface ViTLayout extends ViTArch {
  readonly img_size: number
  readonly patch_size: number
  readonly in_channels: number
  readonly with_cls_token: boolean
  /** `'learned'`: trained; `'fixed'`: sin-cos, `requires_grad=False` (MAE, CAE); `'none'` (BEiT without abs). */
  readonly pos_embed: 'learned' | 'fixed' | 'none'
  /** `'linear'`: the qkv Linear's bias; `'qv'`: separate `q_bias`/`v_bias` (BEiT, CAE); `'none'`. */
  readonly qkv_bias: 'linear' | 'qv' | 'none'
  /** Layer scale `gamma_1`/`gamma_2` on each layer (BEiT's `layer_scale_init_value`, CAE's `init_values`); 0: none. */
  readonly layer_scale: number
  /** BEiT's relative position bias: one table per layer, one shared table, or none. */
  readonly rel_pos_bias: 'layer' | 'shared' | 'none'
  readonly mask_token: boolean
  /** The final LayerNorm `ln1`. */
  readonly final_norm: boolean
  /** The LayerNorm `ln2` of the averaged patch tokens (`avg_token=True` / `out_type='avg_featmap'`). */
  readonly avg_norm: boolean
}

/**
 * Patches along one side of the image: `⌈img_size / patch_size⌉` (MMPretrain's `PatchEmbed` pads the corner up).
 *
 * @example
 * ```ts
 * patchGrid(224, 16) // 14
 * ```
 */
export const patchGrid = (imgSize: number, patchSize: number): number => Math.ceil(imgSize / patchSize)

/** BEiT's table size: every relative offset in a `W × W` window, plus cls→token, token→cls and cls→cls. */
const relPosTableSize = (window: number): number => (2 * window - 1) ** 2 + 3

/** One encoder layer's options (the layout's, or a decoder's). */
export interface EncoderLayerLayout {
  readonly embed_dims: number
  readonly num_heads: number
  readonly feedforward_channels: number
  readonly qkv_bias: ViTLayout['qkv_bias']
  readonly layer_scale: number
  /** The relative position bias table's rows when the layer has its own; 0 otherwise. */
  readonly rel_pos_rows: number
}

/**
 * One pre-norm encoder layer under `prefix`: layer scale, `ln1`, attention, `ln2`, FFN. Initialisation as MMPretrain's
 * `TransformerEncoderLayer`: PyTorch's default for the attention Linears, xavier-uniform weights and N(0, 1e-6²) biases
 * for the FFN.
 *
 * @example
 * ```ts
 * encoderLayerSpecs('neck.decoder_blocks.0', { embed_dims: 512, num_heads: 16, feedforward_channels: 2048,
 *   qkv_bias: 'linear', layer_scale: 0, rel_pos_rows: 0 }).length // 12
 * ```
 */
export const encoderLayerSpecs = (prefix: string, l: EncoderLayerLayout): ReadonlyArray<ParamSpec> => {
  const c = l.embed_dims
  const f = l.feedforward_channels
  const own = { type: 'TransformerEncoderLayer' }
  const attn = { type: 'MultiheadAttention' }
  const ffn = (name: string, inF: number, out: number) =>
    linearSpecs(name, inF, out, {
      weight: { kind: 'uniform', bound: xavierUniformBound(inF, out) },
      biasInit: { kind: 'normal', std: 1e-6 },
    })
  const scale: InitRule = { kind: 'constant', value: l.layer_scale }
  return [
    ...(l.layer_scale > 0
      ? [param(`${prefix}.gamma_1`, [c], own, scale), param(`${prefix}.gamma_2`, [c], own, scale)]
      : []),
    ...normSpecs(`${prefix}.ln1`, c, 'LayerNorm'),
    ...(l.qkv_bias === 'qv'
      ? [param(`${prefix}.attn.q_bias`, [c], attn, zeros), param(`${prefix}.attn.v_bias`, [c], attn, zeros)]
      : []),
    ...(l.rel_pos_rows > 0
      ? [param(`${prefix}.attn.relative_position_bias_table`, [l.rel_pos_rows, l.num_heads], attn, zeros)]
      : []),
    ...linearSpecs(`${prefix}.attn.qkv`, c, 3 * c, { bias: l.qkv_bias === 'linear' }),
    ...linearSpecs(`${prefix}.attn.proj`, c, c),
    ...normSpecs(`${prefix}.ln2`, c, 'LayerNorm'),
    ...ffn(`${prefix}.ffn.layers.0.0`, c, f),
    ...ffn(`${prefix}.ffn.layers.1`, f, c),
  ]
}

/**
 * The backbone's parameters under `prefix` (`'backbone'`), in `named_parameters()` order: its own tokens and
 * embeddings, then the patch embedding, the shared relative position bias, the layers and the final norms.
 *
 * @example
 * ```ts
 * vitSpecs('backbone', mae).find((p) => p.name === 'backbone.pos_embed')!.requiresGrad // false
 * ```
 */
export const vitSpecs = (prefix: string, v: ViTLayout): ReadonlyArray<ParamSpec> => {
  const c = v.embed_dims
  const grid = patchGrid(v.img_size, v.patch_size)
  const tokens = grid * grid + (v.with_cls_token ? 1 : 0)
  const own = { type: 'VisionTransformer' }
  const rows = relPosTableSize(grid)
  return [
    ...(v.with_cls_token ? [param(`${prefix}.cls_token`, [1, 1, c], own, zeros)] : []),
    ...(v.pos_embed === 'none'
      ? []
      : [
          param(
            `${prefix}.pos_embed`,
            [1, tokens, c],
            own,
            { kind: 'truncNormal', std: 0.02 },
            v.pos_embed === 'learned',
          ),
        ]),
    ...(v.mask_token ? [param(`${prefix}.mask_token`, [1, 1, c], own, zeros)] : []),
    ...conv2dSpecs(`${prefix}.patch_embed.projection`, { in: v.in_channels, out: c, k: v.patch_size }),
    ...(v.rel_pos_bias === 'shared'
      ? [
          param(
            `${prefix}.rel_pos_bias.relative_position_bias_table`,
            [rows, v.num_heads],
            { type: 'RelativePositionBias' },
            zeros,
          ),
        ]
      : []),
    ...Array.from({ length: v.num_layers }, (_, i) =>
      encoderLayerSpecs(`${prefix}.layers.${i}`, {
        ...v,
        rel_pos_rows: v.rel_pos_bias === 'layer' ? rows : 0,
      }),
    ).flat(),
    ...(v.final_norm ? normSpecs(`${prefix}.ln1`, c, 'LayerNorm') : []),
    ...(v.avg_norm ? normSpecs(`${prefix}.ln2`, c, 'LayerNorm') : []),
  ]
}

/** What the layer-decay constructors read from a ViT backbone. */
export const vitBackboneInfo = (v: ViTLayout): BackboneInfo => ({ kind: 'vit', numLayers: v.num_layers })
