/**
 * `accumulate(k)` against MMEngine's `OptimWrapper` counting rule (spec §7.2,
 * its worked example and the reference tests of §16.1), and the `'epoch'`
 * policy. A spy inner transformation records the gradients it receives.
 */
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { GradientTransformation } from '../../../../src/optim/GradientTransformation.js'
import { sgd } from '../../../../src/optim/optimizers/sgd.js'
import { accumulate } from '../../../../src/optim/transforms/accumulate.js'
import type { AccumulateState, Accumulation } from '../../../../src/optim/transforms/accumulate.js'
import * as Tree from '../../../../src/tensor/tree.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { disposeReplaced, prng, randomValues, read } from '../optimizers/harness.js'

beforeAll(async () => {
  await useCpu()
})

const groups = [
  { names: ['w'], hyper: { lr: 0.1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false } },
]

/** An inner transformation that records the gradients it is given and returns their negation. */
const spy = () => {
  const received: number[][] = []
  const t: GradientTransformation<number> = {
    init: () => 0,
    update: (grads, calls) => {
      received.push(read(grads['w']!))
      return [Tree.map(grads, (g) => tf.neg(g)), calls + 1]
    },
  }
  return { t, received }
}

interface Trace {
  readonly factors: number[]
  readonly closes: boolean[]
  readonly stepped: boolean[]
  readonly updated: boolean[]
  readonly counts: number[]
}

/** Feed micro-batches `grad(i)` (i = 0, 1, …) and record what the wrapper says and does. */
const feed = <S>(
  acc: Accumulation<S>,
  state0: AccumulateState<S>,
  n: number,
  grad: (i: number) => number[],
): { readonly trace: Trace; readonly state: AccumulateState<S> } => {
  const trace: Trace = { factors: [], closes: [], stepped: [], updated: [], counts: [] }
  const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
  let state = state0
  for (let i = 0; i < n; i++) {
    trace.factors.push(acc.lossFactor(state))
    trace.closes.push(acc.closesWindow(state))
    const grads = Tree.fromArrays({ w: { shape: [2], values: grad(i) } })
    const [updates, next] = acc.update(grads, state, params, groups)
    trace.stepped.push(next.stepped)
    trace.updated.push(Object.keys(updates).length > 0)
    trace.counts.push(next.count)
    disposeReplaced([state, grads, updates], [next])
    state = next
  }
  disposeReplaced([params, state], [])
  return { trace, state }
}

const afterCountsThatStep = (t: Trace): number[] => t.stepped.flatMap((s, i) => (s ? [t.counts[i]!] : []))

describe("accumulate(k): MMEngine's rule", () => {
  it(
    'worked example (max_counts 10, k 4): loss factors 4×8 then 2, 2; steps after ' +
      'counts 4, 8, 10; the inner sees window sums only',
    () => {
      const { t, received } = spy()
      const acc = accumulate(4)(t)
      const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
      const init = acc.initializeCountStatus(acc.init(params), 0, 10)
      const { trace, state } = feed(acc, init, 10, (i) => [i + 1, -0.5 * (i + 1)])
      expect(trace.factors).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 2, 2])
      expect(afterCountsThatStep(trace)).toEqual([4, 8, 10])
      expect(trace.updated).toEqual(trace.stepped)
      // should_update() is what closesWindow predicted before the backward.
      expect(trace.closes).toEqual(trace.stepped)
      expect(received).toEqual([
        [1 + 2 + 3 + 4, -0.5 * (1 + 2 + 3 + 4)],
        [5 + 6 + 7 + 8, -0.5 * (5 + 6 + 7 + 8)],
        [9 + 10, -0.5 * (9 + 10)],
      ])
      expect(state.inner).toBe(3)
      expect(state.count).toBe(10)
      disposeReplaced([params], [])
    },
  )

  it('uninitialised counts (max_counts −1) always divide by k and step at multiples of k only', () => {
    const { t, received } = spy()
    const acc = accumulate(4)(t)
    const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
    const { trace } = feed(acc, acc.init(params), 14, () => [1, 1])
    expect(trace.factors).toEqual(new Array(14).fill(4))
    expect(afterCountsThatStep(trace)).toEqual([4, 8, 12])
    expect(received).toHaveLength(3)
    disposeReplaced([params], [])
  })

  it("MMEngine's test_update_params with k = 3: resumed counters and the short tail", () => {
    const { t } = spy()
    const acc = accumulate(3)(t)
    const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
    const fresh = acc.init(params)
    // _inner_count = 99 without initialisation: no step, loss / 3.
    const uninit = feed(acc, { ...fresh, count: 99 }, 1, () => [1, 1]).trace
    expect(uninit.factors).toEqual([3])
    expect(uninit.stepped).toEqual([false])
    // initialize_count_status(model, 99, 100): the last micro-batch is a window of 1: loss / 1, then a step.
    const last = feed(acc, acc.initializeCountStatus(fresh, 99, 100), 1, () => [1, 1]).trace
    expect(last.factors).toEqual([1])
    expect(last.stepped).toEqual([true])
    // initialize_count_status(model, 96, 100): two calls without a step (factor 3), the third steps, the fourth is the
    // tail.
    const tail = feed(acc, acc.initializeCountStatus(fresh, 96, 100), 4, () => [1, 1]).trace
    expect(tail.factors).toEqual([3, 3, 3, 1])
    expect(tail.stepped).toEqual([false, false, true, true])
    disposeReplaced([params], [])
  })

  it('k = 1: every micro-batch steps with loss factor 1', () => {
    const { t, received } = spy()
    const acc = accumulate(1)(t)
    const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
    const { trace } = feed(acc, acc.initializeCountStatus(acc.init(params), 0, 5), 5, (i) => [i, i])
    expect(trace.factors).toEqual([1, 1, 1, 1, 1])
    expect(trace.stepped).toEqual([true, true, true, true, true])
    expect(received).toEqual([0, 1, 2, 3, 4].map((i) => [i, i]))
    disposeReplaced([params], [])
  })

  it('parameters move only when a window closes (real SGD inside), by the summed gradient', () => {
    const acc = accumulate(3)(sgd())
    let params = Tree.fromArrays({ w: { shape: [2], values: [1, -1] } })
    let state = acc.initializeCountStatus(acc.init(params), 0, 6)
    const history: number[][] = []
    for (let i = 0; i < 6; i++) {
      const grads = Tree.fromArrays({ w: { shape: [2], values: [0.25 * (i + 1), 0.5] } })
      const [updates, next] = acc.update(grads, state, params, groups)
      const nextParams = Tree.applyUpdates(params, updates)
      disposeReplaced([params, state, grads, updates], [nextParams, next])
      params = nextParams
      state = next
      history.push(read(params['w']!))
    }
    const f = Math.fround
    const first = [f(1 + f(f(-0.1) * f(0.25 + 0.5 + 0.75))), f(-1 + f(f(-0.1) * 1.5))]
    const second = [f(first[0]! + f(f(-0.1) * f(1 + 1.25 + 1.5))), f(first[1]! + f(f(-0.1) * 1.5))]
    expect(history).toEqual([[1, -1], [1, -1], first, first, first, second])
    disposeReplaced([params, state], [])
  })
})

