import { describe, expect, it } from 'vitest'
import { applyAutoScaleLr } from '../../../src/config/autoScaleLr.js'
import { toProgram } from '../../../src/config/toProgram.js'
import * as Config from '../../../src/config/Config.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

const programOf = (extra: object) => {
  const decoded = Config.decode(
    {
      train_dataloader: { batch_size: 32, dataset: { type: 'MNIST' } },
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
      optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
      ...extra,
    },
    defaultRegistries,
  )
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

describe('auto_scale_lr', () => {
  it('scales the optimizer lr by world size × batch size / base_batch_size when enabled', () => {
    const scaled = applyAutoScaleLr(programOf({ auto_scale_lr: { base_batch_size: 64, enable: true } }), 8)
    expect((scaled.program.optimWrapper?.['optimizer'] as { lr: number } | undefined)?.lr).toBeCloseTo(0.4, 12)
    expect(scaled.line).toBe('auto_scale_lr: base_batch_size 64, real batch size 8×32 = 256: lr × 4')
  })

  it('leaves the program alone when not enabled', () => {
    const program = programOf({ auto_scale_lr: { base_batch_size: 64 } })
    expect(applyAutoScaleLr(program, 8)).toEqual({ program, line: undefined })
  })
})
