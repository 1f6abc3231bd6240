/**
 * Law of the view pipeline: a sample's views are a function of (seed, epoch,
 * sample index) alone — the same in every run, whatever else is in the batch
 * and wherever the sample sits in it. This is what makes a resumed run draw
 * the views an uninterrupted one would.
 */
import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { runPipeline } from '../../src/data/transforms/Pipeline.js'
import { decodePipeline } from '../../src/data/transforms/registry.js'
import { useCpu } from '../../src/tensor/cpu.js'

beforeAll(useCpu)

const pipeline = decodePipeline(
  [
    {
      type: 'MultiView',
      num_views: [2, 1],
      transforms: [
        [
          { type: 'RandomResizedCrop', size: 6, scale: [0.2, 1.0] },
          { type: 'RandomFlip', prob: 0.5 },
          { type: 'RandomApply', transforms: [{ type: 'ColorJitter', brightness: 0.4, contrast: 0.4 }], prob: 0.8 },
          { type: 'RandomGaussianBlur', sigma_min: 0.1, sigma_max: 1.0, prob: 0.5 },
          { type: 'RandomSolarize', prob: 0.2 },
        ],
        [{ type: 'RandomResizedCrop', size: 3, scale: [0.05, 0.3] }],
      ],
    },
    { type: 'PackSelfSupInputs' },
  ],
  'p',
)

const image = (index: number): number[] => Array.from({ length: 64 }, (_, i) => (i * 31 + index * 17) % 256)

describe('views', () => {
  it('are deterministic in (seed, epoch, index), independent of the batch around them', () => {
    if (pipeline._tag === 'Left') throw new Error(JSON.stringify(pipeline.left))
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat({ max: 1000 }),
        fc.uniqueArray(fc.nat({ max: 60000 }), { minLength: 1, maxLength: 5 }),
        (seed, epoch, indices) => {
          const viewsOf = (order: ReadonlyArray<number>): number[][][] =>
            tf.tidy(() => {
              const x = tf.tensor4d(order.flatMap(image), [order.length, 8, 8, 1])
              const views = runPipeline(pipeline.right, x, { seed, epoch, indices: order })
              return views.map((v) => order.map((_, k) => Array.from(tf.slice(v, [k], [1]).dataSync())))
            })
          const together = viewsOf(indices)
          const reversed = viewsOf([...indices].reverse())
          indices.forEach((index, k) => {
            const alone = viewsOf([index])
            alone.forEach((view, v) => {
              expect(together[v]![k]).toEqual(view[0])
              expect(reversed[v]![indices.length - 1 - k]).toEqual(view[0])
            })
          })
        },
      ),
      { numRuns: 25 },
    )
  })
})
