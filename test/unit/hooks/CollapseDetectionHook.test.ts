/**
 * CollapseDetectionHook: through the tensor interpreter, a SimSiam run on constant images (every sample the same,
 * so every projection the same: a collapse by construction) says so once, with the iteration and the value; a run on
 * varied images stays silent and logs a healthy feat_std. The once-per-collapse rule is checked on a hub history.
 */
import { Effect, Layer } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromArrays } from '../../../src/data/ArrayDataset.js'
import type { Dataset } from '../../../src/data/Dataset.js'
import { decodePipeline } from '../../../src/data/transforms/registry.js'
import * as Log from '../../../src/dsl/AppendLog.js'
import * as Ev from '../../../src/dsl/Event.js'
import * as Hub from '../../../src/dsl/MessageHub.js'
import * as P from '../../../src/dsl/Priority.js'
import { Logger } from '../../../src/dsl/Services.js'
import type { LogLevel } from '../../../src/dsl/Services.js'
import type { State } from '../../../src/dsl/State.js'
import { CollapseDetectionHook } from '../../../src/hooks/CollapseDetectionHook.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import { train } from '../../../src/interpreters/tensor/train.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { programOf, tempDir } from '../interpreters/tensor/support.js'
import { algorithmConfigs, twoViewValues } from '../selfsup/algorithms/support.js'

beforeAll(async () => {
  await useCpu()
})

/** 16 images of 8×8 through MMSelfSup's two-view pipeline. */
const images = (values: (i: number) => ReadonlyArray<number>): Dataset => {
  const built = fromArrays(
    Array.from({ length: 16 }, (_, i) => [...values(i)]),
    Array.from({ length: 16 }, (_, i) => i % 2),
    { sampleShape: [8, 8, 1] },
  )
  if (built._tag === 'Left') throw new Error(built.left.message)
  const pipeline = decodePipeline(
    [
      { type: 'MultiView', num_views: 2, transforms: [[{ type: 'RandomFlip', prob: 0.5 }]] },
      { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
    ],
    'train_dataloader.dataset.pipeline',
  )
  if (pipeline._tag === 'Left') throw new Error(JSON.stringify(pipeline.left))
  return { ...built.right, pipeline: pipeline.right }
}

const config = {
  model: algorithmConfigs['SimSiam'],
  train_dataloader: { batch_size: 8, dataset: 'ArrayDataset(data.x, data.y)', sampler: { type: 'DefaultSampler' } },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4 },
  optim_wrapper: { optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1 },
    checkpoint: { type: 'CheckpointHook', interval: 100, by_epoch: false },
    collapse: { type: 'CollapseDetectionHook' },
  },
  log_processor: { by_epoch: false },
  randomness: { seed: 3 },
}

const trainOn = async (dataset: Dataset) => {
  const lines: Array<readonly [LogLevel, string]> = []
  const result = await Effect.runPromise(
    train(programOf(config), {
      datasets: { train: dataset },
      workDir: tempDir(),
      timestamp: 'test',
      print: (level, message) => lines.push([level, message]),
    }),
  )
  const featStd = result.state.messageHub.scalars.get('train/feat_std')
  return { lines, featStd: featStd === undefined ? [] : Log.toArray(featStd.values) }
}

describe('CollapseDetectionHook in a run', () => {
  it('warns once, with the iteration and the value, when every sample is the same image', async () => {
    const { lines, featStd } = await trainOn(images(() => Array.from({ length: 64 }, () => 0.5)))
    expect(featStd).toHaveLength(4)
    for (const v of featStd) expect(v).toBeLessThan(1e-3)
    const warnings = lines.filter(([level, m]) => level === 'WARNING' && m.includes('collapse'))
    expect(warnings.map(([, m]) => m)).toEqual([
      expect.stringMatching(/^feature collapse at iteration 1: feat_std \S+ < 0\.01 /),
    ])
  }, 60_000)

  it('stays silent when the images differ, and the logged feat_std is healthy', async () => {
    const values = twoViewValues(16, 5)
    const { lines, featStd } = await trainOn(images((i) => Array.from(values.subarray(i * 128, i * 128 + 64))))
    expect(featStd).toHaveLength(4)
    for (const v of featStd) expect(v).toBeGreaterThan(0.01)
    expect(lines.filter(([, m]) => m.includes('collapse'))).toEqual([])
    expect(lines.some(([, m]) => /feat_std: \d\.\d{4}/.test(m))).toBe(true)
  }, 60_000)
})

describe('CollapseDetectionHook on a history', () => {
  const hook = CollapseDetectionHook.build({ threshold: 0.05 }, { key: 'collapse', priority: P.LOW }, programOf(config))
  /** Feed the values one iteration at a time, as RuntimeInfoHook would (`undefined`: none logged); the warnings. */
  const feed = (values: ReadonlyArray<number | undefined>): string[] => {
    const said: string[] = []
    const logger = Layer.succeed(Logger, { log: (_level, message) => Effect.sync(() => void said.push(message)) })
    let state: State = initialState(programOf(config), { train: 2 }, 0)
    values.forEach((v, iter) => {
      const messageHub = v === undefined ? state.messageHub : Hub.updateScalar(state.messageHub, 'train/feat_std', v)
      state = { ...state, counters: { ...state.counters, iter }, messageHub }
      // The hook asks only for the Logger; the other services of its type are never reached.
      const stage = hook.stages.after_train_iter!(state, Ev.stage('after_train_iter', 0, iter, 0)) as Effect.Effect<
        State,
        unknown,
        Logger
      >
      state = Effect.runSync(stage.pipe(Effect.provide(logger)))
    })
    return said
  }

  it('speaks when the value falls below the threshold, and again only after it came back above', () => {
    const said = feed([0.2, 0.04, 0.01, 0.03, 0.3, 0.02, 0.2])
    expect(said.map((m) => /iteration (\d+)/.exec(m)?.[1])).toEqual(['2', '6'])
    expect(said[0]).toMatch(/feat_std 0\.0400 < 0\.05/)
  })

  it('says nothing while no model logs the statistic (the dry run computes nothing)', () => {
    expect(feed([undefined, undefined, undefined])).toEqual([])
    // The first value logged counts as a fresh start: below the threshold, it is a collapse.
    expect(feed([undefined, 0.001])).toHaveLength(1)
  })
})
