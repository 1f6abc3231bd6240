import { describe, expect, it } from 'vitest'
import { buildParamGroups } from '../../../../src/optim/constructors/index.js'
import type { BuildResult, ModelInfo } from '../../../../src/optim/constructors/index.js'
import { exampleModel, toyVit } from './models.js'

const build = (cfg: { readonly [key: string]: unknown }, model: ModelInfo = toyVit()): BuildResult => {
  const r = buildParamGroups(cfg, model)
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left))
  return r.right
}
const issues = (cfg: { readonly [key: string]: unknown }, model: ModelInfo = toyVit()) => {
  const r = buildParamGroups(cfg, model)
  if (r._tag === 'Right') throw new Error('expected issues')
  return r.left
}

const selfsupOptimizer = { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 2 }
const pretrainParamwise = { layer_decay_rate: 2 }

describe('buildParamGroups: which constructor', () => {
  it(
    'defaults to DefaultOptimWrapperConstructor (a dict has an inherited constructor ' + 'property; it does not count)',
    () => {
      const r = build(
        {
          type: 'OptimWrapper',
          optimizer: { type: 'SGD', lr: 0.01, weight_decay: 0.9 },
          paramwise_cfg: { norm_decay_mult: 0 },
        },
        exampleModel(),
      )
      expect(r.constructor).toBe('DefaultOptimWrapperConstructor')
      expect(r.groups).toHaveLength(11)
      expect(
        build(
          { optimizer: { type: 'SGD', lr: 0.01 }, constructor: 'mmengine.DefaultOptimWrapperConstructor' },
          exampleModel(),
        ).groups,
      ).toHaveLength(1)
    },
  )

  it('a scope decides between MMSelfSup and MMPretrain', () => {
    expect(
      build({ optimizer: selfsupOptimizer, constructor: 'mmselfsup.LearningRateDecayOptimWrapperConstructor' })
        .constructor,
    ).toBe('mmselfsup.LearningRateDecayOptimWrapperConstructor')
    for (const constructorName of [
      'mmpretrain.LearningRateDecayOptimWrapperConstructor',
      'mmcls.LearningRateDecayOptimWrapperConstructor',
      'LayerDecayOptimWrapperConstructor',
    ])
      expect(
        build({
          optimizer: { type: 'AdamW', lr: 1, weight_decay: 0.05 },
          constructor: constructorName,
          paramwise_cfg: pretrainParamwise,
        }).constructor,
      ).toBe('mmpretrain.LearningRateDecayOptimWrapperConstructor')
  })

  it('unscoped: where the options are decides', () => {
    const selfsup = build({ optimizer: selfsupOptimizer, constructor: 'LearningRateDecayOptimWrapperConstructor' })
    expect(selfsup.constructor).toBe('mmselfsup.LearningRateDecayOptimWrapperConstructor')
    expect(selfsup.groups).toHaveLength(4)
    expect(selfsup.optimizerCfg).toEqual({ type: 'AdamW', lr: 1, weight_decay: 0.05 })
    const pretrain = build({
      optimizer: { type: 'AdamW', lr: 1, weight_decay: 0.05 },
      constructor: 'LearningRateDecayOptimWrapperConstructor',
      paramwise_cfg: pretrainParamwise,
    })
    expect(pretrain.constructor).toBe('mmpretrain.LearningRateDecayOptimWrapperConstructor')
    expect(pretrain.groups).toHaveLength(8)
  })

  it('unscoped with options in both places is ambiguous; with none it is MMSelfSup, which asks for model_type', () => {
    expect(
      issues({
        optimizer: selfsupOptimizer,
        constructor: 'LearningRateDecayOptimWrapperConstructor',
        paramwise_cfg: pretrainParamwise,
      }).map((i) => i.path),
    ).toEqual(['optim_wrapper.constructor'])
    expect(
      issues({
        optimizer: { type: 'AdamW', lr: 1, weight_decay: 0.05 },
        constructor: 'LearningRateDecayOptimWrapperConstructor',
      }),
    ).toEqual([
      {
        path: 'optim_wrapper.optimizer.model_type',
        message:
          "required by mmselfsup.LearningRateDecayOptimWrapperConstructor: one of 'vit', " +
          "'swin', 'mixmim' (MMSelfSup asserts it)",
      },
    ])
  })

  it('reports unknown constructors with a did-you-mean, and a missing optimizer', () => {
    expect(
      issues({ optimizer: selfsupOptimizer, constructor: 'LearningRateDecayOptimWraperConstructor' })[0]!.message,
    ).toContain("(did you mean 'LearningRateDecayOptimWrapperConstructor'?)")
    expect(
      issues({ optimizer: selfsupOptimizer, constructor: 'mmdet.LearningRateDecayOptimWrapperConstructor' }).map(
        (i) => i.path,
      ),
    ).toEqual(['optim_wrapper.constructor'])
    expect(issues({ optimizer: selfsupOptimizer, constructor: 3 }).map((i) => i.path)).toEqual([
      'optim_wrapper.constructor',
    ])
    expect(issues({ paramwise_cfg: {} }).map((i) => i.path)).toEqual(['optim_wrapper.optimizer'])
  })

  it('passes its path down to the constructor', () => {
    const r = buildParamGroups(
      {
        optimizer: { type: 'AdamW', lr: 1, weight_decay: 0.05, model_type: 'resnet' },
        constructor: 'mmselfsup.LearningRateDecayOptimWrapperConstructor',
      },
      toyVit(),
      { path: 'optim_wrapper.student' },
    )
    expect(r._tag === 'Left' && r.left.map((i) => i.path)).toEqual(['optim_wrapper.student.optimizer.model_type'])
  })
})
