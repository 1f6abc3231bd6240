/**
 * MMSelfSup's `NonLinearNeck`: `fc0 → bn0 → [relu → fc_i → bn_i]…`, the
 * projector of SimCLR, BYOL, SimSiam and Barlow Twins and the predictor of
 * BYOL, SimSiam and MoCo v3. Names as MMSelfSup's: `fc0`, `bn0`, `fc1`, `bn1`, ….
 *
 * - `fc0 … fc_{L−2}` have a bias when `with_bias`; the last `fc` when `with_last_bias`.
 * - Every `fc` but the last is followed by a BatchNorm; the last one only
 *   when `with_last_bn`, and without affine parameters unless `with_last_bn_affine`.
 * - With `with_avg_pool` an NHWC map is first averaged to `[n, C]`.
 *
 * @example
 * ```ts
 * const neck = NonLinearNeck.build({ in_channels: 512, hid_channels: 2048, out_channels: 2048 })
 * ```
 * @module
 */
import type * as t from 'io-ts'
import * as BatchNorm from '../../models/BatchNorm.js'
import * as Linear from '../../models/Linear.js'
import { syncedIn } from '../../models/normCfg.js'
import type { Tree } from '../../tensor/tree.js'
import * as tf from '@tensorflow/tfjs-core'
import { join, type Neck } from '../Component.js'
import { globalAvgPool } from '../functional.js'
import { args, info, layersOf, refuse } from './NonLinearNeckDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>): Neck => {
  refuse(a)
  const layers = layersOf(a)
  const withAvgPool = a.with_avg_pool ?? true
  return {
    kind: 'neck',
    type: 'NonLinearNeck',
    outChannels: a.out_channels,
    init: (prefix, rng) => {
      let params: Tree = {}
      let buffers: Tree = {}
      let r = rng
      for (const l of layers) {
        const [p, next] = Linear.init(join(prefix, l.fc), l.inC, l.outC, r, l.bias)
        r = next
        params = { ...params, ...p }
        if (l.bn !== undefined) {
          const bn = BatchNorm.init(join(prefix, l.bn.name), l.outC, l.bn.affine)
          params = { ...params, ...bn.params }
          buffers = { ...buffers, ...bn.buffers }
        }
      }
      return { params, buffers, rng: r }
    },
    info: (prefix) => info(a, prefix),
    apply: (params, buffers, prefix, x, ctx) => {
      // Buffer updates leave the scope with the output (not kept): an outer scope frees those a later pass supersedes.
      const [value, updates] = tf.tidy((): [tf.Tensor, Tree] => {
        const updates: { [name: string]: tf.Tensor } = {}
        let y = withAvgPool ? globalAvgPool(x) : x
        y = tf.reshape(y, [y.shape[0]!, -1])
        // MMSelfSup's default norm_cfg here is SyncBN.
        const synced = syncedIn(a.norm_cfg?.type ?? 'SyncBN', ctx.replicas)
        layers.forEach((l, i) => {
          if (i > 0) y = tf.relu(y)
          y = Linear.apply(params, join(prefix, l.fc), y)
          if (l.bn !== undefined) {
            const [z, up] = BatchNorm.apply1d(params, buffers, join(prefix, l.bn.name), y, {
              training: ctx.training,
              ...synced,
            })
            Object.assign(updates, up)
            y = z
          }
        })
        return [y, updates]
      })
      return { value, buffers: updates }
    },
  }
}
