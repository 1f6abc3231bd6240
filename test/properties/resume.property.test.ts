/**
 * The resume law, on generated programs: stopping a run at any iteration
 * (where an interrupt saves a checkpoint) and resuming it gives bit for bit
 * the parameters, optimizer state and learning rates of the run that never
 * stopped — for both loop kinds, shuffled or not, with accumulation windows
 * the split may cut, with and without loss scaling and clipping.
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Hub from '../../src/dsl/MessageHub.js'
import { useCpu } from '../../src/tensor/cpu.js'
import { baseConfig, programOf, run, tempDir } from '../unit/interpreters/tensor/support.js'

beforeAll(useCpu)

const programCase = fc.record({
  iterBased: fc.boolean(),
  length: fc.integer({ min: 6, max: 20 }),
  batchSize: fc.constantFrom(5, 8, 16),
  shuffle: fc.boolean(),
  accumulate: fc.integer({ min: 1, max: 4 }),
  amp: fc.boolean(),
  clip: fc.boolean(),
  optimizer: fc.constantFrom(
    { type: 'SGD', lr: 0.05, momentum: 0.9 },
    { type: 'AdamW', lr: 0.01 },
    { type: 'RMSprop', lr: 0.005 },
  ),
  split: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
})

describe('resume ≡ never stopping', () => {
  it('holds for generated programs and split points', async () => {
    await fc.assert(
      fc.asyncProperty(programCase, async (c) => {
        const epochs = Math.max(1, Math.round(c.length / Math.ceil(64 / c.batchSize)))
        const config = {
          ...baseConfig,
          train_dataloader: {
            ...baseConfig.train_dataloader,
            batch_size: c.batchSize,
            sampler: { type: 'DefaultSampler', shuffle: c.shuffle },
          },
          train_cfg: c.iterBased
            ? { type: 'IterBasedTrainLoop', max_iters: c.length, val_interval: 1000 }
            : { type: 'EpochBasedTrainLoop', max_epochs: epochs, val_interval: 1000 },
          optim_wrapper: {
            ...(c.amp ? { type: 'AmpOptimWrapper', loss_scale: 'dynamic' } : {}),
            optimizer: c.optimizer,
            accumulative_counts: c.accumulate,
            ...(c.clip ? { clip_grad: { max_norm: 0.5 } } : {}),
          },
          param_scheduler: [{ type: 'LinearLR', start_factor: 0.2, by_epoch: false, begin: 0, end: 5 }],
          default_hooks: {
            ...baseConfig.default_hooks,
            checkpoint: { type: 'CheckpointHook', interval: 1000, by_epoch: false },
          },
        }
        const program = programOf(config)
        const whole = await run(program, { workDir: tempDir(), testAfterTrain: false })
        const stopAt = Math.max(1, Math.floor(c.split * whole.iterations))
        const workDir = tempDir()
        let iterations = 0
        const first = await run(program, {
          workDir,
          testAfterTrain: false,
          afterTrainStep: () => {
            iterations += 1
          },
          interrupt: () => (iterations >= stopAt ? 'SIGINT' : undefined),
        })
        expect(first.interrupted).toBe('SIGINT')
        expect(fs.existsSync(nodePath.join(workDir, `interrupted_iter_${stopAt}.safetensors`))).toBe(true)
        const resumed = await run(program, { workDir, testAfterTrain: false, resume: 'auto' })
        expect(resumed.iterations).toBe(whole.iterations)
        for (const [name, p] of Object.entries(whole.params))
          expect(Array.from(resumed.params[name]!.values), name).toEqual(Array.from(p.values))
        expect(resumed.lr).toEqual(whole.lr)
        // The logged scalars too (all but wall-clock times): the message hub came back whole.
        const scalars = (r: typeof whole) =>
          [...r.state.messageHub.scalars]
            .filter(([k]) => !/time/.test(k))
            .map(([k, h]) => [
              k,
              Hub.toData({ scalars: new Map([[k, h]]), info: new Map(), resumed: new Map() }).scalars[0]![1],
            ])
        expect(scalars(resumed)).toEqual(scalars(whole))
      }),
      { numRuns: 25 },
    )
  }, 120_000)
})
