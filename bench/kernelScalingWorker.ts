/**
 * One thread of the kernel-scaling measurement (`bench/kernelScaling.ts`):
 * each of the MLP step's kinds of work, repeated for a fixed time after a
 * warm-up, every thread starting each kind at the same barrier; posts the
 * repetitions per second of each kind.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import * as Effect from 'effect/Effect'
import { threadCommunicator } from '../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../src/interpreters/collective/threads.js'
import { selectBackend } from '../src/tensor/backend.js'
import { kernelCases } from './kernelScalingCases.js'

const { region, rank, ms } = workerData as { region: SharedRegion; rank: number; ms: number }
const { barrier } = threadCommunicator(region, rank)
await Effect.runPromise(selectBackend('wasm'))
const perSecond: { [name: string]: number } = {}
for (const { name, setup } of kernelCases) {
  const { run, dispose } = setup()
  const repeat = (duration: number): number => {
    let n = 0
    const end = performance.now() + duration
    while (performance.now() < end) {
      run()
      n++
    }
    return n
  }
  repeat(ms / 4)
  barrier()
  const start = performance.now()
  const n = repeat(ms)
  perSecond[name] = (n / (performance.now() - start)) * 1000
  dispose()
}
if (tf.memory().numTensors > 0) throw new Error(`kernel scaling leaked ${tf.memory().numTensors} tensors`)
parentPort!.postMessage({ perSecond })
