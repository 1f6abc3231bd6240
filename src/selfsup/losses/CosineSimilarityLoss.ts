/**
 * MMSelfSup's `CosineSimilarityLoss(shift_factor=0, scale_factor=1)`:
 * `shift − scale · ⟨pred/‖pred‖, target/‖target‖⟩`, averaged over the batch
 * (with a `mask`: its weighted mean). SimSiam uses the defaults (negative
 * cosine); BYOL `shift_factor=2, scale_factor=2` (`‖p̂ − t̂‖²`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { input, type LossComponent } from '../Component.js'
import { normalize } from '../functional.js'
import { args, info } from './CosineSimilarityLossDescription.js'

export { args, info }

/** The loss of `pred` against `target` (`[n, C]`), as a tensor function. */
export const cosineSimilarityLoss = (
  pred: tf.Tensor,
  target: tf.Tensor,
  shift = 0,
  scale = 1,
  mask?: tf.Tensor,
): tf.Scalar =>
  tf.tidy(() => {
    const cos = tf.sum(tf.mul(normalize(pred), normalize(target)), -1)
    const loss = tf.sub(shift, tf.mul(scale, cos))
    return (mask === undefined ? tf.mean(loss) : tf.div(tf.sum(tf.mul(loss, mask)), tf.sum(mask))) as tf.Scalar
  })

export const build = (a: t.TypeOf<typeof args>): LossComponent => ({
  kind: 'loss',
  type: 'CosineSimilarityLoss',
  // MMSelfSup's forward(pred, target, mask=None): `mask` is optional.
  inputs: ['pred', 'target', 'mask'],
  init: (_prefix, rng) => ({ params: {}, buffers: {}, rng }),
  info: (prefix) => info(a, prefix),
  forward: (_params, _buffers, _prefix, inputs) => ({
    value: cosineSimilarityLoss(
      input('CosineSimilarityLoss', inputs, 'pred'),
      input('CosineSimilarityLoss', inputs, 'target'),
      a.shift_factor ?? 0,
      a.scale_factor ?? 1,
      inputs['mask'],
    ),
    buffers: {},
  }),
})
