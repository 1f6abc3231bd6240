import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../../src/dsl/Rng.js'
import { colorJitter, factorRange, jitterParams } from '../../../../src/data/transforms/ColorJitter.js'
import { packViews, runPipeline } from '../../../../src/data/transforms/Pipeline.js'
import { randomApply } from '../../../../src/data/transforms/RandomApply.js'
import { randomFlip } from '../../../../src/data/transforms/RandomFlip.js'
import { gaussianKernel, randomGaussianBlur } from '../../../../src/data/transforms/RandomGaussianBlur.js'
import { randomGrayscale } from '../../../../src/data/transforms/RandomGrayscale.js'
import { cropParams, randomResizedCrop } from '../../../../src/data/transforms/RandomResizedCrop.js'
import { randomSolarize } from '../../../../src/data/transforms/RandomSolarize.js'
import { decodePipeline } from '../../../../src/data/transforms/registry.js'
import { sampleStream } from '../../../../src/data/transforms/Transform.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(useCpu)

const streams = (n: number, seed = 0) => Array.from({ length: n }, (_, k) => sampleStream(seed, 0, k, 0))
/** A batch of `b` distinct 8 × 8 one-channel images with values 0–255. */
const batch = (b: number, h = 8, w = 8, c = 1): tf.Tensor4D =>
  tf.tensor4d(
    Array.from({ length: b * h * w * c }, (_, i) => (i * 37) % 256),
    [b, h, w, c],
  )
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync())
const run = (
  t: { apply: (x: tf.Tensor4D, s: ReadonlyArray<Rng.Rng>) => tf.Tensor4D },
  x: tf.Tensor4D,
  s = streams(x.shape[0]),
) => {
  const out = t.apply(x, s)
  const v = { shape: out.shape, values: values(out) }
  out.dispose()
  return v
}
const pixelsOf = (t: tf.Tensor4D, k: number): number[] =>
  values(t).slice(k * (t.size / t.shape[0]), (k + 1) * (t.size / t.shape[0]))

describe('RandomResizedCrop', () => {
  it('draws crops inside the image with area and ratio in range, and resizes to size', () => {
    for (let k = 0; k < 200; k++) {
      const c = cropParams(sampleStream(1, 2, k, 0), 28, 28, [0.2, 1], [3 / 4, 4 / 3])
      expect(c.i).toBeGreaterThanOrEqual(0)
      expect(c.j).toBeGreaterThanOrEqual(0)
      expect(c.i + c.h).toBeLessThanOrEqual(28)
      expect(c.j + c.w).toBeLessThanOrEqual(28)
      expect(c.h * c.w).toBeGreaterThan(0.2 * 784 * 0.8)
    }
    const x = batch(3, 8, 8)
    expect(run(randomResizedCrop({ size: [5, 6] }), x).shape).toEqual([3, 5, 6, 1])
    x.dispose()
  })
  it('scale (1, 1) and ratio (1, 1) at the stored size is the identity', () => {
    const x = batch(2)
    const out = run(randomResizedCrop({ size: 8, scale: [1, 1], ratio: [1, 1] }), x)
    out.values.forEach((v, i) => {
      expect(v).toBeCloseTo(values(x)[i]!, 3)
    })
    x.dispose()
  })
  it('falls back to a central crop when nothing fits', () => {
    expect(cropParams(Rng.make(0), 10, 40, [1, 1], [1, 1], 10)).toEqual({ i: 0, j: 15, h: 10, w: 10 })
  })
})

describe('RandomFlip', () => {
  it('prob 1 mirrors every sample, prob 0 none; in between, per sample', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1])
    expect(run(randomFlip({ prob: 1 }), x).values).toEqual([3, 2, 1, 6, 5, 4])
    expect(run(randomFlip({ prob: 1, direction: 'vertical' }), x).values).toEqual([4, 5, 6, 1, 2, 3])
    expect(run(randomFlip({ prob: 0 }), x).values).toEqual([1, 2, 3, 4, 5, 6])
    const many = tf.tile(x, [64, 1, 1, 1]) as tf.Tensor4D
    const out = run(randomFlip({ prob: 0.5 }), many)
    const flipped = Array.from({ length: 64 }, (_, k) => out.values[k * 6] === 3).filter(Boolean).length
    expect(flipped).toBeGreaterThan(16)
    expect(flipped).toBeLessThan(48)
    tf.dispose([x, many])
  })
})

