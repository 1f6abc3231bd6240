import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { chain } from '../../src/optim/GradientTransformation.js'
import { decodeOptimizer, optimizerTypes } from '../../src/optim/optimizers/registry.js'
import * as Tree from '../../src/tensor/tree.js'
import { clipByGlobalNorm, clipByValue, globalNorm } from '../../src/optim/transforms/clip.js'
import { useCpu } from '../../src/tensor/cpu.js'
import { optimizerContract, runSteps, toTree, treeArb } from './optimContract.js'

beforeAll(useCpu)

/** Every optimizer type with hyper-parameters that exercise its options. */
const configs: ReadonlyArray<{ readonly [key: string]: unknown }> = [
  { type: 'SGD', lr: 0.1, momentum: 0.9, weight_decay: 1e-4, nesterov: true },
  { type: 'SGD', lr: 0.05, momentum: 0.9, dampening: 0.1 },
  { type: 'Adam', lr: 1e-2, amsgrad: true, weight_decay: 1e-3 },
  { type: 'AdamW', lr: 1e-2, weight_decay: 0.05 },
  { type: 'Adamax', lr: 1e-2 },
  { type: 'Adagrad', lr: 1e-2, lr_decay: 1e-3, initial_accumulator_value: 0.1 },
  { type: 'Adadelta', lr: 1.0 },
  { type: 'RMSprop', lr: 1e-2, centered: true, momentum: 0.5 },
  { type: 'NAdam', lr: 2e-3 },
  { type: 'RAdam', lr: 1e-3 },
  { type: 'Rprop', lr: 1e-2 },
  { type: 'ASGD', lr: 1e-2, t0: 2 },
  { type: 'LARS', lr: 0.5, momentum: 0.9, weight_decay: 1e-4 },
  { type: 'Lamb', lr: 1e-2 },
]

describe('every optimizer type has a contract case', () => {
  it('covers the whole registry', () => {
    expect(new Set(configs.map((c) => c['type']))).toEqual(new Set(optimizerTypes.entries.keys()))
  })
})

for (const cfg of configs) {
  const decoded = decodeOptimizer(cfg)
  if (decoded._tag === 'Left') throw new Error(JSON.stringify(decoded.left))
  const { type, defaults } = decoded.right
  describe(`optimizer contract: ${JSON.stringify(cfg)}`, () => {
    optimizerContract(type.name, type.build, defaults, ['SGD', 'ASGD', 'LARS'].includes(type.name))
  })
}

describe('combinator laws', () => {
  const groups = [{ names: ['w.weight', 'w.bias'], hyper: { lr: 0.1, momentum: 0.9 } }]
  const sgd = () => decodeOptimizer({ type: 'SGD', lr: 0.1, momentum: 0.9 })
  it('chain is associative', () => {
    fc.assert(
      fc.property(treeArb, fc.array(treeArb, { minLength: 1, maxLength: 3 }), (p, gs) =>
        tf.tidy(() => {
          const opt = sgd()
          if (opt._tag === 'Left') throw new Error('sgd')
          const a = () => clipByValue(1.5)
          const b = () => clipByGlobalNorm(2.0)
          const grads = gs.map(toTree)
          const left = runSteps(chain(chain(a(), b()), opt.right.type.build()), toTree(p), grads, groups).params
          const right = runSteps(chain(a(), chain(b(), opt.right.type.build())), toTree(p), grads, groups).params
          expect(Tree.toArrays(left)).toEqual(Tree.toArrays(right))
        }),
      ),
      { numRuns: 25 },
    )
  })

  it('clip by global norm leaves a norm ≤ max_norm (+1e-6) and keeps the direction', () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.float({ min: Math.fround(0.01), max: 10, noNaN: true }),
        fc.constantFrom(1, 2, 3, Infinity),
        (g, maxNorm, normType) =>
          tf.tidy(() => {
            const grads = toTree(g)
            const [clipped] = clipByGlobalNorm(maxNorm, normType).update(grads, { gradNorm: undefined }, grads, groups)
            const after = globalNorm(clipped, normType).dataSync()[0]!
            expect(after).toBeLessThanOrEqual(maxNorm * (1 + 1e-6) + 1e-6)
            const before = globalNorm(grads, normType).dataSync()[0]!
            if (before > 0) {
              // Same direction: every entry scaled by one non-negative factor.
              const factor = Math.min(1, maxNorm / (before + 1e-6))
              for (const n of Object.keys(g)) {
                clipped[n]!.dataSync().forEach((v, i) => {
                  expect(Math.abs(v - g[n]![i]! * factor)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(g[n]![i]!)))
                })
              }
            }
          }),
      ),
      { numRuns: 50 },
    )
  })

  it('clip by value is idempotent and bounded', () => {
    fc.assert(
      fc.property(treeArb, fc.float({ min: Math.fround(0.01), max: 3, noNaN: true }), (g, v) =>
        tf.tidy(() => {
          const clip = clipByValue(v)
          const [once] = clip.update(toTree(g), null, toTree(g), groups)
          const [twice] = clip.update(once, null, once, groups)
          expect(Tree.toArrays(twice)).toEqual(Tree.toArrays(once))
          for (const t of Object.values(once))
            for (const x of t.dataSync()) expect(Math.abs(x)).toBeLessThanOrEqual(Math.fround(v))
        }),
      ),
      { numRuns: 50 },
    )
  })
})
