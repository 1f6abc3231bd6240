/**
 * MMSelfSup's `ODCNeck(in_channels, hid_channels, out_channels, with_avg_pool=True, norm_cfg=SyncBN)`:
 * `fc0 → bn0 → relu → dropout(0.5) → fc1 → relu`, where `bn0` has no affine parameters and momentum 0.001.
 * Linear layers keep PyTorch's default initialisation (ODCNeck's `init_cfg` only touches affine norms, which it has
 * none of). The dropout mask is drawn from the step's random stream, so a resumed run draws the same masks.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as Rng from '../../dsl/Rng.js'
import * as BatchNorm from '../../models/BatchNorm.js'
import * as Dropout from '../../models/Dropout.js'
import * as Linear from '../../models/Linear.js'
import { syncedIn } from '../../models/normCfg.js'
import { join, type Neck } from '../Component.js'
import { globalAvgPool } from '../functional.js'
import { args, info } from './ODCNeckDescription.js'

export { args, info }

/** `bn0`'s momentum, fixed by MMSelfSup. */
const BN_MOMENTUM = 0.001
/** `nn.Dropout()`'s default. */
const DROPOUT = 0.5
/** The label of the dropout stream, split from the step's stream. */
const DROPOUT_STREAM = 0x6f64636e

export const build = (a: t.TypeOf<typeof args>): Neck => {
  const withAvgPool = a.with_avg_pool ?? true
  return {
    kind: 'neck',
    type: 'ODCNeck',
    outChannels: a.out_channels,
    init: (prefix, rng) => {
      const [fc0, r1] = Linear.init(join(prefix, 'fc0'), a.in_channels, a.hid_channels, rng)
      const [fc1, r2] = Linear.init(join(prefix, 'fc1'), a.hid_channels, a.out_channels, r1)
      const bn = BatchNorm.init(join(prefix, 'bn0'), a.hid_channels, false)
      return { params: { ...fc0, ...fc1 }, buffers: bn.buffers, rng: r2 }
    },
    info: (prefix) => info(a, prefix),
    apply: (params, buffers, prefix, x, ctx) => {
      // The step's stream reaches the neck through the algorithm's context (absent in eval mode, where nothing drops).
      const rng = (ctx as { readonly rng?: Rng.Rng }).rng
      return tf.tidy(() => {
        let y = withAvgPool ? globalAvgPool(x) : x
        y = tf.reshape(y, [y.shape[0]!, -1])
        y = Linear.apply(params, join(prefix, 'fc0'), y)
        const [normed, updates] = BatchNorm.apply1d(params, buffers, join(prefix, 'bn0'), y, {
          training: ctx.training,
          momentum: BN_MOMENTUM,
          ...syncedIn(a.norm_cfg?.type ?? 'SyncBN', ctx.replicas),
        })
        y = tf.relu(normed)
        if (ctx.training && rng !== undefined) {
          const [dropped] = Dropout.apply(y, DROPOUT, true, Rng.split(rng, DROPOUT_STREAM))
          y = dropped
        }
        y = tf.relu(Linear.apply(params, join(prefix, 'fc1'), y))
        return { value: y, buffers: updates }
      })
    },
  }
}
