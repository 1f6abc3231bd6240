/**
 * The resume law across workers: W worker threads stopped at any iteration (a periodic checkpoint, which may fall
 * inside an accumulation window, where each rank holds its own partial sum) and resumed on W workers end bit for
 * bit where the run that never stopped ends, on every rank.
 */
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { trainThreads } from '../../src/interpreters/collective/launchThreads.js'
import { finalState } from '../support/killResume.js'
import { programOf, regressionData, tempDir } from '../unit/interpreters/tensor/support.js'

const configOf = (maxIters: number, every: number, accumulate: number, optimizer: object, amp: boolean) => ({
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: 4,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: maxIters },
  optim_wrapper: {
    ...(amp ? { type: 'AmpOptimWrapper', loss_scale: 'dynamic' } : {}),
    optimizer,
    accumulative_counts: accumulate,
  },
  param_scheduler: [{ type: 'LinearLR', start_factor: 0.2, by_epoch: false, begin: 0, end: 5 }],
  default_hooks: { logger: null, checkpoint: { type: 'CheckpointHook', interval: every, by_epoch: false } },
  log_processor: { by_epoch: false },
  randomness: { seed: 5 },
})
const datasets = { train: regressionData(48, 9) }

describe('resume ≡ never stopping, with W workers', () => {
  it('holds for generated world sizes, accumulation windows and split points', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          world: fc.integer({ min: 2, max: 3 }),
          accumulate: fc.integer({ min: 2, max: 4 }),
          split: fc.integer({ min: 1, max: 9 }),
          amp: fc.boolean(),
          optimizer: fc.constantFrom({ type: 'SGD', lr: 0.05, momentum: 0.9 }, { type: 'AdamW', lr: 0.01 }),
        }),
        async ({ world, accumulate, split, amp, optimizer }) => {
          const maxIters = 12
          const program = programOf(configOf(maxIters, split, accumulate, optimizer, amp))
          const threads = (workDir: string, resume?: string) =>
            Effect.runPromise(
              trainThreads(program, {
                workers: world,
                options: { datasets, workDir, timestamp: 'law', ...(resume === undefined ? {} : { resume }) },
                print: () => {},
              }),
            )
          const whole = tempDir()
          const never = await threads(whole)
          const resumedDir = tempDir()
          const resumed = await threads(resumedDir, nodePath.join(whole, `iter_${split}.safetensors`))
          const last = `iter_${maxIters}.safetensors`
          expect(finalState(nodePath.join(resumedDir, last))).toEqual(finalState(nodePath.join(whole, last)))
          resumed.forEach((rank, r) => {
            for (const [name, { values }] of Object.entries(never[r]!.params))
              expect(Array.from(rank.params[name]!.values), `rank ${r}: ${name}`).toEqual(Array.from(values))
          })
        },
      ),
      { numRuns: 4 },
    )
  }, 300_000)
})
