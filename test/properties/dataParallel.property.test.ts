/**
 * The data-parallel law, like accumulation ≡ big batch: W workers (real
 * threads, shared-memory all-reduce) at batch b end with the parameters of
 * one process at batch W·b, to float tolerance — for every optimizer tried,
 * with gradient accumulation (reduced once per window, DDP's no_sync) and
 * clipping (after the reduction). The replicas end bit-identical. With
 * SyncBN the law holds for BatchNorm too: the normalisation and its running
 * statistics are the global batch's, as in the one process.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { Effect } from 'effect'
import { trainThreads } from '../../src/interpreters/collective/launchThreads.js'
import { train } from '../../src/interpreters/tensor/train.js'
import { fromArrays } from '../../src/data/ArrayDataset.js'
import * as Rng from '../../src/dsl/Rng.js'
import { selectBackend } from '../../src/tensor/backend.js'
import { programOf, regressionData } from '../unit/interpreters/tensor/support.js'

const optimizers = [
  { type: 'SGD', lr: 0.05, momentum: 0.9 },
  { type: 'Adam', lr: 0.01 },
  { type: 'AdamW', lr: 0.01, weight_decay: 0.01 },
] as const

const configOf = (batch: number, optimizer: object, accumulate: number, clip: boolean, epochs: number) => ({
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: batch,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: epochs },
  optim_wrapper: { optimizer, accumulative_counts: accumulate, ...(clip ? { clip_grad: { max_norm: 0.5 } } : {}) },
  param_scheduler: [],
  default_hooks: { checkpoint: null, logger: null },
  randomness: { seed: 11 },
})

beforeAll(async () => {
  // The workers use WASM; so does the one-process run they are compared with.
  await Effect.runPromise(selectBackend('wasm'))
})

describe('data parallel ≡ big batch', () => {
  it('W workers at batch b end where one process at batch W·b ends, and the replicas agree bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          world: fc.integer({ min: 2, max: 3 }),
          batch: fc.constantFrom(2, 4),
          batches: fc.integer({ min: 2, max: 4 }),
          optimizer: fc.constantFrom(...optimizers),
          accumulate: fc.constantFrom(1, 2),
          clip: fc.boolean(),
          epochs: fc.integer({ min: 1, max: 2 }),
        }),
        async ({ world, batch, batches, optimizer, accumulate, clip, epochs }) => {
          const datasets = { train: regressionData(world * batch * batches, 3) }
          const options = { datasets, writeCheckpoints: false, timestamp: 'law', workDir: 'work_dirs/law-unused' }
          const parallel = programOf(configOf(batch, optimizer, accumulate, clip, epochs))
          const ranks = await Effect.runPromise(trainThreads(parallel, { workers: world, options, print: () => {} }))
          const big = programOf(configOf(world * batch, optimizer, accumulate, clip, epochs))
          const one = await Effect.runPromise(train(big, { ...options, print: () => {} }))
          expect(ranks[0]!.iterations).toBe(one.iterations)
          for (const [name, { values }] of Object.entries(one.params)) {
            const rank0 = ranks[0]!.params[name]!.values
            for (const rank of ranks.slice(1)) expect(Array.from(rank.params[name]!.values)).toEqual(Array.from(rank0))
            values.forEach((v, i) => {
              expect(Math.abs(rank0[i]! - v), `${name}[${i}]`).toBeLessThanOrEqual(2e-5 + 2e-4 * Math.abs(v))
            })
          }
        },
      ),
      { numRuns: 4 },
    )
  }, 300_000)
})

/** `n` one-channel `size`×`size` images of seeded noise, labelled by the sign of their mean. */
const imageData = (n: number, size: number, seed: number) => {
  let rng = Rng.make(seed)
  const images = Array.from({ length: n }, () =>
    Array.from({ length: size * size }, () => {
      const [u, next] = Rng.uniform(rng)
      rng = next
      return 2 * u - 1
    }),
  )
  const labels = images.map((x) => (x.reduce((a, b) => a + b, 0) > 0 ? 1 : 0))
  const built = fromArrays(images, labels, { sampleShape: [size, size, 1] })
  if (built._tag === 'Left') throw new Error(built.left.message)
  return built.right
}

const syncBnConfig = (batch: number, iters: number) => ({
  model: {
    type: 'ResNet',
    stage_blocks: [1],
    base_channels: 4,
    in_channels: 1,
    img_size: 8,
    num_classes: 2,
    norm_cfg: { type: 'SyncBN' },
  },
  train_dataloader: {
    batch_size: batch,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters },
  optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 } },
  param_scheduler: [],
  default_hooks: { checkpoint: null, logger: null },
  randomness: { seed: 5 },
})

describe('data parallel ≡ big batch, with SyncBN', () => {
  it('a ResNet with norm_cfg SyncBN on W workers ends with the parameters and statistics of one process', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ world: fc.integer({ min: 2, max: 3 }), iters: fc.integer({ min: 1, max: 3 }), seed: fc.nat(99) }),
        async ({ world, iters, seed }) => {
          const batch = 2
          const datasets = { train: imageData(world * batch * iters, 8, seed) }
          const options = { datasets, writeCheckpoints: false, timestamp: 'law', workDir: 'work_dirs/law-unused' }
          const parallel = programOf(syncBnConfig(batch, iters))
          const ranks = await Effect.runPromise(trainThreads(parallel, { workers: world, options, print: () => {} }))
          const one = await Effect.runPromise(train(programOf(syncBnConfig(world * batch, iters)), options))
          const close = (name: string, actual: ArrayLike<number>, expected: ArrayLike<number>) =>
            Array.from(expected).forEach((v, i) => {
              expect(Math.abs(actual[i]! - v), `${name}[${i}]`).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(v))
            })
          for (const [name, { values }] of Object.entries(one.params))
            close(name, ranks[0]!.params[name]!.values, values)
          for (const [name, { values }] of Object.entries(one.buffers))
            for (const rank of ranks) close(name, rank.buffers[name]!.values, values)
        },
      ),
      { numRuns: 3 },
    )
  }, 300_000)
})
