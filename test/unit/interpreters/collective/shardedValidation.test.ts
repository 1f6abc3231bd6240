import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { trainThreads } from '../../../../src/interpreters/collective/launchThreads.js'
import { train, type Evaluation } from '../../../../src/interpreters/tensor/train.js'
import { programOf, regressionData, tempDir } from '../tensor/support.js'

// lr 0: the parameters stay the seeded initial ones on every rank, so any difference in the metrics is the
// evaluation's. 37 validation samples: two ranks get 19 each, the last one a repeat that must not be counted.
const config = (valBatch: number) => ({
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: 4,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  val_dataloader: {
    batch_size: valBatch,
    dataset: 'ArrayDataset(data.val_x, data.val_y)',
    sampler: { type: 'DefaultSampler', shuffle: false },
  },
  val_evaluator: { type: 'MSE' },
  val_cfg: {},
  test_dataloader: {
    batch_size: valBatch,
    dataset: 'ArrayDataset(data.val_x, data.val_y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  test_evaluator: { type: 'MSE' },
  test_cfg: {},
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2, val_interval: 1 },
  optim_wrapper: { optimizer: { type: 'SGD', lr: 0 } },
  param_scheduler: [],
  default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', interval: 0 } },
  log_processor: { by_epoch: true },
  randomness: { seed: 3 },
})
const datasets = { train: regressionData(16, 1), val: regressionData(37, 2), test: regressionData(37, 2) }

// Training is sharded too, so a rank's epochs have fewer iterations: the evaluations are compared without them.
const withoutIter = ({ iter: _iter, ...rest }: Evaluation) => rest

const oneProcess = async (valBatch: number) => {
  const lines: string[] = []
  const result = await Effect.runPromise(
    train(programOf(config(valBatch)), {
      datasets,
      workDir: tempDir(),
      timestamp: 'one',
      print: (_, m) => lines.push(m),
    }),
  )
  return { evaluations: result.evaluations.map(withoutIter), lines }
}

const workers = async (valBatch: number, n: number) => {
  const lines: string[] = []
  const results = await Effect.runPromise(
    trainThreads(programOf(config(valBatch)), {
      workers: n,
      options: { datasets, workDir: tempDir(), timestamp: 'two' },
      print: (_, m) => lines.push(m),
    }),
  )
  return { evaluations: results.map((r) => r.evaluations.map(withoutIter)), lines }
}

describe('validation and test sharded over worker threads', () => {
  it('2 workers compute the metrics of 1, on every rank, each rank evaluating its half', async () => {
    const one = await oneProcess(5)
    const two = await workers(5, 2)
    expect(one.evaluations.map((e) => e.mode)).toEqual(['val', 'val', 'test'])
    for (const rank of two.evaluations) expect(rank).toEqual(one.evaluations)
    // One process reads 37 samples in 8 batches; a rank reads its 19 in 4.
    expect(one.lines.some((l) => l.includes('Epoch(val) [1][8/8]'))).toBe(true)
    expect(two.lines.some((l) => l.includes('Epoch(val) [1][4/4]'))).toBe(true)
    expect(two.lines.some((l) => l.includes('[8/8]'))).toBe(false)
  }, 240_000)

  it('3 workers too, with a batch that divides neither the set nor a rank’s part', async () => {
    const one = await oneProcess(3)
    const three = await workers(3, 3)
    for (const rank of three.evaluations) expect(rank).toEqual(one.evaluations)
  }, 240_000)
})
