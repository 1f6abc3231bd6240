/**
 * A worker thread for the cross-replica tests (`test/unit/selfsup/distributed.test.ts`): rank `rank` of a shared
 * region, on the CPU backend, runs the self-supervised helpers over real {@link replicasOf} replicas and posts what
 * it got. Every rank runs the same script on its own inputs.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import { replicasOf } from '../../src/interpreters/collective/replicas.js'
import { threadCommunicator } from '../../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../../src/interpreters/collective/threads.js'
import * as Rng from '../../src/dsl/Rng.js'
import { enqueue } from '../../src/selfsup/algorithms/queue.js'
import { batchShuffle, batchUnshuffle } from '../../src/selfsup/batchShuffle.js'
import { allReduceSum, concatAllGather, gatherLayer } from '../../src/selfsup/gather.js'
import { sinkhornTensor } from '../../src/selfsup/numerics/sinkhornTensor.js'
import { useCpu } from '../../src/tensor/cpu.js'
// Gradients of the ops used here must be registered before tf.grad runs.
import '../../src/tensor/gradients.js'

interface Job {
  readonly region: SharedRegion
  readonly rank: number
  /** The queue `[featDim, queueLen]` (row-major) every rank starts from. */
  readonly queue: Float32Array
  readonly featDim: number
  /** This rank's keys of each step, `[n, featDim]` row-major. */
  readonly keys: ReadonlyArray<Float32Array>
  /** This rank's scores `[rows, K]` for Sinkhorn, and K. */
  readonly scores: Float32Array
  readonly prototypes: number
}

const job = workerData as Job
try {
  await useCpu()
  const replicas = replicasOf(threadCommunicator(job.region, job.rank))
  const ctx = { replicas }
  const queueLen = job.queue.length / job.featDim
  let queue = tf.tensor2d(job.queue, [job.featDim, queueLen])
  let ptr: tf.Tensor = tf.zeros([1], 'int32')
  for (const keys of job.keys) {
    const local = tf.tensor2d(keys, [keys.length / job.featDim, job.featDim])
    const next = enqueue(queue, ptr, concatAllGather(ctx, local) as tf.Tensor2D)
    queue = next.queue
    ptr = next.ptr
  }
  // GatherLayer: the gradient of Σ w ⊙ gathered reaches this rank's rows only, as w's rows of this rank.
  const x = tf.tensor2d(job.keys[0]!, [job.keys[0]!.length / job.featDim, job.featDim])
  const gathered = gatherLayer(ctx, x)
  const weights = tf.reshape(tf.range(1, gathered.size + 1), gathered.shape)
  const gatherGrad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(gatherLayer(ctx, input), weights)))(x)
  // all_reduce in a loss: the value is every rank's sum; the gradient is the local input's.
  const reduced = allReduceSum(ctx, x)
  const reduceGrad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(allReduceSum(ctx, input), input)))(x)
  // MoCo's BN shuffle: this rank's slice of the shuffled global batch, and the rows put back.
  const shuffled = batchShuffle(replicas, x, Rng.make(job.featDim))
  const unshuffled = batchUnshuffle(replicas, shuffled.x, shuffled.unshuffle)
  const rows = job.scores.length / job.prototypes
  const codes = sinkhornTensor(tf.tensor2d(job.scores, [rows, job.prototypes]), { replicas })
  parentPort!.postMessage({
    ok: true,
    queue: queue.dataSync(),
    ptr: ptr.dataSync()[0],
    gathered: gathered.dataSync(),
    gatherGrad: gatherGrad.dataSync(),
    reduced: reduced.dataSync(),
    reduceGrad: reduceGrad.dataSync(),
    codes: codes.dataSync(),
    shuffled: shuffled.x.dataSync(),
    unshuffled: unshuffled.dataSync(),
  })
} catch (e) {
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
}
