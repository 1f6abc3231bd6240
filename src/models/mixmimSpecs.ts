/**
 * The parameters of MMPretrain's `MixMIMTransformer` (MMSelfSup's
 * `MixMIMTransformerPretrain` adds none), in `named_parameters()` order.
 * Described only: loopwright does not train MixMIM.
 *
 * ```
 * {p}.absolute_pos_embed                                  [1, P, C]   fixed (requires_grad False)
 * {p}.patch_embed.projection.*, {p}.patch_embed.norm.*    [C, in, 4, 4], [C]; LayerNorm [C]
 * {p}.layers.{s}.blocks.{b}.ln1.*                         [C_s]
 * {p}.layers.{s}.blocks.{b}.attn.relative_position_bias_table   [(2·w_s − 1)², heads_s]
 * {p}.layers.{s}.blocks.{b}.attn.qkv.*, attn.proj.*
 * {p}.layers.{s}.blocks.{b}.ln2.*, ffn.layers.0.0.*, ffn.layers.1.*
 * {p}.layers.{s}.downsample.reduction.weight, downsample.norm.*   (stages but the last)
 * {p}.norm.*                                              [8·C]
 * ```
 * @module
 */
import type { BackboneInfo } from './ModelInfo.js'
import type { ParamSpec } from './ParamSpec.js'
import { conv2dSpecs, linearSpecs, normSpecs, param, zeros } from './ParamSpec.js'
import type { SwinArch } from './swinSpecs.js'

/** MMPretrain's `MixMIMTransformer.arch_zoo`, by every alias. */
export const mixmimArchs: { readonly [name: string]: SwinArch } = Object.fromEntries(
  (
    [
      [['b', 'base'], { embed_dims: 128, depths: [2, 2, 18, 2], num_heads: [4, 8, 16, 32] }],
      [['l', 'large'], { embed_dims: 192, depths: [2, 2, 18, 2], num_heads: [6, 12, 24, 48] }],
      [['h', 'huge'], { embed_dims: 352, depths: [2, 2, 18, 2], num_heads: [11, 22, 44, 88] }],
    ] as const
  ).flatMap(([names, a]) => names.map((n) => [n, a] as const)),
)

export interface MixMIMLayout extends SwinArch {
  readonly img_size: number
  readonly patch_size: number
  readonly in_channels: number
  readonly mlp_ratio: number
  /** Each stage's window before it is clipped to the stage's resolution (MMPretrain's default `[14, 14, 14, 7]`). */
  readonly window_sizes: ReadonlyArray<number>
}

/**
 * The backbone's parameters under `prefix`.
 *
 * @example
 * ```ts
 * mixmimSpecs('backbone', { ...mixmimArchs['b']!, img_size: 224, patch_size: 4, in_channels: 3, mlp_ratio: 4,
 *   window_sizes: [14, 14, 14, 7] })[0]!.name // 'backbone.absolute_pos_embed'
 * ```
 */
export const mixmimSpecs = (prefix: string, m: MixMIMLayout): ReadonlyArray<ParamSpec> => {
  const c0 = m.embed_dims
  const grid = Math.floor(m.img_size / m.patch_size)
  const out: ParamSpec[] = [
    param(`${prefix}.absolute_pos_embed`, [1, grid * grid, c0], { type: 'MixMIMTransformer' }, zeros, false),
    ...conv2dSpecs(`${prefix}.patch_embed.projection`, { in: m.in_channels, out: c0, k: m.patch_size }),
    ...normSpecs(`${prefix}.patch_embed.norm`, c0, 'LayerNorm'),
  ]
  m.depths.forEach((depth, i) => {
    const c = c0 * 2 ** i
    const f = Math.trunc(c * m.mlp_ratio)
    // A window larger than the stage's map is clipped to the map.
    const w = Math.min(m.window_sizes[i]!, Math.floor(grid / 2 ** i))
    for (let b = 0; b < depth; b++) {
      const block = `${prefix}.layers.${i}.blocks.${b}`
      out.push(
        ...normSpecs(`${block}.ln1`, c, 'LayerNorm'),
        param(
          `${block}.attn.relative_position_bias_table`,
          [(2 * w - 1) ** 2, m.num_heads[i]!],
          {
            type: 'MixMIMWindowAttention',
          },
          zeros,
        ),
        ...linearSpecs(`${block}.attn.qkv`, c, 3 * c),
        ...linearSpecs(`${block}.attn.proj`, c, c),
        ...normSpecs(`${block}.ln2`, c, 'LayerNorm'),
        ...linearSpecs(`${block}.ffn.layers.0.0`, c, f),
        ...linearSpecs(`${block}.ffn.layers.1`, f, c),
      )
    }
    if (i < m.depths.length - 1)
      out.push(
        ...linearSpecs(`${prefix}.layers.${i}.downsample.reduction`, 4 * c, 2 * c, { bias: false }),
        ...normSpecs(`${prefix}.layers.${i}.downsample.norm`, 4 * c, 'LayerNorm'),
      )
  })
  out.push(...normSpecs(`${prefix}.norm`, c0 * 2 ** (m.depths.length - 1), 'LayerNorm'))
  return out
}

/** What MMSelfSup's layer-decay constructor reads from a MixMIM backbone (`model_type='mixmim'`). */
export const mixmimBackboneInfo = (m: SwinArch): BackboneInfo => ({ depths: m.depths })
