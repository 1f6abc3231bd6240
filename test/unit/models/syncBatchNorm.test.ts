/**
 * SyncBN across data-parallel replicas (real worker threads, shared memory): W replicas with b rows each compute
 * what one BatchNorm computes over their W·b rows together — the output, the input gradient of each replica's rows,
 * the running statistics — and the replicas' weight and bias gradients sum to the one-process gradients.
 */
import * as fc from 'fast-check'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { concatFloats } from '../../../src/interpreters/collective/concatFloats.js'
import { runRanks as runRanksOf } from '../../support/ranks.js'
import * as BatchNorm from '../../../src/models/BatchNorm.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import '../../../src/tensor/gradients.js'

beforeAll(async () => {
  await useCpu()
})

interface Reply {
  readonly ok: boolean
  readonly message?: string
  readonly y: Float32Array
  readonly dx: Float32Array
  readonly dw: Float32Array
  readonly db: Float32Array
  readonly runningMean: Float32Array
  readonly runningVar: Float32Array
  readonly leaked: number
}

const workerModule = new URL('../../support/syncBatchNormWorker.ts', import.meta.url)

const runRanks = (jobs: ReadonlyArray<object>): Promise<Reply[]> => runRanksOf<Reply>(workerModule, jobs, 256)

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(2e-4 * (1 + Math.abs(expected[i]!)))
}

const floats = (n: number) => fc.float32Array({ minLength: n, maxLength: n, noNaN: true, min: -3, max: 3 })

describe('SyncBN: BatchNorm with replicas', () => {
  it('W replicas of b rows each = one BatchNorm over the W·b rows (values, gradients, statistics)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            world: fc.integer({ min: 2, max: 3 }),
            rows: fc.integer({ min: 1, max: 3 }),
            spatial: fc.constantFrom([], [2, 2]),
            channels: fc.integer({ min: 1, max: 3 }),
          })
          .chain(({ world, rows, spatial, channels }) => {
            const shape = [rows, ...spatial, channels]
            const size = shape.reduce((a, b) => a * b, 1)
            return fc.record({
              shape: fc.constant(shape),
              // Two distinct values per replica at least, so that every channel varies over the global batch.
              x: fc.array(floats(size), { minLength: world, maxLength: world }),
              c: fc.array(floats(size), { minLength: world, maxLength: world }),
              weight: floats(channels),
              bias: floats(channels),
            })
          }),
        async ({ shape, x, c, weight, bias }) => {
          const world = x.length
          const replies = await runRanks(x.map((xr, r) => ({ shape, x: xr, c: c[r], weight, bias })))
          // One process over every replica's rows, the loss Σ_r Σ y_r ⊙ c_r.
          const globalShape = [shape[0]! * world, ...shape.slice(1)]
          const channels = shape.at(-1)!
          const { buffers } = BatchNorm.init('bn', channels)
          const big = tf.tensor(concatFloats(x), globalShape)
          const weights = tf.tensor(concatFloats(c), globalShape)
          const [w, b] = [tf.tensor1d(weight), tf.tensor1d(bias)]
          const { grads } = tf.valueAndGrads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => {
            const [y] = BatchNorm.apply({ 'bn.weight': ws, 'bn.bias': bs }, buffers, 'bn', xs, { training: true })
            return tf.sum(tf.mul(y, weights)) as tf.Scalar
          })([big, w, b])
          const [y, updates] = BatchNorm.apply({ 'bn.weight': w, 'bn.bias': b }, buffers, 'bn', big, {
            training: true,
          })
          close(concatFloats(replies.map((r) => r.y)), y.dataSync())
          close(concatFloats(replies.map((r) => r.dx)), grads[0]!.dataSync())
          const summed = (pick: (r: Reply) => Float32Array) =>
            Array.from({ length: channels }, (_, k) => replies.reduce((s, r) => s + pick(r)[k]!, 0))
          close(
            summed((r) => r.dw),
            grads[1]!.dataSync(),
          )
          close(
            summed((r) => r.db),
            grads[2]!.dataSync(),
          )
          for (const reply of replies) {
            expect(reply.leaked).toBe(0)
            close(reply.runningMean, updates['bn.running_mean']!.dataSync())
            close(reply.runningVar, updates['bn.running_var']!.dataSync())
          }
        },
      ),
      { numRuns: 6 },
    )
  }, 240_000)
})
