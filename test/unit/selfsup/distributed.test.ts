/**
 * Self-supervised algorithms under data parallel (`--workers N`), as MMSelfSup runs them across processes:
 * the cross-replica helpers over real worker threads (MoCo's queue law, GatherLayer, all_reduce, Sinkhorn), and a
 * short 2-worker run of every algorithm whose replicas end with identical parameters and buffers.
 */
import { Effect } from 'effect'
import * as fc from 'fast-check'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { trainThreads } from '../../../src/interpreters/collective/launchThreads.js'
import type { WorkerResult } from '../../../src/interpreters/collective/threadJob.js'
import { allocate } from '../../../src/interpreters/collective/threads.js'
import { spawnWorker } from '../../../src/interpreters/collective/spawn.js'
import { enqueue } from '../../../src/selfsup/algorithms/queue.js'
import { RANK_LOCAL_BUFFERS } from '../../../src/selfsup/attributes.js'
import { sinkhornTensor } from '../../../src/selfsup/numerics/sinkhornTensor.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { programOf, tempDir } from '../interpreters/tensor/support.js'
import { algorithmConfigs } from './algorithms/support.js'

beforeAll(async () => {
  await useCpu()
})

interface Reply {
  readonly ok: boolean
  readonly message?: string
  readonly queue: Float32Array
  readonly ptr: number
  readonly gathered: Float32Array
  readonly gatherGrad: Float32Array
  readonly reduced: Float32Array
  readonly reduceGrad: Float32Array
  readonly codes: Float32Array
}

const workerModule = new URL('../../support/replicasWorker.ts', import.meta.url)

const runRanks = (jobs: ReadonlyArray<object>): Promise<Reply[]> => {
  const region = allocate(jobs.length, 64)
  return Promise.all(
    jobs.map(
      (job, rank) =>
        new Promise<Reply>((resolve, reject) => {
          const worker = spawnWorker(workerModule, { region, rank, ...job })
          worker.once('message', (reply: Reply) => {
            void worker.terminate()
            if (reply.ok) resolve(reply)
            else reject(new Error(`rank ${rank}: ${reply.message}`))
          })
          worker.once('error', reject)
        }),
    ),
  )
}

const concat = (arrays: ReadonlyArray<Float32Array>): Float32Array => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0))
  let at = 0
  for (const a of arrays) {
    out.set(a, at)
    at += a.length
  }
  return out
}

const floats = (n: number) => fc.float32Array({ minLength: n, maxLength: n, noNaN: true, min: -2, max: 2 })

describe('cross-replica helpers over worker threads', () => {
  it(
    "MoCo's queue after k steps is the queue one process builds from the global batches' keys, on every " +
      'replica; GatherLayer, all_reduce and Sinkhorn agree with one process',
    async () => {
      const featDim = 3
      const prototypes = 4
      await fc.assert(
        fc.asyncProperty(
          fc
            .record({ world: fc.integer({ min: 2, max: 3 }), n: fc.integer({ min: 1, max: 3 }), steps: fc.nat(4) })
            .chain(({ world, n, steps }) =>
              fc.record({
                world: fc.constant(world),
                n: fc.constant(n),
                // Two global batches fit the queue, so it wraps around after two steps.
                queue: floats(featDim * 2 * world * n),
                keys: fc.array(fc.array(floats(n * featDim), { minLength: steps + 1, maxLength: steps + 1 }), {
                  minLength: world,
                  maxLength: world,
                }),
                scores: fc.array(floats(n * 2 * prototypes), { minLength: world, maxLength: world }),
              }),
            ),
          async ({ world, n, queue, keys, scores }) => {
            const replies = await runRanks(
              keys.map((k, r) => ({ queue, featDim, keys: k, scores: scores[r], prototypes })),
            )
            // One process, enqueueing each step's keys of every replica, in rank order.
            const queueLen = queue.length / featDim
            let q = tf.tensor2d(queue, [featDim, queueLen])
            let ptr: tf.Tensor = tf.zeros([1], 'int32')
            for (let step = 0; step < keys[0]!.length; step++) {
              const global = concat(keys.map((k) => k[step]!))
              const next = enqueue(q, ptr, tf.tensor2d(global, [world * n, featDim]))
              q = next.queue
              ptr = next.ptr
            }
            const expectedQueue = Array.from(q.dataSync())
            const steps = keys[0]!.length
            const firstKeys = concat(keys.map((k) => k[0]!))
            const totals = Float32Array.from(firstKeys.subarray(0, n * featDim), (_, i) =>
              keys.reduce((s, k) => s + k[0]![i]!, 0),
            )
            const codes = sinkhornTensor(tf.tensor2d(concat(scores), [world * n * 2, prototypes])).dataSync()
            replies.forEach((reply, rank) => {
              expect(Array.from(reply.queue)).toEqual(expectedQueue)
              expect(reply.ptr).toBe((steps * world * n) % queueLen)
              expect(Array.from(reply.gathered)).toEqual(Array.from(firstKeys))
              // Σ w ⊙ gathered: this rank's rows of w, nothing of the others'.
              const w = Array.from({ length: n * featDim }, (_, i) => rank * n * featDim + i + 1)
              expect(Array.from(reply.gatherGrad)).toEqual(w)
              expect(Array.from(reply.reduced)).toEqual(Array.from(totals))
              // d/dx Σ (Σ_r x_r) ⊙ x = Σ_r x_r + x: the all-reduce passes the local gradient through.
              const own = keys[rank]![0]!
              expect(Array.from(reply.reduceGrad)).toEqual(Array.from(totals, (s, i) => Math.fround(s + own[i]!)))
              const slice = codes.subarray(rank * n * 2 * prototypes, (rank + 1) * n * 2 * prototypes)
              reply.codes.forEach((c, i) => expect(c).toBeCloseTo(slice[i]!, 4))
            })
          },
        ),
        { numRuns: 3 },
      )
    },
    240_000,
  )
})
