/**
 * What two data-parallel workers of a benchmark model could reach here if
 * averaging their gradients cost nothing: W threads each running the
 * one-worker training step (its own replica, the whole batch of 64, nothing
 * averaged) and meeting at the same shared-memory barrier after every step.
 * Like the machine ceiling (`ceiling.ts`), but with the model's own work: its
 * memory traffic, allocation, collector and step-to-step variation. A step
 * waits for the slower worker, so the variation of the machine (other
 * tenants, a core taken away for a few milliseconds) costs here exactly what
 * it costs the data-parallel run. The data-parallel step over this one is
 * what the exchange itself costs.
 */
import { Effect } from 'effect'
import type { Dataset } from '../src/data/Dataset.js'
import { threadStepTimes } from './ceiling.js'
import { steadyStep } from './distributedCases.js'
import type { ModelName } from './distributedCases.js'

/** Rank 0's median step after the warm-up, `workers` threads each training `model` on its own. */
export const exchangeFreeStep = (model: ModelName, workers: number, dataset: Dataset): Effect.Effect<number, Error> =>
  Effect.tryPromise({
    try: async () => steadyStep(model, (await threadStepTimes('exchangeFreeWorker', workers, { model, dataset }))[0]!),
    catch: (e) => (e instanceof Error ? e : new Error(String(e))),
  })
