import { describe, expect, it } from 'vitest'
import { optimizerPlan } from '../../../src/interpreters/dry/optimizerPlan.js'

describe('the optimizer part of the dry-run plan', () => {
  it(
    'shows the effective hyper-parameters and the accumulation windows of MMEngine’s ' + 'rule (10 iterations, k = 4)',
    () => {
      const plan = optimizerPlan({ optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 }, accumulative_counts: 4 }, 10)
      if (plan._tag === 'Left') throw new Error(JSON.stringify(plan.left))
      const [w] = plan.right
      expect(w!.hyper).toMatchObject({ lr: 0.1, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false })
      expect(w!.accumulation).toEqual({
        k: 4,
        steps: 3,
        firstSteps: [4, 8, 10],
        lastSteps: [],
        lastWindow: { size: 2, divisor: 2 },
      })
    },
  )

  it("plans MMSelfSup's layer-decay form, whose options sit in the optimizer cfg, without them", () => {
    const optimizer = { type: 'AdamW', lr: 4e-3, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 0.65 }
    const plan = optimizerPlan({ optimizer, constructor: 'mmselfsup.LearningRateDecayOptimWrapperConstructor' }, 10)
    if (plan._tag === 'Left') throw new Error(JSON.stringify(plan.left))
    expect(plan.right[0]!.hyper).toMatchObject({ lr: 4e-3, weight_decay: 0.05 })
    expect(plan.right[0]!.hyper).not.toHaveProperty('model_type')
    // Without MMSelfSup's constructor the options are still unknown optimizer keys.
    expect(optimizerPlan({ optimizer }, 10)._tag).toBe('Left')
  })

  it('summarises long runs by their first and last steps', () => {
    const plan = optimizerPlan({ optimizer: { type: 'AdamW' }, accumulative_counts: 8 }, 1000)
    if (plan._tag === 'Left') throw new Error('plan')
    expect(plan.right[0]!.accumulation).toMatchObject({
      steps: 125,
      firstSteps: [8, 16, 24, 32, 40, 48],
      lastSteps: [960, 968, 976, 984, 992, 1000],
      lastWindow: undefined,
    })
  })

  it('plans each wrapper of an OptimWrapperDict, without a final short window', () => {
    const plan = optimizerPlan(
      {
        constructor: 'GANConstructor',
        generator: { optimizer: { type: 'Adam', lr: 1e-4 }, accumulative_counts: 3 },
        discriminator: { optimizer: { type: 'SGD', lr: 0.01 } },
      },
      10,
    )
    if (plan._tag === 'Left') throw new Error('plan')
    expect(plan.right.map((w) => [w.name, w.optimizer, w.accumulation.steps, w.accumulation.lastWindow])).toEqual([
      ['generator', 'Adam', 3, undefined],
      ['discriminator', 'SGD', 10, undefined],
    ])
  })

  it('reports optimizer mistakes with their config path', () => {
    expect(optimizerPlan({ optimizer: { type: 'SGD', lr: 0.1, momentun: 0.9 } }, 10)).toEqual({
      _tag: 'Left',
      left: [{ path: 'optim_wrapper.optimizer.momentun', message: "unknown key (did you mean 'momentum'?)" }],
    })
    expect(optimizerPlan({ optimizer: { type: 'Adamm' } }, 10)._tag === 'Left').toBe(true)
  })
})
