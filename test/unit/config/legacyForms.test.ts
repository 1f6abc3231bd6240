import { describe, expect, it } from 'vitest'
import * as Config from '../../../src/config/Config.js'
import { normalizeLegacyForms } from '../../../src/config/legacyForms.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

describe('forms MMEngine accepts', () => {
  it("reads custom_cfg's older 'method' as method_name, keeping an explicit method_name", () => {
    const raw = {
      log_processor: {
        custom_cfg: [
          { data_src: 'loss', method: 'mean' },
          { data_src: 'x', method_name: 'max' },
        ],
      },
    }
    expect(normalizeLegacyForms(raw).raw).toEqual({
      log_processor: {
        custom_cfg: [
          { data_src: 'loss', method_name: 'mean' },
          { data_src: 'x', method_name: 'max' },
        ],
      },
    })
    expect(raw.log_processor.custom_cfg[0]).toEqual({ data_src: 'loss', method: 'mean' })
  })

  it('has nothing to warn about a DeepClusterSampler: loopwright honours its options', () => {
    const sampler = { type: 'DeepClusterSampler', replace: true }
    expect(normalizeLegacyForms({ train_dataloader: { sampler } }).warnings).toEqual([])
  })

  it('treats other top-level names of code configs as variables, but not near-misses of config keys', () => {
    const ok = Config.decode(
      { data: { samples_per_gpu: 32 }, dataset_type: 'ImageNet', file_client_args: {} },
      defaultRegistries,
      { allowVariables: true },
    )
    expect(ok._tag).toBe('Right')
    const typo = Config.decode({ param_schedular: [] }, defaultRegistries, { allowVariables: true })
    expect(typo._tag === 'Left' ? typo.left.message : '').toBe(
      "param_schedular: unknown key (did you mean 'param_scheduler'?)",
    )
    const near = Config.decode({ work_dirs: 'x' }, defaultRegistries, { allowVariables: true })
    expect(near._tag).toBe('Left')
  })
})
