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
import type * as Rng from '../dsl/Rng.js'
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
import { type args, configOf, info, specs, VisionTransformerDescription } from './visionTransformerSpecs.js'
import type { VisionTransformerConfig } from './visionTransformerSpecs.js'

export type { VisionTransformerConfig } from './visionTransformerSpecs.js'
export {
  args,
  configOf,
  feedforwardChannels,
  info,
  layoutOf,
  specs,
  VisionTransformerDescription,
} from './visionTransformerSpecs.js'

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
  ...VisionTransformerDescription,
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
