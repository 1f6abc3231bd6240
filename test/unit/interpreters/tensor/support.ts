/** A small regression run for the tensor interpreter's tests: the TinyRegressor on seeded random data. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { decode, toProgram } from '../../../../src/config/index.js'
import { fromArrays } from '../../../../src/data/ArrayDataset.js'
import type { Dataset } from '../../../../src/data/Dataset.js'
import type { Program } from '../../../../src/dsl/Program.js'
import * as Rng from '../../../../src/dsl/Rng.js'
import { train } from '../../../../src/interpreters/tensor/train.js'
import type { TrainOptions, TrainResult } from '../../../../src/interpreters/tensor/train.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'

/** `n` samples of `x ∈ U(−1, 1)^4`, `y = [x0 − x1, x2·x3]`. */
export const regressionData = (n: number, seed = 1): Dataset => {
  let rng = Rng.make(seed)
  const x: number[][] = []
  const y: number[][] = []
  for (let i = 0; i < n; i++) {
    const row: number[] = []
    for (let j = 0; j < 4; j++) {
      const [u, next] = Rng.uniform(rng)
      rng = next
      row.push(2 * u - 1)
    }
    x.push(row)
    y.push([row[0]! - row[1]!, row[2]! * row[3]!])
  }
  const built = fromArrays(x, y)
  if (built._tag === 'Left') throw new Error(built.left.message)
  return built.right
}

export const baseConfig = {
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: 8,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  val_dataloader: {
    batch_size: 16,
    dataset: 'ArrayDataset(data.val_x, data.val_y)',
    sampler: { type: 'DefaultSampler', shuffle: false },
  },
  val_evaluator: { type: 'MSE' },
  val_cfg: {},
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 40, val_interval: 20 },
  optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.01 } },
  param_scheduler: [{ type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 10 }],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 10 },
    checkpoint: { type: 'CheckpointHook', interval: 20, by_epoch: false },
  },
  randomness: { seed: 7 },
  log_processor: { by_epoch: false },
}

export const programOf = (config: object): Program => {
  const decoded = decode(config, defaultRegistries)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

export const tempDir = (): string => fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-test-'))

export const datasets = { train: regressionData(64, 1), val: regressionData(32, 2) }

/** Train, failing the test with the error's message. */
export const run = async (program: Program, options: TrainOptions): Promise<TrainResult> => {
  const result = await Effect.runPromise(
    Effect.result(train(program, { datasets, print: () => {}, timestamp: 'test', ...options })),
  )
  if (result._tag === 'Failure') throw new Error(result.failure.message)
  return result.success
}

export const failure = async (program: Program, options: TrainOptions): Promise<string> => {
  const result = await Effect.runPromise(
    Effect.result(train(program, { datasets, print: () => {}, timestamp: 'test', ...options })),
  )
  if (result._tag === 'Success') throw new Error('expected the run to fail')
  return result.failure.message
}
