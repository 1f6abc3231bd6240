/**
 * The parameters of MMPretrain's `SwinTransformer` (and MMSelfSup's
 * `SimMIMSwinTransformer`, which adds a `mask_token`), in
 * `named_parameters()` order. Described only: loopwright does not train a
 * Swin yet.
 *
 * ```
 * {p}.mask_token                                           [1, 1, C]        (SimMIM)
 * {p}.patch_embed.projection.*                             [C, in, 4, 4], [C]
 * {p}.patch_embed.norm.*                                   [C]
 * {p}.stages.{s}.blocks.{b}.norm1.*                        [C_s]
 * {p}.stages.{s}.blocks.{b}.attn.w_msa.relative_position_bias_table   [(2·window − 1)², heads_s]
 * {p}.stages.{s}.blocks.{b}.attn.w_msa.qkv.*, proj.*
 * {p}.stages.{s}.blocks.{b}.norm2.*, ffn.layers.0.0.*, ffn.layers.1.*
 * {p}.stages.{s}.downsample.reduction.weight               [2·C_s, 4·C_s]   (no bias; stages but the last)
 * {p}.stages.{s}.downsample.norm.*                         [4·C_s]
 * {p}.norm3.*                                              [8·C]            (the norm of the output stage)
 * ```
 * @module
 */
import type { BackboneInfo } from './ModelInfo.js'
import type { ParamSpec } from './ParamSpec.js'
import { conv2dSpecs, linearSpecs, normSpecs, param, zeros } from './ParamSpec.js'

/** The widths of one Swin architecture (MMPretrain's `arch_zoo` entry). */
export interface SwinArch {
  readonly embed_dims: number
  readonly depths: ReadonlyArray<number>
  readonly num_heads: ReadonlyArray<number>
}

const tiny = { embed_dims: 96, depths: [2, 2, 6, 2], num_heads: [3, 6, 12, 24] }
const small = { embed_dims: 96, depths: [2, 2, 18, 2], num_heads: [3, 6, 12, 24] }
const base = { embed_dims: 128, depths: [2, 2, 18, 2], num_heads: [4, 8, 16, 32] }
const large = { embed_dims: 192, depths: [2, 2, 18, 2], num_heads: [6, 12, 24, 48] }

/** MMPretrain's `SwinTransformer.arch_zoo`, by every alias (case is ignored by MMPretrain: `'B'` is `'b'`). */
export const swinArchs: { readonly [name: string]: SwinArch } = {
  t: tiny,
  tiny,
  s: small,
  small,
  b: base,
  base,
  l: large,
  large,
}

export interface SwinLayout extends SwinArch {
  readonly in_channels: number
  readonly patch_size: number
  /** Each stage's attention window (the relative position bias table has `(2·w − 1)²` rows). */
  readonly window_sizes: ReadonlyArray<number>
  /** Stages whose output gets a norm `norm{i}` (MMPretrain's `out_indices`, default `(3,)`). */
  readonly out_indices: ReadonlyArray<number>
  readonly mask_token: boolean
}

/**
 * The backbone's parameters under `prefix`.
 *
 * @example
 * ```ts
 * swinSpecs('backbone', { ...swinArchs['base']!, in_channels: 3, patch_size: 4, window_sizes: [7, 7, 7, 7],
 *   out_indices: [3], mask_token: false }).at(-1)!.name // 'backbone.norm3.bias'
 * ```
 */
export const swinSpecs = (prefix: string, s: SwinLayout): ReadonlyArray<ParamSpec> => {
  const out: ParamSpec[] = []
  const c0 = s.embed_dims
  if (s.mask_token) out.push(param(`${prefix}.mask_token`, [1, 1, c0], { type: 'SwinTransformer' }, zeros))
  out.push(
    ...conv2dSpecs(`${prefix}.patch_embed.projection`, { in: s.in_channels, out: c0, k: s.patch_size }),
    ...normSpecs(`${prefix}.patch_embed.norm`, c0, 'LayerNorm'),
  )
  s.depths.forEach((depth, i) => {
    const c = c0 * 2 ** i
    const heads = s.num_heads[i]!
    const w = s.window_sizes[i]!
    for (let b = 0; b < depth; b++) {
      const block = `${prefix}.stages.${i}.blocks.${b}`
      out.push(
        ...normSpecs(`${block}.norm1`, c, 'LayerNorm'),
        param(
          `${block}.attn.w_msa.relative_position_bias_table`,
          [(2 * w - 1) ** 2, heads],
          { type: 'WindowMSA' },
          {
            kind: 'truncNormal',
            std: 0.02,
          },
        ),
        ...linearSpecs(`${block}.attn.w_msa.qkv`, c, 3 * c),
        ...linearSpecs(`${block}.attn.w_msa.proj`, c, c),
        ...normSpecs(`${block}.norm2`, c, 'LayerNorm'),
        ...linearSpecs(`${block}.ffn.layers.0.0`, c, 4 * c),
        ...linearSpecs(`${block}.ffn.layers.1`, 4 * c, c),
      )
    }
    if (i < s.depths.length - 1)
      out.push(
        ...linearSpecs(`${prefix}.stages.${i}.downsample.reduction`, 4 * c, 2 * c, { bias: false }),
        ...normSpecs(`${prefix}.stages.${i}.downsample.norm`, 4 * c, 'LayerNorm'),
      )
  })
  for (const i of s.out_indices) out.push(...normSpecs(`${prefix}.norm${i}`, c0 * 2 ** i, 'LayerNorm'))
  return out
}

/** The channels of the last stage: `embed_dims · 2^(stages − 1)`. */
export const swinOutChannels = (s: SwinArch): number => s.embed_dims * 2 ** (s.depths.length - 1)

/** What the layer-decay constructors read from a Swin backbone. */
export const swinBackboneInfo = (s: SwinArch): BackboneInfo => ({ kind: 'swin', depths: s.depths })
