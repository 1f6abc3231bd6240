/**
 * MMPretrain's `VisionTransformer` (mmpretrain/models/backbones/vision_transformer.py)
 * with a `VisionTransformerClsHead`, in an `ImageClassifier`, with its exact
 * parameter names in `named_parameters()` order:
 *
 * ```
 * backbone.cls_token                         [1, 1, C]          zeros
 * backbone.pos_embed                         [1, 1 + P, C]      trunc_normal_(std=0.02)
 * backbone.patch_embed.projection.weight     [C, in, p, p]      Conv2d, PyTorch default
 * backbone.patch_embed.projection.bias       [C]
 * backbone.layers.{i}.ln1.{weight,bias}      [C]                LayerNorm (eps 1e-6)
 * backbone.layers.{i}.attn.qkv.{weight,bias} [3C, C], [3C]      Linear, PyTorch default
 * backbone.layers.{i}.attn.proj.{weight,bias}[C, C], [C]        Linear, PyTorch default
 * backbone.layers.{i}.ln2.{weight,bias}      [C]                LayerNorm (eps 1e-6)
 * backbone.layers.{i}.ffn.layers.0.0.*       [F, C], [F]        Linear: xavier_uniform_ weight, N(0, 1e-6²) bias
 * backbone.layers.{i}.ffn.layers.1.*         [C, F], [C]        Linear: xavier_uniform_ weight, N(0, 1e-6²) bias
 * backbone.ln1.{weight,bias}                 [C]                the final norm (eps 1e-6)
 * head.layers.head.{weight,bias}             [K, C], [K]        zeros (the head's Constant(0) init)
 * ```
 *
 * (P patches, F = C · mlp_ratio, K classes.) The forward pass is MMPretrain's
 * with `out_type='cls_token'`: patch tokens, the class token prepended,
 * `pos_embed` added, dropout (`drop_rate`), pre-norm layers
 * `x + attn(ln1(x))`, `x + ffn(ln2(x))` (FFN: Linear → GELU → dropout →
 * Linear → dropout; `drop_rate` also after the attention projection), the
 * final `ln1`, and the head on the class token.
 *
 * Not provided: stochastic depth (`drop_path_rate`), attention-weight
 * dropout (`attn_drop_rate`, 0 in MMPretrain's configs), layer scale,
 * `pre_norm`, other `out_type`s, and resizing `pos_embed` for another input
 * size (the input must be `img_size`).
 *
 * `info.backbone` is `{ kind: 'vit', numLayers }`, so the layer-wise lr
 * decay constructors apply.
 *
 * @example
 * ```ts
 * const model = VisionTransformerModel.build({ num_classes: 10 }) // 28×28×1 images, patch 7, 64 dims, 3 layers, 4
 * heads
 * model.info.params[0].name // 'backbone.cls_token'
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { check, json, positiveInt, positiveNumber, struct, unitInterval } from '../schema/codec.js'
import type * as Rng from '../dsl/Rng.js'
import type { ModelInfo } from './ModelInfo.js'
import type { ParamSpec } from './ParamSpec.js'
import { infoOfSpecs, linearSpecs, zeros } from './ParamSpec.js'
import type { ViTLayout } from './vitSpecs.js'
import { vitBackboneInfo, vitSpecs } from './vitSpecs.js'
import type { Tree } from '../tensor/tree.js'
import { gelu } from './Activation.js'
import * as Dropout from './Dropout.js'
import { asImages } from './images.js'
import { initFromSpecs } from './init.js'
import * as LayerNorm from './LayerNorm.js'
import * as Linear from './Linear.js'
import { crossEntropy } from './losses.js'
import { withoutBuffers } from './Model.js'
import type { ModelType } from './Model.js'
import * as MultiheadAttention from './MultiheadAttention.js'
import * as PatchEmbed from './PatchEmbed.js'

export interface VisionTransformerConfig {
  readonly img_size: number
  readonly patch_size: number
  readonly in_channels: number
  readonly embed_dims: number
  readonly num_layers: number
  readonly num_heads: number
  /** `feedforward_channels = round(embed_dims · mlp_ratio)`. */
  readonly mlp_ratio: number
  readonly num_classes: number
  readonly drop_rate: number
}

