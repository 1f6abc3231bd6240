/**
 * MMCV's `PatchEmbed` as MMPretrain's ViT builds it: a `Conv2d` named
 * `projection` with kernel = stride = `patch_size` (weight
 * `[embed_dims, in_channels, p, p]`, PyTorch's default initialisation), whose
 * output grid is flattened row by row into tokens `[n, num_patches, embed_dims]`.
 * Since the patches are disjoint, the convolution is computed as a matrix
 * product of the cut-out patches with the flattened weight (the same values).
 * An input whose sides are not multiples of the patch size is zero-padded at
 * the bottom and right first (MMCV's default `padding='corner'`). No norm
 * (`norm_cfg=None`, as ViT uses it).
 *
 * @example
 * ```ts
 * const [params] = PatchEmbed.init('patch_embed', { in_channels: 1, embed_dims: 64, patch_size: 7 }, Rng.make(0))
 * PatchEmbed.apply(params, 'patch_embed', { patch_size: 7 }, x).shape // x [8, 28, 28, 1] → [8, 16, 64]
 * ```
 * @module
 */
import { patchGrid } from './vitSpecs.js'
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import type { Tree } from '../tensor/tree.js'
import * as Conv2d from './Conv2d.js'

export interface PatchEmbedConfig {
  readonly in_channels: number
  readonly embed_dims: number
  readonly patch_size: number
  /** Default true (MMPretrain's ViT turns it off only with `pre_norm`). */
  readonly bias?: boolean
}

/**
 * The patch grid `[rows, cols]` for an image of `[h, w]` (corner padding rounds up).
 *
 * @example
 * ```ts
 * PatchEmbed.gridSize([28, 28], 7) // [4, 4]
 * ```
 */
export const gridSize = (imageSize: readonly [number, number], patchSize: number): readonly [number, number] => [
  patchGrid(imageSize[0], patchSize),
  patchGrid(imageSize[1], patchSize),
]

/**
 * `${prefix}.projection.weight` `[embed_dims, in_channels, p, p]` and `${prefix}.projection.bias` `[embed_dims]`.
 *
 * @example
 * ```ts
 * Object.keys(PatchEmbed.init('pe', { in_channels: 3, embed_dims: 8, patch_size: 4 }, Rng.make(0))[0]) //
 * ['pe.projection.weight', 'pe.projection.bias']
 * ```
 */
export const init = (prefix: string, cfg: PatchEmbedConfig, rng: Rng.Rng): readonly [Tree, Rng.Rng] =>
  Conv2d.init(
    `${prefix}.projection`,
    { in_channels: cfg.in_channels, out_channels: cfg.embed_dims, kernel_size: cfg.patch_size, bias: cfg.bias ?? true },
    rng,
  )

/**
 * Tokens `[n, rows·cols, embed_dims]` from NHWC images `[n, h, w, in_channels]`, row-major over the patch grid.
 *
 * @example
 * ```ts
 * PatchEmbed.apply(params, 'pe', { patch_size: 4 }, tf.zeros([2, 8, 8, 3])).shape // [2, 4, 8]
 * ```
 */
export const apply = (
  params: Tree,
  prefix: string,
  cfg: { readonly patch_size: number },
  x: tf.Tensor4D,
): tf.Tensor3D => {
  if (x.rank !== 4)
    throw new Error(`PatchEmbed '${prefix}': expected NHWC [n, h, w, C], got shape [${x.shape.join(', ')}]`)
  const p = cfg.patch_size
  const [n, h, w] = [x.shape[0], x.shape[1], x.shape[2]]
  const [rows, cols] = gridSize([h, w], p)
  const weight = params[`${prefix}.projection.weight`]
  if (weight === undefined) throw new Error(`PatchEmbed '${prefix}': parameter ${prefix}.projection.weight is missing`)
  const [dims, inChannels] = [weight.shape[0]!, weight.shape[1]!]
  if (x.shape[3] !== inChannels)
    throw new Error(`PatchEmbed '${prefix}': expected ${inChannels} input channels, got shape [${x.shape.join(', ')}]`)
  return tf.tidy(() => {
    const padded =
      rows * p === h && cols * p === w
        ? x
        : tf.pad(x, [
            [0, 0],
            [0, rows * p - h],
            [0, cols * p - w],
            [0, 0],
          ])
    // A convolution with stride = kernel sees disjoint patches: cut them out and
    // multiply by the weight flattened in PyTorch's (in, kh, kw) order. The same
    // numbers as the conv, and no Conv2DBackpropFilter (slow on the CPU backend).
    const cut = tf.reshape(padded, [n, rows, p, cols, p, inChannels])
    const patches = tf.reshape(tf.transpose(cut, [0, 1, 3, 5, 2, 4]), [n * rows * cols, inChannels * p * p])
    let tokens = tf.matMul(patches, tf.reshape(weight, [dims, inChannels * p * p]), false, true)
    const bias = params[`${prefix}.projection.bias`]
    if (bias !== undefined) tokens = tf.add(tokens, bias)
    return tf.reshape(tokens, [n, rows * cols, dims]) as tf.Tensor3D
  })
}