describe("accumulate(k, 'epoch')", () => {
  // 5 batches per epoch, the last one short (5 items instead of 8); k = 3; 2 epochs.
  const items = [8, 8, 8, 8, 5]
  const policy = { _tag: 'epoch' as const, batchesPerEpoch: 5, batchItems: (i: number) => items[i]! }

  it('windows close at epoch ends too: steps after counts 3, 5, 8, 10', () => {
    const { t } = spy()
    const acc = accumulate(3, policy)(t)
    const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
    const { trace } = feed(acc, acc.initializeCountStatus(acc.init(params), 0, 10), 10, () => [1, 1])
    expect(afterCountsThatStep(trace)).toEqual([3, 5, 8, 10])
    expect(trace.closes).toEqual(trace.stepped)
    // Full windows of 3 × 8 items: each loss divided by 24/8 = 3; the short window of 8 + 5 items: by 13/8 and 13/5.
    expect(trace.factors).toEqual([3, 3, 3, 13 / 8, 13 / 5, 3, 3, 3, 13 / 8, 13 / 5])
    disposeReplaced([params], [])
  })

  it(
    'the loss factors make every window, short ones included, an exact item-weighted ' + 'mean of per-sample gradients',
    () => {
      const { t, received } = spy()
      const acc = accumulate(3, policy)(t)
      const rand = prng(5)
      // Per-sample gradients of every batch of one epoch.
      const samples = items.map((n) => Array.from({ length: n }, () => randomValues(rand, 2)))
      const batchMean = (b: number): number[] =>
        [0, 1].map((j) => samples[b]!.reduce((s, x) => s + x[j]!, 0) / samples[b]!.length)
      const params = Tree.fromArrays({ w: { shape: [2], values: [0, 0] } })
      let state = acc.initializeCountStatus(acc.init(params), 0, 5)
      for (let b = 0; b < 5; b++) {
        // The gradient of (mean loss of the batch) / lossFactor.
        const factor = acc.lossFactor(state)
        const grads = Tree.fromArrays({ w: { shape: [2], values: batchMean(b).map((g) => g / factor) } })
        const [updates, next] = acc.update(grads, state, params, groups)
        disposeReplaced([state, grads, updates], [next])
        state = next
      }
      const windowMean = (batches: number[]): number[] => {
        const all = batches.flatMap((b) => samples[b]!)
        return [0, 1].map((j) => all.reduce((s, x) => s + x[j]!, 0) / all.length)
      }
      expect(received).toHaveLength(2)
      const expected = [windowMean([0, 1, 2]), windowMean([3, 4])]
      received.forEach((r, w) => {
        r.forEach((x, j) => {
          expect(Math.abs(x - expected[w]![j]!)).toBeLessThan(1e-6)
        })
      })
      disposeReplaced([params, state], [])
    },
  )
})
