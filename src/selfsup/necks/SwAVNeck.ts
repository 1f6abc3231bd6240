/**
 * MMSelfSup's `SwAVNeck(in_channels, hid_channels, out_channels,
 * with_avg_pool=True, with_l2norm=True)`: pooled features of every crop,
 * stacked crop by crop, through `projection_neck` — `0` Linear → `1`
 * BatchNorm1d → ReLU → `3` Linear (or a single Linear when `hid_channels` is 0,
 * or nothing when `out_channels` is 0) — then L2-normalised.
 *
 * Crops of different sizes go through the backbone separately; the neck takes
 * their features already stacked (`[Σ crops · n, C]` or NHWC maps of one size).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as BatchNorm from '../../models/BatchNorm.js'
import * as Linear from '../../models/Linear.js'
import { syncedIn } from '../../models/normCfg.js'
import type { Tree } from '../../tensor/tree.js'
import { join, type Neck } from '../Component.js'
import { globalAvgPool, normalize } from '../functional.js'
import { args, info, modeOf } from './SwAVNeckDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>): Neck => {
  const mode = modeOf(a)
  const l2 = a.with_l2norm ?? true
  return {
    kind: 'neck',
    type: 'SwAVNeck',
    outChannels: mode === 'none' ? a.in_channels : a.out_channels,
    init: (prefix, rng) => {
      const p = join(prefix, 'projection_neck')
      if (mode === 'none') return { params: {}, buffers: {}, rng }
      if (mode === 'linear') {
        const [params, next] = Linear.init(p, a.in_channels, a.out_channels, rng)
        return { params, buffers: {}, rng: next }
      }
      const [first, r1] = Linear.init(`${p}.0`, a.in_channels, a.hid_channels, rng)
      const bn = BatchNorm.init(`${p}.1`, a.hid_channels)
      const [last, r2] = Linear.init(`${p}.3`, a.hid_channels, a.out_channels, r1)
      return { params: { ...first, ...bn.params, ...last }, buffers: bn.buffers, rng: r2 }
    },
    info: (prefix) => info(a, prefix),
    apply: (params, buffers, prefix, x, ctx) => {
      const p = join(prefix, 'projection_neck')
      const pooled = (a.with_avg_pool ?? true) ? globalAvgPool(x) : x
      let y = tf.reshape(pooled, [pooled.shape[0]!, -1])
      let updates: Tree = {}
      if (mode === 'linear') y = Linear.apply(params, p, y)
      if (mode === 'mlp') {
        const [z, up] = BatchNorm.apply1d(params, buffers, `${p}.1`, Linear.apply(params, `${p}.0`, y), {
          training: ctx.training,
          ...syncedIn(a.norm_cfg?.type ?? 'SyncBN', ctx.replicas),
        })
        updates = up
        y = Linear.apply(params, `${p}.3`, tf.relu(z))
      }
      return { value: l2 ? normalize(y, 1) : y, buffers: updates }
    },
  }
}