/**
 * MMPretrain's ViT builds its LayerNorms with `eps=1e-6` (its `norm_cfg=dict(type='LN', eps=1e-6)`).
 *
 * @example
 * ```ts
 * LayerNorm.apply(params, 'backbone.ln1', x, LN_EPS)
 * ```
 */
export const LN_EPS = 1e-6

/**
 * The hidden width of each FFN: `round(embed_dims · mlp_ratio)`.
 *
 * @example
 * ```ts
 * feedforwardChannels(configOf({ num_classes: 10 })) // 256
 * ```
 */
export const feedforwardChannels = (cfg: VisionTransformerConfig): number => Math.round(cfg.embed_dims * cfg.mlp_ratio)

/**
 * The number of patch tokens (without the class token).
 *
 * @example
 * ```ts
 * numPatches(configOf({ num_classes: 10 })) // 16 (28×28 in 7×7 patches)
 * ```
 */
export const numPatches = (cfg: VisionTransformerConfig): number => {
  const [rows, cols] = PatchEmbed.gridSize([cfg.img_size, cfg.img_size], cfg.patch_size)
  return rows * cols
}

/**
 * The layout of this ViT in the shared description ({@link vitSpecs}): MMPretrain's plain `VisionTransformer` with a
 * class token, a learned `pos_embed`, qkv bias and the final norm.
 *
 * @example
 * ```ts
 * layoutOf(cfg).pos_embed // 'learned'
 * ```
 */
export const layoutOf = (cfg: VisionTransformerConfig): ViTLayout => ({
  embed_dims: cfg.embed_dims,
  num_layers: cfg.num_layers,
  num_heads: cfg.num_heads,
  feedforward_channels: feedforwardChannels(cfg),
  img_size: cfg.img_size,
  patch_size: cfg.patch_size,
  in_channels: cfg.in_channels,
  with_cls_token: true,
  pos_embed: 'learned',
  qkv_bias: 'linear',
  layer_scale: 0,
  rel_pos_bias: 'none',
  mask_token: false,
  final_norm: true,
  avg_norm: false,
})

/**
 * Every parameter, described once, in `named_parameters()` order: the backbone ({@link vitSpecs}), then
 * `VisionTransformerClsHead`'s `head.layers.head` (zeros: the head's Constant(0) init).
 *
 * @example
 * ```ts
 * specs(cfg).at(-1)!.name // 'head.layers.head.bias'
 * ```
 */
export const specs = (cfg: VisionTransformerConfig): ReadonlyArray<ParamSpec> => [
  ...vitSpecs('backbone', layoutOf(cfg)),
  ...linearSpecs('head.layers.head', cfg.embed_dims, cfg.num_classes, { weight: zeros, biasInit: zeros }),
]

/**
 * The parameters in `named_parameters()` order: the backbone's own
 * `cls_token` and `pos_embed`, then its modules, then the head.
 *
 * @example
 * ```ts
 * info(cfg).backbone // { kind: 'vit', numLayers: 4 }
 * ```
 */
export const info = (cfg: VisionTransformerConfig): ModelInfo => ({
  params: infoOfSpecs(specs(cfg)),
  backbone: vitBackboneInfo(layoutOf(cfg)),
})

/**
 * The parameters, initialised as MMPretrain does (see the module comment) from {@link specs}, the random ones drawn in
 * `named_parameters()` order.
 *
 * @example
 * ```ts
 * const [params, rng] = init(cfg, Rng.make(0))
 * ```
 */
export const init = (cfg: VisionTransformerConfig, rng: Rng.Rng): readonly [Tree, Rng.Rng] =>
  initFromSpecs(specs(cfg), rng)

/**
 * Logits `[n, num_classes]` for NHWC images `[n, img_size, img_size, in_channels]`.
 * In train mode with `drop_rate > 0` the dropout masks are drawn from `rng`.
 *
 * @example
 * ```ts
 * const logits = apply(cfg, params, x, { training: false, rng: Rng.make(0) })
 * ```
 */
