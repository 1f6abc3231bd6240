/**
 * One thread of the exchange-free measurement (`bench/exchangeFree.ts`): the
 * one-worker training step of a benchmark model (its own replica, nothing
 * averaged), then the shared-memory barrier the data-parallel workers meet
 * at, every step; posts the wall time between consecutive steps.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as Effect from 'effect/Effect'
import type { Dataset } from '../src/data/Dataset.js'
import { threadCommunicator } from '../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../src/interpreters/collective/threads.js'
import { train } from '../src/interpreters/tensor/train.js'
import { selectBackend } from '../src/tensor/backend.js'
import { benchProgram, runLength } from './distributedCases.js'
import type { ModelName } from './distributedCases.js'

const { region, rank, model, dataset } = workerData as {
  region: SharedRegion
  rank: number
  model: ModelName
  dataset: Dataset
}
const { barrier } = threadCommunicator(region, rank)
const stepMs: number[] = []
let last: number | undefined
const afterTrainStep = () => {
  barrier()
  const now = performance.now()
  if (last !== undefined) stepMs.push(now - last)
  last = now
}
await Effect.runPromise(
  Effect.gen(function* () {
    yield* selectBackend('wasm')
    yield* train(benchProgram(model, runLength[model].iters), {
      datasets: { train: dataset },
      writeCheckpoints: false,
      workDir: 'work_dirs/bench-exchange-free',
      timestamp: 'bench',
      afterTrainStep,
    })
  }),
)
parentPort!.postMessage({ stepMs })
