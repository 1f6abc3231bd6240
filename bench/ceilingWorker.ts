/**
 * One thread of the machine-ceiling measurement (`bench/ceiling.ts`): `steps`
 * times a fixed amount of arithmetic on a small array (no memory traffic, no
 * allocation), then the shared-memory barrier the data-parallel workers meet
 * at; posts the wall time of every step.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { threadCommunicator } from '../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../src/interpreters/collective/threads.js'
import { arithmetic } from './ceilingWork.js'

const { region, rank, units, steps } = workerData as {
  region: SharedRegion
  rank: number
  units: number
  steps: number
}
const communicator = threadCommunicator(region, rank)
const stepMs: number[] = []
let sink = 0
for (let i = 0; i < steps; i++) {
  const start = performance.now()
  sink += arithmetic(units)
  communicator.barrier()
  stepMs.push(performance.now() - start)
}
parentPort!.postMessage({ stepMs, sink })
