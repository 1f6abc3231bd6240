import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { trainThreads } from '../../../../src/interpreters/collective/launchThreads.js'
import * as Safetensors from '../../../../src/tensor/safetensors.js'
import { finalState } from '../../../support/killResume.js'
import { programOf, regressionData, tempDir } from './support.js'

// Windows of 3 and checkpoints every 4 iterations: iter_4 and iter_8 fall inside a window (after 1 and 2 of its 3
// micro-batches). The sampler shuffles, so the two ranks' partial sums differ.
const config = (maxIters: number) => ({
  model: { type: 'TinyRegressor' },
  train_dataloader: {
    batch_size: 4,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: maxIters },
  optim_wrapper: { accumulative_counts: 3, optimizer: { type: 'Adam', lr: 0.01 } },
  param_scheduler: [],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 4 },
    checkpoint: { type: 'CheckpointHook', interval: 4, by_epoch: false },
  },
  log_processor: { by_epoch: false },
  randomness: { seed: 11 },
})
const datasets = { train: regressionData(48, 3) }

const threads = (workers: number, workDir: string, resume?: string, lines: string[] = []) =>
  Effect.runPromise(
    trainThreads(programOf(config(14)), {
      workers,
      options: { datasets, workDir, timestamp: 'run', ...(resume === undefined ? {} : { resume }) },
      print: (_, m) => lines.push(m),
    }),
  )

const tensorNames = (file: string): ReadonlyArray<string> => {
  const decoded = Safetensors.decode(new Uint8Array(fs.readFileSync(file)))
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return Object.keys(decoded.right.tensors)
}

describe("a checkpoint inside an accumulation window keeps every rank's partial sum", () => {
  it('two workers resumed from a mid-window checkpoint end bit-identical to the run that never stopped', async () => {
    const whole = tempDir()
    await threads(2, whole)
    const names = tensorNames(nodePath.join(whole, 'iter_8.safetensors'))
    expect(names.filter((n) => n.startsWith('optimizer/rank1/')).length).toBeGreaterThan(0)
    // A checkpoint at a window's end holds no sums, so nothing per rank.
    expect(tensorNames(nodePath.join(whole, 'iter_12.safetensors')).some((n) => n.includes('/rank'))).toBe(false)

    const resumed = tempDir()
    const lines: string[] = []
    await threads(2, resumed, nodePath.join(whole, 'iter_8.safetensors'), lines)
    expect(lines).toContain('resumed epoch: 0, iter: 8')
    expect(finalState(nodePath.join(resumed, 'iter_14.safetensors'))).toEqual(
      finalState(nodePath.join(whole, 'iter_14.safetensors')),
    )
  }, 120_000)
})
