/**
 * MMSelfSup's `DenseCLNeck(in_channels, hid_channels, out_channels,
 * num_grid=None)`: from the backbone map, a global vector
 * (`avgpool → mlp.0 → ReLU → mlp.2`), a grid of vectors (optionally pooled to
 * `num_grid × num_grid`, then the 1×1 convs `mlp2.0 → ReLU → mlp2.2`) and the
 * grid's average. {@link applyDense} gives all three; as a plain neck it gives
 * the global vector. Grids are `[n, S², d]` here (MMSelfSup: `[n, d, S²]`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as Conv2d from '../../models/Conv2d.js'
import * as Linear from '../../models/Linear.js'
import type { Tree } from '../../tensor/tree.js'
import { join, type ComponentContext, type Neck } from '../Component.js'
import { globalAvgPool } from '../functional.js'
import { args, info } from './DenseCLNeckDescription.js'

export { args, info }

/** The three outputs of the neck. */
export interface DenseOutputs {
  readonly global: tf.Tensor2D
  readonly grid: tf.Tensor3D
  readonly gridMean: tf.Tensor2D
}

/**
 * The 1×1 convolution `name` as the product it is, `[positions, in]·[out, in]ᵀ + bias`: the same sums as
 * `Conv2d.apply`, with none of the convolution kernels' patch copies (at batch 256 the grid has 12,544 positions,
 * and the convolution route cost ~3× the arithmetic forward and back).
 */
const pointwise = (params: Tree, name: string, x: tf.Tensor4D): tf.Tensor4D => {
  const weight = params[`${name}.weight`]
  if (weight === undefined) throw new Error(`DenseCLNeck: parameter ${name}.weight is missing`)
  const bias = params[`${name}.bias`]
  const matrix = tf.reshape(weight, [weight.shape[0]!, weight.shape[1]!])
  return Linear.apply(
    { [`${name}.weight`]: matrix, ...(bias === undefined ? {} : { [`${name}.bias`]: bias }) },
    name,
    x,
  ) as tf.Tensor4D
}

/** All three outputs for an NHWC map `x`. */
export const applyDense = (
  a: t.TypeOf<typeof args>,
  params: Tree,
  prefix: string,
  x: tf.Tensor4D,
  _ctx?: ComponentContext,
): DenseOutputs =>
  tf.tidy(() => {
    const global = Linear.apply(
      params,
      join(prefix, 'mlp.2'),
      tf.relu(Linear.apply(params, join(prefix, 'mlp.0'), globalAvgPool(x))),
    ) as tf.Tensor2D
    let map = x
    if (a.num_grid !== undefined && a.num_grid !== null) {
      const [, h, w] = x.shape
      if (h % a.num_grid !== 0 || w % a.num_grid !== 0)
        throw new Error(`DenseCLNeck: a ${h}×${w} map does not pool evenly to num_grid=${a.num_grid}`)
      map = tf.avgPool(x, [h / a.num_grid, w / a.num_grid], [h / a.num_grid, w / a.num_grid], 'valid')
    }
    const projected = pointwise(
      params,
      join(prefix, 'mlp2.2'),
      tf.relu(pointwise(params, join(prefix, 'mlp2.0'), map)) as tf.Tensor4D,
    )
    const [n, gh, gw, d] = projected.shape
    const grid = tf.reshape(projected, [n, gh * gw, d]) as tf.Tensor3D
    return { global, grid, gridMean: tf.mean(grid, 1) as tf.Tensor2D }
  })

export const build = (
  a: t.TypeOf<typeof args>,
): Neck & { readonly dense: typeof applyDense; readonly args: t.TypeOf<typeof args> } => ({
  kind: 'neck',
  type: 'DenseCLNeck',
  outChannels: a.out_channels,
  args: a,
  dense: applyDense,
  init: (prefix, rng) => {
    const [l0, r1] = Linear.init(join(prefix, 'mlp.0'), a.in_channels, a.hid_channels, rng)
    const [l2, r2] = Linear.init(join(prefix, 'mlp.2'), a.hid_channels, a.out_channels, r1)
    const [c0, r3] = Conv2d.init(
      join(prefix, 'mlp2.0'),
      { in_channels: a.in_channels, out_channels: a.hid_channels, kernel_size: 1 },
      r2,
    )
    const [c2, r4] = Conv2d.init(
      join(prefix, 'mlp2.2'),
      { in_channels: a.hid_channels, out_channels: a.out_channels, kernel_size: 1 },
      r3,
    )
    return { params: { ...l0, ...l2, ...c0, ...c2 }, buffers: {}, rng: r4 }
  },
  info: (prefix) => info(a, prefix),
  apply: (params, _buffers, prefix, x) => {
    const out = applyDense(a, params, prefix, x as tf.Tensor4D)
    tf.dispose([out.grid, out.gridMean])
    return { value: out.global, buffers: {} }
  },
})