describe('ColorJitter', () => {
  it('ranges follow MMSelfSup: x → [max(0, 1 − x), 1 + x], hue [−x, x], zero is off', () => {
    expect(factorRange(0.4, 1, true)).toEqual([0.6, 1.4])
    expect(factorRange(1.5, 1, true)).toEqual([0, 2.5])
    expect(factorRange(0.1, 0, false)).toEqual([-0.1, 0.1])
    expect(factorRange(0, 1, true)).toBeUndefined()
    const p = jitterParams(Rng.make(3), [[0.6, 1.4], undefined, [0.8, 1.2], [-0.1, 0.1]])
    expect([...p.order].sort()).toEqual([0, 1, 2, 3])
    expect(p.factors[0]).toBeGreaterThanOrEqual(0.6)
    expect(p.factors[1]).toBeUndefined()
  })
  it('brightness scales and clips to 0–255; contrast keeps the mean luma; all-zero jitter is the identity', () => {
    const x = batch(4)
    const bright = run(colorJitter({ brightness: [2, 2] }), x)
    bright.values.forEach((v, i) => {
      expect(v).toBe(Math.min(255, Math.round(values(x)[i]! * 2)))
    })
    const flat = run(colorJitter({ contrast: [0, 0] }), x)
    const mean =
      values(x)
        .slice(0, 64)
        .reduce((a, b) => a + b, 0) / 64
    expect(new Set(flat.values.slice(0, 64))).toEqual(new Set([Math.floor(mean + 0.5)]))
    expect(run(colorJitter({}), x).values).toEqual(values(x))
    // Saturation and hue change nothing on one channel.
    expect(run(colorJitter({ saturation: 0.9, hue: 0.4 }), x).values).toEqual(values(x))
    x.dispose()
  })
  it('refuses hue on colour images with a message', () => {
    const x = batch(1, 4, 4, 3)
    expect(() => colorJitter({ hue: 0.1 }).apply(x, streams(1))).toThrow(/hue on colour images is not implemented/)
    x.dispose()
  })
})

