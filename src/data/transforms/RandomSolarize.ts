/**
 * `RandomSolarize(threshold=128, prob=0.5)` (MMSelfSup, BYOL's solarisation)
 * and MMPretrain's `Solarize(thr, prob=0.5)`: with probability `prob`, every
 * pixel at or above the threshold is inverted (`255 − x`), as `mmcv.solarize`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { selectSamples } from './pixels.js'
import { draws, type Transform } from './Transform.js'

export const randomSolarize = (threshold: number, prob: number, type = 'RandomSolarize'): Transform => ({
  type,
  apply: (images, streams) => {
    const mask = streams.map((s) => draws(s).uniform() < prob)
    if (!mask.some(Boolean)) return images.clone()
    return tf.tidy(() =>
      selectSamples(
        mask,
        tf.where(tf.greaterEqual(images, threshold), tf.sub(255, images), images) as tf.Tensor4D,
        images,
      ),
    )
  },
})
