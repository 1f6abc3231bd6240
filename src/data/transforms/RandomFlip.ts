/**
 * `RandomFlip(prob=0.5, direction='horizontal')` (MMCV): each sample is
 * flipped with probability `prob`, left-right (`'horizontal'`), upside down
 * (`'vertical'`) or both (`'diagonal'`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { selectSamples } from './pixels.js'
import { draws, type Transform } from './Transform.js'

export interface RandomFlipArgs {
  readonly prob?: number
  readonly direction?: 'horizontal' | 'vertical' | 'diagonal'
}

const axes = { horizontal: [2], vertical: [1], diagonal: [1, 2] } as const

export const randomFlip = (args: RandomFlipArgs): Transform => {
  const prob = args.prob ?? 0.5
  const axis = axes[args.direction ?? 'horizontal']
  return {
    type: 'RandomFlip',
    apply: (images, streams) => {
      const mask = streams.map((s) => draws(s).uniform() < prob)
      if (!mask.some(Boolean)) return images.clone()
      return tf.tidy(() => selectSamples(mask, tf.reverse(images, [...axis]), images))
    },
  }
}
