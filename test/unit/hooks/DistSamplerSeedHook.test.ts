/**
 * `DistSamplerSeedHook` does the sampler's `set_epoch`: with it each epoch of
 * a shuffling `DefaultSampler` is a new order; without it every epoch repeats
 * epoch 0's order, as in MMEngine. Observed through training: the second
 * epoch's batches differ, so the parameters after two epochs do.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../src/tensor/cpu.js'
import { baseConfig, programOf, run, tempDir } from '../interpreters/tensor/support.js'

const config = (epochs: number, seedHook: boolean) => ({
  ...baseConfig,
  val_dataloader: undefined,
  val_evaluator: undefined,
  val_cfg: undefined,
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: epochs },
  param_scheduler: [],
  default_hooks: {
    logger: null,
    checkpoint: { type: 'CheckpointHook', interval: 1 },
    ...(seedHook ? {} : { sampler_seed: null }),
  },
})

beforeAll(async () => {
  await useCpu()
})

describe('DistSamplerSeedHook', () => {
  it("reshuffles every epoch; without it the run trains on other batches (epoch 0's order again)", async () => {
    const withHook = await run(programOf(config(2, true)), { workDir: tempDir() })
    const withoutHook = await run(programOf(config(2, false)), { workDir: tempDir() })
    const names = Object.keys(withHook.params)
    const differs = (n: string) => withHook.params[n]!.values.some((v, i) => v !== withoutHook.params[n]!.values[i])
    expect(names.some(differs)).toBe(true)
  }, 120_000)
})
