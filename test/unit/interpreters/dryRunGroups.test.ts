import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { dryRun } from '../../../src/interpreters/dry/dryRun.js'
import { baseConfig, programOf } from './tensor/support.js'

const plan = (config: object) => Effect.runPromise(dryRun(programOf(config), { datasetSizes: { train: 64, val: 32 } }))

describe('the dry run with a model loopwright provides', () => {
  it(
    'lists the param groups the constructor builds, with multipliers and each ' + 'group’s lr through the run',
    async () => {
      const p = await plan({
        ...baseConfig,
        optim_wrapper: {
          optimizer: { type: 'AdamW', lr: 0.01, weight_decay: 0.05 },
          paramwise_cfg: { norm_decay_mult: 0, custom_keys: { pos_embed: { lr_mult: 0.1, decay_mult: 0 } } },
        },
      })
      const groups = p.paramGroups!.groups
      expect(groups.map((g) => g.params)).toEqual([
        ['backbone.pos_embed'],
        ['backbone.fc1.weight'],
        ['backbone.fc1.bias'],
        ['backbone.norm.weight'],
        ['backbone.norm.bias'],
        ['head.fc.weight'],
        ['head.fc.bias'],
      ])
      expect(groups[0]!.hyper).toMatchObject({ lr_mult: 0.1, decay_mult: 0, weight_decay: 0 })
      expect(groups[3]!.hyper['weight_decay']).toBe(0)
      // LinearLR(start_factor=0.1) over the first 10 iterations, on every group, scaled by its multiplier.
      const curves = p.paramGroups!.schedules!.lr
      expect(curves[0]![0]).toBeCloseTo(0.1 * 0.001, 15)
      expect(curves[1]![0]).toBeCloseTo(0.001, 15)
      expect(curves[1]!.at(-1)).toBeCloseTo(0.01, 15)
      expect(p.paramGroups!.log.some((l) => l.startsWith('paramwise_options -- backbone.pos_embed:lr=0.001'))).toBe(
        true,
      )
    },
  )

  it('logs the lr the real run logs, and warns about a custom_keys entry that matches nothing', async () => {
    const p = await plan({
      ...baseConfig,
      optim_wrapper: {
        optimizer: { type: 'SGD', lr: 0.1 },
        paramwise_cfg: { custom_keys: { nothing_here: { lr_mult: 2 } } },
      },
    })
    expect(p.logLines.lines.find((l) => l.message.startsWith('Iter(train) [10/40]'))?.message).toMatch(
      /lr: 1\.0000e-01/,
    )
    expect(p.warnings).toContain("custom_keys 'nothing_here' matches no parameter")
  })

  it('says why it cannot show groups for a model type it does not provide', async () => {
    const p = await plan({
      ...baseConfig,
      model: { type: 'mmpretrain.ImageClassifier', backbone: { type: 'ConvNeXt', arch: 'tiny' } },
    })
    expect(p.paramGroups).toBeUndefined()
    expect(p.warnings[0]).toMatch(
      /^param groups are not shown: model\.backbone\.type: unknown backbone description type 'ConvNeXt'/,
    )
  })
})
