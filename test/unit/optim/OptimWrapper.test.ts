import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as OW from '../../../src/optim/OptimWrapper.js'
import * as Dict from '../../../src/optim/OptimWrapperDict.js'
import type * as Tree from '../../../src/tensor/tree.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

const groups = [{ names: ['a', 'b'], hyper: {} }]

describe('OptimWrapper.build', () => {
  it('fills the groups with the optimizer defaults and adds a base group only for several groups', () => {
    const one = OW.build({ optimizer: { type: 'SGD', lr: 0.1 } }, groups)
    if (one._tag === 'Left') throw new Error('build')
    expect(one.right.groups.real[0]!.hyper).toMatchObject({ lr: 0.1, momentum: 0, weight_decay: 0, nesterov: false })
    expect(one.right.groups.base).toBeUndefined()
    expect(OW.learningRates(one.right.groups)).toEqual({ lr: [0.1] })
    const two = OW.build({ optimizer: { type: 'AdamW', lr: 1e-3 } }, [
      { names: ['a'], hyper: { lr: 2e-3 } },
      { names: ['b'], hyper: {} },
    ])
    if (two._tag === 'Left') throw new Error('build')
    expect(OW.learningRates(two.right.groups)).toEqual({ base_lr: [1e-3], lr: [2e-3, 1e-3] })
    expect(OW.scheduledGroups(two.right.groups)).toHaveLength(3)
  })

  it('reports optimizer and wrapper mistakes with paths inside optim_wrapper', () => {
    const bad = OW.build({ type: 'FancyWrapper', optimizer: { type: 'SGD', lr: 0.1, momentun: 0.9 } }, groups)
    expect(bad).toEqual({
      _tag: 'Left',
      left: [{ path: 'optimizer.momentun', message: "unknown key (did you mean 'momentum'?)" }],
    })
    const noLr = OW.build({ optimizer: { type: 'LARS' } }, groups)
    expect(noLr._tag === 'Left' && noLr.left[0]!.path).toBe('optimizer.lr')
  })

  it('AMP wrappers scale losses, plain ones do not; accumulation sets the loss divisor', () => {
    const amp = OW.build(
      { type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 0.1 }, loss_scale: 512, accumulative_counts: 4 },
      groups,
    )
    if (amp._tag === 'Left') throw new Error('build')
    const params = { a: tf.ones([2]), b: tf.zeros([1]) }
    const state = OW.init(amp.right.wrapper, params)
    expect(OW.lossScale(amp.right.wrapper, state)).toBe(512)
    expect(OW.lossFactor(amp.right.wrapper, state)).toBe(4)
  })

  it('error_if_nonfinite reports a non-finite total norm after a step', () => {
    const built = OW.build(
      { optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { max_norm: 1, error_if_nonfinite: true } },
      groups,
    )
    if (built._tag === 'Left') throw new Error('build')
    const { wrapper } = built.right
    const params: Tree.Tree = { a: tf.ones([2]), b: tf.zeros([1]) }
    const [, state] = OW.update(
      wrapper,
      { a: tf.tensor1d([1, Infinity]), b: tf.zeros([1]) },
      OW.init(wrapper, params),
      params,
      built.right.groups,
    )
    expect(OW.nonFiniteNorm(wrapper, state, OW.gradNorm(wrapper, state)!.dataSync()[0])).toContain('is Infinity')
    const [, fine] = OW.update(
      wrapper,
      { a: tf.tensor1d([1, 2]), b: tf.zeros([1]) },
      OW.init(wrapper, params),
      params,
      built.right.groups,
    )
    expect(OW.nonFiniteNorm(wrapper, fine, OW.gradNorm(wrapper, fine)!.dataSync()[0])).toBeUndefined()
  })
})

describe('OptimWrapperDict', () => {
  it('builds named wrappers, prefixes their learning rates and reports unassigned names', () => {
    const built = Dict.build(
      { generator: { optimizer: { type: 'Adam', lr: 1e-4 } }, discriminator: { optimizer: { type: 'SGD', lr: 0.01 } } },
      {
        generator: [{ names: ['g.w'], hyper: {} }],
        discriminator: [
          { names: ['d.w'], hyper: {} },
          { names: ['d.b'], hyper: { lr: 0.02 } },
        ],
      },
    )
    if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
    expect(Dict.learningRates(built.right)).toEqual({
      'generator.lr': [1e-4],
      'discriminator.base_lr': [0.01],
      'discriminator.lr': [0.01, 0.02],
    })
    const state = Dict.init(built.right, {
      generator: { 'g.w': tf.ones([1]) },
      discriminator: { 'd.w': tf.ones([1]), 'd.b': tf.ones([1]) },
    })
    // Counters are never initialised inside a dict: the divisor is always k.
    expect(state['generator']!.maxCounts).toBe(-1)
    const missing = Dict.build({ generator: { optimizer: { type: 'Adam' } } }, { generator: [], critic: [] })
    expect(missing._tag === 'Left' && missing.left.map((i) => i.path)).toEqual(['critic'])
  })
})
