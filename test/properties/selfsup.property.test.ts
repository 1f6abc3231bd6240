/**
 * Laws of the self-supervised state (issue 14):
 * - MoCo's queue is FIFO: after any sequence of enqueued batches it holds the
 *   last `queue_len / n` batches, the oldest overwritten first, and the pointer
 *   is the count of enqueued keys modulo `queue_len`;
 * - a momentum encoder's update is an EMA: the first update copies the online
 *   weights; later ones give `m·avg + (1 − m)·src` (CosineEMA at its
 *   scheduled momentum) or `avg + m·(src − avg)` (MMEngine's EMA), and the
 *   online buffers are copied.
 */
import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { enqueue } from '../../src/selfsup/algorithms/queue.js'
import * as Target from '../../src/selfsup/algorithms/targetNet.js'
import { useCpu } from '../../src/tensor/cpu.js'

beforeAll(async () => {
  await useCpu()
})

describe('MoCo queue', () => {
  it('is FIFO: it holds the latest keys, each batch at its ring position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        (n, slots, batches, dim) => {
          const length = n * slots
          let queue = tf.zeros([dim, length]) as tf.Tensor2D
          let ptr = tf.zeros([1], 'int32')
          const expected: number[][] = Array.from({ length: dim }, () => new Array<number>(length).fill(0))
          let written = 0
          for (let b = 0; b < batches; b++) {
            const keys = Array.from({ length: n }, (_, i) =>
              Array.from({ length: dim }, (_, d) => b * 100 + i * 10 + d),
            )
            const keyTensor = tf.tensor2d(keys)
            const next = enqueue(queue, ptr, keyTensor)
            tf.dispose([queue, ptr, keyTensor])
            queue = next.queue
            ptr = next.ptr
            for (let i = 0; i < n; i++)
              for (let d = 0; d < dim; d++) expected[d]![(written + i) % length] = keys[i]![d]!
            written += n
          }
          const got = queue.arraySync()
          const pointer = ptr.dataSync()[0]
          tf.dispose([queue, ptr])
          expect(got).toEqual(expected)
          expect(pointer).toBe(written % length)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('momentum encoder update', () => {
  const f32 = fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }).map(Math.fround)
  it('copies at the first update, then averages as an EMA; buffers follow the online model', () => {
    fc.assert(
      fc.property(
        fc.array(f32, { minLength: 1, maxLength: 6 }),
        fc.array(f32, { minLength: 6, maxLength: 6 }),
        fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
        fc.integer({ min: 1, max: 99 }),
        fc.boolean(),
        (src, avgValues, momentum, steps, cosine) => {
          const avg = avgValues.slice(0, src.length)
          const online = { 'backbone.w': tf.tensor1d(src) }
          const onlineBuffers = { 'backbone.bn.running_mean': tf.tensor1d([src[0]!]) }
          const target = {
            'enc.module.0.w': tf.tensor1d(avg),
            'enc.module.0.bn.running_mean': tf.tensor1d([0]),
            'enc.steps': tf.scalar(steps, 'int32'),
          }
          const averaging: Target.Averaging = cosine
            ? { _tag: 'CosineEMA', momentum, endMomentum: 1 }
            : { _tag: 'ExponentialMovingAverage', momentum: 1 - momentum }
          const first = Target.update('enc', averaging, online, onlineBuffers, target, 0, 100)
          const later = Target.update('enc', averaging, online, onlineBuffers, target, steps, 100)
          expect(Array.from(first['enc.module.0.w']!.dataSync())).toEqual(src)
          const mu = cosine ? Target.cosineMomentum(momentum, 1, steps, 100) : momentum
          const got = later['enc.module.0.w']!.dataSync()
          avg.forEach((a, i) => {
            expect(got[i]).toBeCloseTo(mu * a + (1 - mu) * src[i]!, 3)
          })
          expect(later['enc.module.0.bn.running_mean']!.dataSync()[0]).toBe(src[0])
          expect(later['enc.steps']!.dataSync()[0]).toBe(steps + 1)
          tf.dispose([
            ...Object.values(online),
            ...Object.values(onlineBuffers),
            ...Object.values(target),
            ...Object.values(first),
            ...Object.values(later),
          ])
        },
      ),
      { numRuns: 60 },
    )
  })

  it('CosineEMA goes from the base momentum at step 0 to the end momentum at max_iters', () => {
    expect(Target.cosineMomentum(0.996, 1, 0, 1000)).toBe(0.996)
    expect(Target.cosineMomentum(0.996, 1, 1000, 1000)).toBe(1)
    expect(Target.cosineMomentum(0.99, 1, 500, 1000)).toBeCloseTo(0.995, 12)
  })
})
