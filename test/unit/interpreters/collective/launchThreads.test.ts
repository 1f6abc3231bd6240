import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import { describe, expect, it } from 'vitest'
import { Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import { trainThreads } from '../../../../src/interpreters/collective/launchThreads.js'
import type { ThreadRunOptions } from '../../../../src/interpreters/collective/launchThreads.js'
import { makeLoader } from '../../../../src/interpreters/tensor/data.js'
import { programOf, regressionData, tempDir } from '../tensor/support.js'

const config = (epochs: number, extra: object = {}) => ({
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: 4,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: epochs },
  optim_wrapper: { optimizer: { type: 'Adam', lr: 0.01 } },
  param_scheduler: [],
  default_hooks: { logger: { type: 'LoggerHook', interval: 2 }, checkpoint: { type: 'CheckpointHook', interval: 1 } },
  randomness: { seed: 5 },
  ...extra,
})
const datasets = { train: regressionData(32, 4) }

const run = (cfg: object, workDir: string, more: Partial<ThreadRunOptions['options']> = {}, lines: string[] = []) =>
  Effect.runPromise(
    trainThreads(programOf(cfg), {
      workers: 2,
      options: { datasets, workDir, timestamp: 'run', ...more },
      print: (_, m) => lines.push(m),
    }),
  )

describe('trainThreads', () => {
  it('rank 0 alone writes checkpoints and logs; resuming from a checkpoint ends bit-identical', async () => {
    const whole = tempDir()
    const lines: string[] = []
    const [rank0, rank1] = await run(config(2), whole, {}, lines)
    expect(rank0!.checkpoints.map((p) => nodePath.basename(p))).toEqual(['epoch_1.safetensors', 'epoch_2.safetensors'])
    expect(rank1!.checkpoints).toEqual([])
    const files = ['epoch_1.safetensors', 'epoch_2.safetensors', 'last_checkpoint', 'run']
    expect(fs.readdirSync(whole).sort()).toEqual(files)
    const log = fs.readFileSync(nodePath.join(whole, 'run', 'run.log'), 'utf8')
    expect(log.match(/Saving checkpoint at 1 epochs/g)).toHaveLength(1)
    const saving = lines.filter((l) => l.startsWith('Saving checkpoint'))
    expect(saving).toEqual(['Saving checkpoint at 1 epochs', 'Saving checkpoint at 2 epochs'])
    expect(lines[0]).toBe('data parallel: 2 worker threads (shared memory); rank 0 of 2 writes checkpoints and logs')

    const resumed = tempDir()
    const [again] = await run(config(2), resumed, { resume: nodePath.join(whole, 'epoch_1.safetensors') })
    expect(again!.iterations).toBe(rank0!.iterations)
    for (const [name, { values }] of Object.entries(rank0!.params)) {
      expect(Array.from(again!.params[name]!.values)).toEqual(Array.from(values))
    }
  }, 120_000)

  it('a worker that fails stops the run with its error, naming the worker', async () => {
    const broken = programOf(config(1, { model: { type: 'NoSuchModel' } }))
    const run = trainThreads(broken, { workers: 2, options: { datasets, workDir: tempDir() }, print: () => {} })
    const exit = await Effect.runPromise(Effect.result(run))
    expect(exit._tag).toBe('Failure')
    if (exit._tag === 'Failure') {
      expect(exit.failure.during).toBe('setup')
      expect(exit.failure.message).toMatch(/^model\.type: worker [01]: .*NoSuchModel/)
    }
  }, 120_000)
})

describe('the train loader of one rank', () => {
  it('refuses round_up=False when ranks would get epochs of different lengths (they would wait forever)', () => {
    const cfg = { batch_size: 1, sampler: { type: 'DefaultSampler', round_up: false } }
    const rank = (r: number) => ({ seed: 0, infinite: false, shard: { rank: r, worldSize: 2 } })
    const uneven = makeLoader(regressionData(7, 1), cfg, 'train_dataloader', rank(0))
    const message = expect.stringContaining('round_up=False splits 7 samples unevenly over 2 workers')
    expect(uneven).toEqual(E.left([{ path: 'train_dataloader.sampler.round_up', message }]))
    const even = makeLoader(regressionData(8, 1), cfg, 'train_dataloader', rank(1))
    expect(E.isRight(even) && even.right.batches).toBe(4)
  })
})
