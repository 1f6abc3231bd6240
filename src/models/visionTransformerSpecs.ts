/**
 * MMPretrain's plain `VisionTransformer` classifier described without tensors: its configuration, arguments and
 * parameters ({@link specs}, from the shared ViT description); `./VisionTransformer.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import { check, json, positiveInt, positiveNumber, struct, unitInterval } from '../schema/codec.js'
import type { ModelDescription } from './ModelDescription.js'
import type { ModelInfo } from './ModelInfo.js'
import type { ParamSpec } from './ParamSpec.js'
import { infoOfSpecs, linearSpecs, zeros } from './ParamSpec.js'
import type { ViTLayout } from './vitSpecs.js'
import { vitBackboneInfo, vitSpecs } from './vitSpecs.js'

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
 * The hidden width of each FFN: `round(embed_dims · mlp_ratio)`.
 *
 * @example
 * ```ts
 * feedforwardChannels(configOf({ num_classes: 10 })) // 256
 * ```
 */
export const feedforwardChannels = (cfg: VisionTransformerConfig): number => Math.round(cfg.embed_dims * cfg.mlp_ratio)

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

export const args = check(
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

/** `model = dict(type='VisionTransformer', …)` without tensors. */
export const VisionTransformerDescription: ModelDescription<t.TypeOf<typeof args>> = {
  name: 'VisionTransformer',
  args,
  info: (a) => info(configOf(a)),
}
