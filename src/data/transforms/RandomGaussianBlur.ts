/**
 * `RandomGaussianBlur(sigma_min, sigma_max, prob=0.5)` (MMSelfSup, SimCLR's
 * blur): with probability `prob`, a sample is blurred by a Gaussian of
 * standard deviation σ drawn uniformly from `[sigma_min, sigma_max]`.
 *
 * A true separable Gaussian truncated at `⌈3 · sigma_max⌉` pixels, with edge
 * pixels repeated beyond the border (Pillow's `GaussianBlur(radius=σ)`
 * approximates the same Gaussian with three box blurs), rounded to 8 bits.
 * Batched: the batch's samples become the channels of one image, and two
 * depthwise convolutions apply each sample's own kernel (a unit impulse for
 * the samples left sharp).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { selectSamples, toBytes } from './pixels.js'
import { draws, type Transform } from './Transform.js'

export interface RandomGaussianBlurArgs {
  readonly sigma_min: number
  readonly sigma_max: number
  readonly prob?: number
}

/** The normalised 1-D Gaussian of `sigma` over `−radius … radius` (`sigma` 0: a unit impulse). */
export const gaussianKernel = (sigma: number, radius: number): Float32Array => {
  const k = new Float32Array(2 * radius + 1)
  if (sigma <= 0) {
    k[radius] = 1
    return k
  }
  let total = 0
  for (let i = -radius; i <= radius; i++) total += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma))
  return k.map((v) => v / total)
}

/** Repeat the edge rows and columns `r` times on every side of `[n, h, w, c]`. */
const padEdges = (x: tf.Tensor4D, r: number): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w, c] = x.shape
    const rows = tf.concat(
      [
        tf.tile(tf.slice(x, [0, 0, 0, 0], [n, 1, w, c]), [1, r, 1, 1]),
        x,
        tf.tile(tf.slice(x, [0, h - 1, 0, 0], [n, 1, w, c]), [1, r, 1, 1]),
      ],
      1,
    )
    const H = h + 2 * r
    return tf.concat(
      [
        tf.tile(tf.slice(rows, [0, 0, 0, 0], [n, H, 1, c]), [1, 1, r, 1]),
        rows,
        tf.tile(tf.slice(rows, [0, 0, w - 1, 0], [n, H, 1, c]), [1, 1, r, 1]),
      ],
      2,
    ) as tf.Tensor4D
  })

export const randomGaussianBlur = (args: RandomGaussianBlurArgs): Transform => {
  const prob = args.prob ?? 0.5
  const radius = Math.max(1, Math.ceil(3 * args.sigma_max))
  return {
    type: 'RandomGaussianBlur',
    apply: (images, streams) => {
      const sigmas = streams.map((s) => {
        const r = draws(s)
        // MMSelfSup draws the coin first and the σ only for a sample it blurs.
        return r.uniform() < prob ? r.uniform(args.sigma_min, args.sigma_max) : 0
      })
      if (sigmas.every((s) => s === 0)) return images.clone()
      return tf.tidy(() => {
        const [b, h, w, c] = images.shape
        const size = 2 * radius + 1
        const taps = new Float32Array(size * b * c)
        sigmas.forEach((sigma, k) => {
          const kernel = gaussianKernel(sigma, radius)
          for (let t = 0; t < size; t++) for (let ch = 0; ch < c; ch++) taps[t * b * c + k * c + ch] = kernel[t]!
        })
        const asChannels = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [1, h, w, b * c]) as tf.Tensor4D
        const padded = padEdges(asChannels, radius)
        const vertical = tf.depthwiseConv2d(padded, tf.tensor4d(taps, [size, 1, b * c, 1]), 1, 'valid')
        const both = tf.depthwiseConv2d(vertical, tf.tensor4d(taps, [1, size, b * c, 1]), 1, 'valid')
        const blurred = toBytes(tf.transpose(tf.reshape(both, [h, w, b, c]), [2, 0, 1, 3]) as tf.Tensor4D)
        return selectSamples(
          sigmas.map((s) => s > 0),
          blurred,
          images,
        )
      })
    },
  }
}