describe('RandomGrayscale, RandomSolarize, RandomGaussianBlur', () => {
  it('grayscale leaves one-channel images and averages colour channels', () => {
    const x = batch(2)
    expect(run(randomGrayscale({ prob: 1 }), x).values).toEqual(values(x))
    const colour = tf.tensor4d([30, 60, 90], [1, 1, 1, 3])
    expect(run(randomGrayscale({ prob: 1 }), colour).values).toEqual([60, 60, 60])
    tf.dispose([x, colour])
  })
  it('solarize inverts the pixels at or above the threshold', () => {
    const x = tf.tensor4d([0, 127, 128, 255], [1, 2, 2, 1])
    expect(run(randomSolarize(128, 1), x).values).toEqual([0, 127, 127, 0])
    expect(run(randomSolarize(128, 0), x).values).toEqual([0, 127, 128, 255])
    x.dispose()
  })
  it('blur keeps a constant image, spreads an impulse symmetrically, and keeps the total away from edges', () => {
    expect(gaussianKernel(1, 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
    const flat = tf.fill([2, 9, 9, 1], 100) as tf.Tensor4D
    expect(new Set(run(randomGaussianBlur({ sigma_min: 1, sigma_max: 2, prob: 1 }), flat).values)).toEqual(
      new Set([100]),
    )
    const impulse = tf.buffer([1, 15, 15, 1])
    impulse.set(255, 0, 7, 7, 0)
    const x = impulse.toTensor() as tf.Tensor4D
    const out = run(randomGaussianBlur({ sigma_min: 1, sigma_max: 1, prob: 1 }), x)
    expect(out.values[7 * 15 + 7]!).toBeLessThan(255)
    expect(out.values[7 * 15 + 6]).toBe(out.values[7 * 15 + 8])
    expect(out.values[6 * 15 + 7]).toBe(out.values[8 * 15 + 7])
    expect(Math.abs(out.values.reduce((a, b) => a + b, 0) - 255)).toBeLessThan(15)
    expect(run(randomGaussianBlur({ sigma_min: 1, sigma_max: 1, prob: 0 }), x).values).toEqual(values(x))
    tf.dispose([flat, x])
  })
})

describe('RandomApply', () => {
  it('applies its transforms to the chosen samples only, and refuses size changes', () => {
    const x = tf.tile(tf.tensor4d([0, 200, 50, 255], [1, 2, 2, 1]), [32, 1, 1, 1]) as tf.Tensor4D
    const out = run(randomApply([randomSolarize(128, 1)], 0.5), x)
    const solarised = Array.from({ length: 32 }, (_, k) => out.values[k * 4 + 1] === 55)
    const kept = Array.from({ length: 32 }, (_, k) => out.values[k * 4 + 1] === 200)
    solarised.forEach((s, k) => {
      expect(s || kept[k]).toBe(true)
    })
    expect(solarised.filter(Boolean).length).toBeGreaterThan(4)
    expect(kept.filter(Boolean).length).toBeGreaterThan(4)
    expect(() => randomApply([randomResizedCrop({ size: 1 })], 1).apply(x, streams(32))).toThrow(
      /change the image size/,
    )
    x.dispose()
  })
})

const byolPipeline = (size: number) => [
  { type: 'LoadImageFromFile' },
  {
    type: 'MultiView',
    num_views: [2, 2],
    transforms: [
      [
        { type: 'RandomResizedCrop', size, scale: [0.2, 1.0], backend: 'pillow' },
        { type: 'RandomFlip', prob: 0.5 },
        {
          type: 'RandomApply',
          transforms: [{ type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 }],
          prob: 0.8,
        },
        { type: 'RandomGrayscale', prob: 0.2, keep_channels: true },
        { type: 'RandomGaussianBlur', sigma_min: 0.1, sigma_max: 2.0, prob: 1.0 },
        { type: 'RandomSolarize', prob: 0.0 },
      ],
      [{ type: 'RandomResizedCrop', size: 4, scale: [0.05, 0.3] }],
    ],
  },
  { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
]

describe('pipelines', () => {
  it('decode MultiView with multi-crop into one transform list per view', () => {
    const decoded = decodePipeline(byolPipeline(8), 'p')
    if (decoded._tag === 'Left') throw new Error(JSON.stringify(decoded.left))
    expect(decoded.right.views.map((v) => v.map((t) => t.type))).toEqual([
      ['RandomResizedCrop', 'RandomFlip', 'RandomApply', 'RandomGrayscale', 'RandomGaussianBlur', 'RandomSolarize'],
      ['RandomResizedCrop', 'RandomFlip', 'RandomApply', 'RandomGrayscale', 'RandomGaussianBlur', 'RandomSolarize'],
      ['RandomResizedCrop'],
      ['RandomResizedCrop'],
    ])
    expect(decoded.right.multiView).toBe(true)
  })
  it('name the exact path of a mistake', () => {
    const bad = byolPipeline(8)
    ;(bad[1] as { transforms: Array<Array<Record<string, unknown>>> }).transforms[0]![2] = {
      type: 'RandomApply',
      transforms: [{ type: 'ColorJiter', brightness: 0.4 }],
      prob: 0.8,
    }
    expect(decodePipeline(bad, 'train_dataloader.dataset.pipeline')).toEqual({
      _tag: 'Left',
      left: [
        {
          path: 'train_dataloader.dataset.pipeline[1].transforms[0][2].transforms[0].type',
          message:
            "unknown transform type 'ColorJiter' (did you mean 'ColorJitter'?); known: " +
            'LoadImageFromFile, PackSelfSupInputs, PackInputs, PackClsInputs, ' +
            'RandomResizedCrop, RandomFlip, ColorJitter, RandomGrayscale, ' +
            'RandomGaussianBlur, RandomSolarize, Solarize, RandomApply, MultiView',
        },
      ],
    })
    expect(decodePipeline([{ type: 'RandomFlip', prob: 2 }], 'p')).toMatchObject({
      _tag: 'Left',
      left: [{ path: 'p[0].prob' }],
    })
    expect(decodePipeline([{ type: 'MultiView', num_views: [2, 6], transforms: [[]] }], 'p')).toMatchObject({
      _tag: 'Left',
      left: [{ path: 'p[0].num_views', message: '2 view counts for 1 transform lists: give one count per list' }],
    })
    expect(decodePipeline([{ type: 'RandomGaussianBlur', sigma_min: 2, sigma_max: 1 }], 'p')).toMatchObject({
      _tag: 'Left',
      left: [{ path: 'p[0]' }],
    })
  })
  it('run deterministically in (seed, epoch, index), differently across epochs, views and samples', () => {
    const decoded = decodePipeline(byolPipeline(8), 'p')
    if (decoded._tag === 'Left') throw new Error('decode')
    const x = tf.tile(batch(1), [3, 1, 1, 1]) as tf.Tensor4D
    const before = tf.memory().numTensors
    const once = runPipeline(decoded.right, x, { seed: 5, epoch: 2, indices: [10, 11, 12] })
    expect(once.map((v) => v.shape)).toEqual([
      [3, 8, 8, 1],
      [3, 8, 8, 1],
      [3, 4, 4, 1],
      [3, 4, 4, 1],
    ])
    const again = runPipeline(decoded.right, x, { seed: 5, epoch: 2, indices: [10, 11, 12] })
    once.forEach((v, i) => {
      expect(values(v)).toEqual(values(again[i]!))
    })
    const otherEpoch = runPipeline(decoded.right, x, { seed: 5, epoch: 3, indices: [10, 11, 12] })
    expect(values(otherEpoch[0]!)).not.toEqual(values(once[0]!))
    // The same image at different indices, and its two views, differ.
    expect(pixelsOf(once[0]!, 0)).not.toEqual(pixelsOf(once[0]!, 1))
    expect(values(once[0]!)).not.toEqual(values(once[1]!))
    // A sample's views do not depend on the rest of its batch.
    const second = tf.slice(x, [1], [1]) as tf.Tensor4D
    const alone = runPipeline(decoded.right, second, { seed: 5, epoch: 2, indices: [11] })
    expect(values(alone[0]!)).toEqual(pixelsOf(once[0]!, 1))
    const packed = packViews(once)
    expect(packed.shape).toEqual([6, 8, 8, 1])
    expect(pixelsOf(packed, 3)).toEqual(pixelsOf(once[1]!, 0))
    tf.dispose([...once, ...again, ...otherEpoch, ...alone, packed, second])
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })
})
