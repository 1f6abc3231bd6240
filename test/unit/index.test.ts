/**
 * The package entry exports the optimizer algebra docs/optimizers.md promises: a user composes an optimizer
 * from `chain`, a clip and an optimizer, all imported from 'loopwright' alone.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { OptimSerialize, Optimizers, Tree, chain, clipByGlobalNorm, identity } from '../../src/index.js'
import { useCpu } from '../../src/tensor/cpu.js'

beforeAll(async () => {
  await useCpu()
})

describe('the package entry', () => {
  it('composes clip + SGD from its exports and steps like the formula: p - lr · clip(g)', () => {
    const optimizer = chain(identity, clipByGlobalNorm(1), Optimizers.sgd())
    const params = Tree.fromArrays({ w: { shape: [2], values: [1, 1] } })
    const grads = Tree.fromArrays({ w: { shape: [2], values: [3, 4] } })
    const groups = [{ names: ['w'], hyper: { lr: 0.5, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false } }]
    const state = optimizer.init(params)
    const [updates, next] = optimizer.update(grads, state, params, groups)
    const stepped = Tree.applyUpdates(params, updates)
    const values = Array.from(stepped['w']!.dataSync())
    // |g| = 5, clipped to 1 (÷ 5 + 1e-6): g' = (0.6, 0.8); p' = 1 - 0.5 g'.
    expect(values[0]).toBeCloseTo(0.7, 5)
    expect(values[1]).toBeCloseTo(0.6, 5)
    OptimSerialize.disposeReplaced([params, grads, state, updates, next, stepped], [])
  })
  it('names every optimizer a config may name', () => {
    const factories = Object.entries(Optimizers as Record<string, unknown>).filter(([, v]) => typeof v === 'function')
    expect(factories.map(([k]) => k)).toEqual(
      expect.arrayContaining(['adam', 'adamw', 'lamb', 'lars', 'sgd', 'rmsprop', 'nadam', 'radam']),
    )
  })
})
