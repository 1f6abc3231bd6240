import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import { initFromSpecs } from '../../../src/models/init.js'
import {
  conv2dSpecs,
  countParams,
  frozenSpecs,
  infoOfSpecs,
  linearSpecs,
  normSpecs,
  param,
} from '../../../src/models/ParamSpec.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

describe('ParamSpec: a parameter list that both describes and initialises', () => {
  const specs = [
    ...conv2dSpecs('conv', { in: 4, out: 8, k: 3, groups: 4, bias: false }),
    ...normSpecs('bn', 8, 'BatchNorm2d'),
    param('gamma', [8], { type: 'Layer' }, { kind: 'constant', value: 0.1 }),
    ...linearSpecs('fc', 8, 2, { weight: { kind: 'normal', std: 0.01 } }),
  ]

  it('describes names, shapes and owning modules (depth-wise conv included) and counts scalars', () => {
    const info = infoOfSpecs(specs)
    expect(info.map((p) => [p.name, p.shape])).toEqual([
      ['conv.weight', [8, 1, 3, 3]],
      ['bn.weight', [8]],
      ['bn.bias', [8]],
      ['gamma', [8]],
      ['fc.weight', [2, 8]],
      ['fc.bias', [2]],
    ])
    expect(info[0]!.module).toEqual({ type: 'Conv2d', inChannels: 4, groups: 4 })
    expect('init' in info[0]!).toBe(false)
    expect(countParams(info)).toBe(72 + 16 + 8 + 16 + 2)
    expect(countParams([...info, { ...info[1]!, name: 'tied', sameTensorAs: 'bn.weight' }])).toBe(114)
    expect(frozenSpecs(specs).every((s) => !s.requiresGrad)).toBe(true)
  })

  it('initialises exactly the described tensors by their rules, the random ones reproducibly from the stream', () => {
    const [params, next] = initFromSpecs(specs, Rng.make(3))
    expect(Object.keys(params)).toEqual(specs.map((s) => s.name))
    expect(Object.values(params).map((t) => t.shape)).toEqual(specs.map((s) => s.shape))
    expect(Array.from(params['bn.weight']!.dataSync())).toEqual(Array(8).fill(1))
    expect(Array.from(params['gamma']!.dataSync())).toEqual(Array(8).fill(Math.fround(0.1)))
    const bound = 1 / Math.sqrt(1 * 3 * 3)
    expect(Array.from(params['conv.weight']!.dataSync()).every((v) => Math.abs(v) <= bound)).toBe(true)
    const [again] = initFromSpecs(specs, Rng.make(3))
    expect(Array.from(again['fc.weight']!.dataSync())).toEqual(Array.from(params['fc.weight']!.dataSync()))
    expect(next).not.toEqual(Rng.make(3))
    tf.dispose([...Object.values(params), ...Object.values(again)])
  })
})
