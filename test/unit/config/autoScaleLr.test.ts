import { describe, expect, it } from 'vitest'
import { scaledOptimWrapper, scaleFactor } from '../../../src/config/autoScaleLr.js'
import { decode } from '../../../src/config/Config.js'
import { toProgram } from '../../../src/config/toProgram.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

const base = {
  train_dataloader: { batch_size: 64, dataset: { type: 'MNIST', split: 'train' } },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
  optim_wrapper: { optimizer: { type: 'SGD', lr: 0.4 } },
}

describe('auto_scale_lr', () => {
  it('scales every lr by world size · batch size / base_batch_size when enabled (spec §14.3)', () => {
    const on = { ...base, auto_scale_lr: { base_batch_size: 256, enable: true } }
    expect(scaleFactor(on)).toBe(0.25)
    expect(scaleFactor(on, 8)).toBe(2)
    expect(scaledOptimWrapper(on)).toEqual({ optimizer: { type: 'SGD', lr: 0.1 } })
    const dict = { ...on, optim_wrapper: { constructor: 'X', a: { optimizer: { type: 'SGD', lr: 0.4 } }, b: { optimizer: { type: 'SGD', lr: 0.8 } } } }
    expect(scaledOptimWrapper(dict)).toEqual({ constructor: 'X', a: { optimizer: { type: 'SGD', lr: 0.1 } }, b: { optimizer: { type: 'SGD', lr: 0.2 } } })
  })

  it('leaves the lr alone when absent or not enabled, and reaches the program through toProgram', () => {
    expect(scaledOptimWrapper(base)).toBe(base.optim_wrapper)
    expect(scaledOptimWrapper({ ...base, auto_scale_lr: { base_batch_size: 256 } })).toBe(base.optim_wrapper)
    const decoded = decode({ ...base, auto_scale_lr: { base_batch_size: 32, enable: true } }, defaultRegistries)
    if (decoded._tag === 'Left') throw new Error(JSON.stringify(decoded.left))
    expect(toProgram(decoded.right).optimWrapper).toEqual({ optimizer: { type: 'SGD', lr: 0.8 } })
  })
})
