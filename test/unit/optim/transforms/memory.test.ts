/**
 * No per-step tensor leak through the wrapper combinators: the owner disposes,
 * after each step, what the previous params, state, fed gradients and applied
 * updates held that the new params and state no longer reference (the
 * documented ownership rule). `tf.memory().numTensors` after 20 steps must
 * then equal the count after 2.
 */
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { chain } from '../../../../src/optim/GradientTransformation.js'
import type { GradientTransformation } from '../../../../src/optim/GradientTransformation.js'
import { sgd } from '../../../../src/optim/optimizers/sgd.js'
import { accumulate } from '../../../../src/optim/transforms/accumulate.js'
import { clipByGlobalNorm, clipByValue } from '../../../../src/optim/transforms/clip.js'
import { dynamicScaler, withLossScaling } from '../../../../src/optim/transforms/lossScaling.js'
import * as Tree from '../../../../src/tensor/tree.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { disposeReplaced, prng, randomValues } from '../optimizers/harness.js'
import * as R from '../optimizers/reference.js'

beforeAll(async () => {
  await useCpu()
})

const hyper = { ...R.torchDefaults['SGD'], lr: 0.1, momentum: 0.9 }
const groups = [
  { names: ['a', 'b'], hyper },
  { names: ['c'], hyper: { ...hyper, lr: 0.05 } },
]
const shapes: { readonly [n: string]: number[] } = { a: [4, 3], b: [3], c: [2, 2] }

/** Live tensors after step 2 and after step 20 (gradients scaled by 2⁴ so loss scaling has work to do). */
// biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
const counts = (t: GradientTransformation<any>): { readonly afterTwo: number; readonly afterTwenty: number } => {
  const rand = prng(42)
  const treeOf = (scale: number): Tree.Tree =>
    Tree.fromArrays(
      Object.fromEntries(
        Object.entries(shapes).map(([n, s]) => [
          n,
          {
            shape: s,
            values: randomValues(
              rand,
              s.reduce((x, y) => x * y, 1),
              scale,
            ),
          },
        ]),
      ),
    )
  let params = treeOf(1)
  let state: unknown = t.init(params)
  let afterTwo = -1
  for (let step = 1; step <= 20; step++) {
    const grads = treeOf(16)
    const [updates, next] = t.update(grads, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    disposeReplaced([params, state, grads, updates], [nextParams, next])
    params = nextParams
    state = next
    if (step === 2) afterTwo = tf.memory().numTensors
  }
  const afterTwenty = tf.memory().numTensors
  disposeReplaced([params, state], [])
  return { afterTwo, afterTwenty }
}

const scaler = { ...dynamicScaler, initScale: 16, growthInterval: 3 }

describe('tensor count stays flat over 20 steps', () => {
  it('clip + accumulate + loss scaling around SGD-momentum (the OptimWrapper composition)', () => {
    const { afterTwo, afterTwenty } = counts(
      accumulate(2)(withLossScaling(scaler)(chain(clipByGlobalNorm(1.0), sgd()))),
    )
    expect(afterTwenty, `${afterTwenty - afterTwo} tensors leaked over 18 steps`).toBe(afterTwo)
  })

  // The same, one combinator at a time, to say which one leaks.
  it('chain(clipByGlobalNorm, sgd)', () => {
    const { afterTwo, afterTwenty } = counts(chain(clipByGlobalNorm(1.0), sgd()))
    expect(afterTwenty, `${afterTwenty - afterTwo} tensors leaked over 18 steps`).toBe(afterTwo)
  })
  it('chain(clipByValue, sgd)', () => {
    const { afterTwo, afterTwenty } = counts(chain(clipByValue(0.5), sgd()))
    expect(afterTwenty, `${afterTwenty - afterTwo} tensors leaked over 18 steps`).toBe(afterTwo)
  })
  it('withLossScaling(sgd)', () => {
    const { afterTwo, afterTwenty } = counts(withLossScaling(scaler)(sgd()))
    expect(afterTwenty, `${afterTwenty - afterTwo} tensors leaked over 18 steps`).toBe(afterTwo)
  })
  it('accumulate(2)(sgd)', () => {
    const { afterTwo, afterTwenty } = counts(accumulate(2)(sgd()))
    expect(afterTwenty, `${afterTwenty - afterTwo} tensors leaked over 18 steps`).toBe(afterTwo)
  })
  it(
    'control: the composition is flat when the caller wraps each update in tf.tidy ' + '(what leaks are intermediates)',
    () => {
      const t = accumulate(2)(withLossScaling(scaler)(chain(clipByGlobalNorm(1.0), sgd())))
      // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
      const tidied: GradientTransformation<any> = {
        init: t.init,
        update: (g, s, p, gr) => tf.tidy(() => t.update(g, s, p, gr) as unknown as tf.TensorContainer) as never,
      }
      const { afterTwo, afterTwenty } = counts(tidied)
      expect(afterTwenty).toBe(afterTwo)
    },
  )
  it('sgd alone (control)', () => {
    const { afterTwo, afterTwenty } = counts(sgd())
    expect(afterTwenty).toBe(afterTwo)
  })
})