export const apply = (
  cfg: VisionTransformerConfig,
  params: Tree,
  inputs: tf.Tensor,
  ctx: { readonly training: boolean; readonly rng: Rng.Rng },
): tf.Tensor =>
  tf.tidy(() => {
    const c = cfg.embed_dims
    const p = cfg.drop_rate
    let rng = ctx.rng
    const drop = (x: tf.Tensor): tf.Tensor => {
      if (!ctx.training || p === 0) return x
      const [y, next] = Dropout.apply(x, p, true, rng)
      rng = next
      return y
    }
    const images = asImages(inputs, [cfg.img_size, cfg.img_size, cfg.in_channels], 'VisionTransformer')
    const n = images.shape[0]
    const patches = PatchEmbed.apply(params, 'backbone.patch_embed', { patch_size: cfg.patch_size }, images)
    const cls = tf.tile(params['backbone.cls_token']!, [n, 1, 1])
    let x = drop(tf.add(tf.concat([cls, patches], 1), params['backbone.pos_embed']!))
    for (let i = 0; i < cfg.num_layers; i++) {
      const l = `backbone.layers.${i}`
      const [attended, next] = MultiheadAttention.apply(
        params,
        `${l}.attn`,
        { embed_dims: c, num_heads: cfg.num_heads },
        LayerNorm.apply(params, `${l}.ln1`, x, LN_EPS),
        {
          training: ctx.training,
          rng,
          proj_drop: p,
        },
      )
      rng = next ?? rng
      x = tf.add(x, attended)
      const hidden = drop(
        gelu(Linear.apply(params, `${l}.ffn.layers.0.0`, LayerNorm.apply(params, `${l}.ln2`, x, LN_EPS))),
      )
      x = tf.add(x, drop(Linear.apply(params, `${l}.ffn.layers.1`, hidden)))
    }
    x = LayerNorm.apply(params, 'backbone.ln1', x, LN_EPS)
    const clsToken = tf.reshape(tf.slice(x, [0, 0, 0], [n, 1, c]), [n, c])
    return Linear.apply(params, 'head.layers.head', clsToken)
  })

const args = check(
  struct(
    'VisionTransformer arguments (num_classes, img_size, patch_size, in_channels, ' +
      'embed_dims, num_layers, num_heads, mlp_ratio, drop_rate)',
    { num_classes: positiveInt },
    {
      img_size: positiveInt,
      patch_size: positiveInt,
      in_channels: positiveInt,
      embed_dims: positiveInt,
      num_layers: positiveInt,
      num_heads: positiveInt,
      mlp_ratio: positiveNumber,
      drop_rate: unitInterval,
      data_preprocessor: json,
    },
  ),
  (a) => {
    const dims = a.embed_dims ?? 64
    const heads = a.num_heads ?? 4
    if (dims % heads !== 0) return `embed_dims ${dims} must be divisible by num_heads ${heads}`
    if ((a.drop_rate ?? 0) >= 1) return 'drop_rate must be below 1'
    return undefined
  },
)

/**
 * The resolved configuration of decoded arguments: small defaults (28×28×1 images, patch 7, 64 dims, 3 layers, 4 heads,
 * mlp_ratio 4).
 *
 * @example
 * ```ts
 * configOf({ num_classes: 10 }).embed_dims // 64
 * ```
 */
export const configOf = (a: t.TypeOf<typeof args>): VisionTransformerConfig => ({
  img_size: a.img_size ?? 28,
  patch_size: a.patch_size ?? 7,
  in_channels: a.in_channels ?? 1,
  embed_dims: a.embed_dims ?? 64,
  num_layers: a.num_layers ?? 3,
  num_heads: a.num_heads ?? 4,
  mlp_ratio: a.mlp_ratio ?? 4,
  num_classes: a.num_classes,
  drop_rate: a.drop_rate ?? 0,
})

/**
 * `model = dict(type='VisionTransformer', num_classes=10, embed_dims=64, num_layers=3, …)`: a classifier trained with
 * cross-entropy.
 *
 * @example
 * ```ts
 * const model = VisionTransformerModel.build({ num_classes: 10, drop_rate: 0.1 })
 * ```
 */
export const VisionTransformerModel: ModelType<t.TypeOf<typeof args>> = {
  name: 'VisionTransformer',
  args,
  build: (a) => {
    const cfg = configOf(a)
    return {
      type: 'VisionTransformer',
      task: 'classification',
      init: withoutBuffers((rng) => init(cfg, rng)),
      info: info(cfg),
      inputShape: [cfg.img_size, cfg.img_size, cfg.in_channels],
      forward: (params, buffers, inputs, ctx) => ({ output: apply(cfg, params, inputs, ctx), buffers }),
      losses: (output, targets) => ({ loss: crossEntropy(output, targets) }),
    }
  },
}
