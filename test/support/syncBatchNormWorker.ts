/**
 * A worker thread for `test/unit/models/syncBatchNorm.test.ts`: rank `rank` of a shared region, on the CPU
 * backend, runs one train-mode BatchNorm over its rows with `replicas` (SyncBN) and posts the output, the gradients
 * of `Σ y ⊙ c` and the running statistics after it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import { replicasOf } from '../../src/interpreters/collective/replicas.js'
import { threadCommunicator } from '../../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../../src/interpreters/collective/threads.js'
import * as BatchNorm from '../../src/models/BatchNorm.js'
import { useCpu } from '../../src/tensor/cpu.js'
import '../../src/tensor/gradients.js'

interface Job {
  readonly region: SharedRegion
  readonly rank: number
  readonly shape: ReadonlyArray<number>
  readonly x: Float32Array
  readonly c: Float32Array
  readonly weight: Float32Array
  readonly bias: Float32Array
}

const job = workerData as Job
try {
  await useCpu()
  const replicas = replicasOf(threadCommunicator(job.region, job.rank))
  const channels = job.shape.at(-1)!
  const { buffers } = BatchNorm.init('bn', channels)
  const x = tf.tensor(job.x, [...job.shape])
  const c = tf.tensor(job.c, [...job.shape])
  const weight = tf.tensor1d(job.weight)
  const bias = tf.tensor1d(job.bias)
  let updates: { [name: string]: tf.Tensor } = {}
  const { value, grads } = tf.valueAndGrads((xs: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const [y, up] = BatchNorm.apply({ 'bn.weight': w, 'bn.bias': b }, buffers, 'bn', xs, { training: true, replicas })
    updates = Object.fromEntries(Object.entries(up).map(([n, t]) => [n, tf.keep(t)]))
    return tf.sum(tf.mul(y, c)) as tf.Scalar
  })([x, weight, bias])
  const [y] = BatchNorm.apply({ 'bn.weight': weight, 'bn.bias': bias }, buffers, 'bn', x, { training: true, replicas })
  // A step in a scope of its own leaves no tensor behind (the interpreter's tensor count stays flat).
  const before = tf.memory().numTensors
  tf.tidy(() => {
    const step = tf.grads((xs: tf.Tensor, w: tf.Tensor) => {
      const [out] = BatchNorm.apply({ 'bn.weight': w, 'bn.bias': bias }, buffers, 'bn', xs, {
        training: true,
        replicas,
      })
      return tf.sum(tf.mul(out, c))
    })
    step([x, weight])
  })
  const leaked = tf.memory().numTensors - before
  parentPort!.postMessage({
    ok: true,
    loss: value.dataSync()[0],
    y: y.dataSync(),
    dx: grads[0]!.dataSync(),
    dw: grads[1]!.dataSync(),
    db: grads[2]!.dataSync(),
    runningMean: updates['bn.running_mean']!.dataSync(),
    runningVar: updates['bn.running_var']!.dataSync(),
    leaked,
  })
} catch (e) {
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
}
