/**
 * `RandomGrayscale(prob=0.1, keep_channels=False, channel_weights=(1, 1, 1), color_format='bgr')`
 * (MMCV): with probability `prob` a sample becomes grey. One-channel images
 * are grey already and stay as they are (the draw still happens). A colour
 * sample becomes the `channel_weights`-weighted mean of its channels,
 * repeated over the channels so the batch keeps one shape (MMCV would return
 * one channel without `keep_channels`, which a batch of mixed samples cannot hold).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { selectSamples, toBytes } from './pixels.js'
import { draws, type Transform } from './Transform.js'

export interface RandomGrayscaleArgs {
  readonly prob?: number
  readonly keep_channels?: boolean
  readonly channel_weights?: ReadonlyArray<number>
  readonly color_format?: 'bgr' | 'rgb'
}

export const randomGrayscale = (args: RandomGrayscaleArgs): Transform => {
  const prob = args.prob ?? 0.1
  return {
    type: 'RandomGrayscale',
    apply: (images, streams) => {
      const mask = streams.map((s) => draws(s).uniform() < prob)
      const c = images.shape[3]
      if (c === 1 || !mask.some(Boolean)) return images.clone()
      return tf.tidy(() => {
        const weights = args.channel_weights ?? new Array<number>(c).fill(1)
        if (weights.length !== c)
          throw new Error(`RandomGrayscale: ${weights.length} channel_weights for images of ${c} channels`)
        const total = weights.reduce((a, b) => a + b, 0)
        const grey = tf.sum(tf.mul(images, tf.tensor1d(weights.map((w) => w / total))), 3, true)
        return selectSamples(mask, toBytes(tf.tile(grey, [1, 1, 1, c]) as tf.Tensor4D), images)
      })
    },
  }
}
