/**
 * MMSelfSup's `MoCoV2Neck(in_channels, hid_channels, out_channels,
 * with_avg_pool=True)`: `mlp.0` (Linear) → ReLU → `mlp.2` (Linear), both with
 * bias and PyTorch's default initialisation.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as Linear from '../../models/Linear.js'
import { join, type Neck } from '../Component.js'
import { globalAvgPool } from '../functional.js'
import { args, info } from './MoCoV2NeckDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>): Neck => ({
  kind: 'neck',
  type: 'MoCoV2Neck',
  outChannels: a.out_channels,
  init: (prefix, rng) => {
    const [first, r1] = Linear.init(join(prefix, 'mlp.0'), a.in_channels, a.hid_channels, rng)
    const [second, r2] = Linear.init(join(prefix, 'mlp.2'), a.hid_channels, a.out_channels, r1)
    return { params: { ...first, ...second }, buffers: {}, rng: r2 }
  },
  info: (prefix) => info(a, prefix),
  apply: (params, _buffers, prefix, x) => {
    const pooled = (a.with_avg_pool ?? true) ? globalAvgPool(x) : x
    const flat = tf.reshape(pooled, [pooled.shape[0]!, -1])
    return {
      value: Linear.apply(params, join(prefix, 'mlp.2'), tf.relu(Linear.apply(params, join(prefix, 'mlp.0'), flat))),
      buffers: {},
    }
  },
})
