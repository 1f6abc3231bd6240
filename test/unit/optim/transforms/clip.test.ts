/**
 * `clipByGlobalNorm` and `clipByValue` against PyTorch's `clip_grad_norm_`
 * and `clip_grad_value_` (spec §7.3), via the float32 reference.
 *
 * The total norm is a reduction whose summation order differs between
 * PyTorch, tfjs and the reference, so clipped gradients are compared to 1e-6
 * relative — except where every sum is exact (small integers), where they are
 * compared bit for bit.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { clipByGlobalNorm, clipByValue } from '../../../../src/optim/transforms/clip.js'
import * as Tree from '../../../../src/tensor/tree.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import {
  assertNoMismatch,
  disposeReplaced,
  firstBitMismatch,
  firstToleranceMismatch,
  prng,
  randomValues,
  read,
} from '../optimizers/harness.js'
import * as R from '../optimizers/reference.js'

beforeAll(async () => {
  await useCpu()
})

const RTOL = 1e-6
const groups = [{ names: ['a', 'b', 'c'], hyper: {} }]
const shapes: { readonly [n: string]: ReadonlyArray<number> } = { a: [3, 4], b: [4], c: [2, 3] }

/** Gradients as flat tensors (norms do not depend on shapes). */
const gradsOf = (values: { readonly [n: string]: ReadonlyArray<number> }): Tree.Tree =>
  Tree.fromArrays(Object.fromEntries(Object.entries(values).map(([n, v]) => [n, { shape: [v.length], values: v }])))

/** Clip once; returns the clipped values and the recorded norm, disposing every tensor. */
const clipOnce = (values: { readonly [n: string]: ReadonlyArray<number> }, maxNorm: number, normType: number) => {
  const t = clipByGlobalNorm(maxNorm, normType)
  const grads = gradsOf(values)
  const [clipped, state] = t.update(grads, t.init(grads), grads, groups)
  const out = {
    clipped: Object.fromEntries(Object.entries(clipped).map(([n, g]) => [n, read(g)])),
    gradNorm: state.gradNorm === undefined ? undefined : read(state.gradNorm)[0]!,
  }
  disposeReplaced([grads, clipped, state], [])
  return out
}

const random = (seed: number, scale: number) => {
  const rand = prng(seed)
  return Object.fromEntries(
    Object.entries(shapes).map(([n, s]) => [
      n,
      randomValues(
        rand,
        s.reduce((x, y) => x * y, 1),
        scale,
      ),
    ]),
  )
}

describe('clipByGlobalNorm ≡ torch.nn.utils.clip_grad_norm_', () => {
  for (const normType of [2, 1, Infinity, 3]) {
    const title = `norm type ${normType}: clips to max_norm and records the pre-clip total`
    it(`${title} (random gradients, total > max)`, () => {
      const values = random(100 + normType, 2)
      const ref = R.clipGradNorm(Object.values(values), 0.5, normType)
      expect(ref.total).toBeGreaterThan(0.5)
      const { clipped, gradNorm } = clipOnce(values, 0.5, normType)
      assertNoMismatch(firstToleranceMismatch('grad_norm', [gradNorm!], [ref.total], RTOL), `norm type ${normType}`)
      Object.keys(values).forEach((n, i) => {
        assertNoMismatch(
          firstToleranceMismatch(`clipped '${n}'`, clipped[n]!, ref.clipped[i]!, RTOL),
          `norm type ${normType}`,
        )
      })
      // The clipped gradients have (about) the norm max_norm/(1 + 1e-6/total).
      const after = R.clipGradNorm(Object.values(clipped), 0.5, normType).total
      expect(Math.abs(after - 0.5)).toBeLessThan(1e-5)
    })

    it(`norm type ${normType}: below max_norm the factor clamps to 1 and the gradients come back bit-identical`, () => {
      const values = random(200 + normType, 0.01)
      const ref = R.clipGradNorm(Object.values(values), 10, normType)
      expect(ref.total).toBeLessThan(10)
      const { clipped, gradNorm } = clipOnce(values, 10, normType)
      assertNoMismatch(firstToleranceMismatch('grad_norm', [gradNorm!], [ref.total], RTOL), `norm type ${normType}`)
      for (const n of Object.keys(values))
        assertNoMismatch(firstBitMismatch(`clipped '${n}'`, clipped[n]!, values[n]!), `norm type ${normType}`)
    })
  }

  // a = [3, 4], b = [12]: every norm is exact (2-norm 13, 1-norm 19, ∞-norm 12), so the factor
  // max/(total + 1e-6) is computed exactly as PyTorch does, and the product is compared bit for bit.
  for (const [normType, total] of [
    [2, 13],
    [1, 19],
    [Infinity, 12],
  ] as const) {
    it(
      `norm type ${normType}: at total == max_norm the factor max/(total + 1e-6) < 1 ` +
        `is still applied (always multiplied)`,
      () => {
        const values = { a: [3, -4], b: [-12] }
        const t = clipByGlobalNorm(total, normType)
        const grads = Tree.fromArrays({ a: { shape: [2], values: values.a }, b: { shape: [1], values: values.b } })
        const [clipped, state] = t.update(grads, t.init(grads), grads, groups)
        const ref = R.clipGradNorm([values.a, values.b], total, normType)
        expect(ref.total).toBe(total)
        expect(read(state.gradNorm!)[0]).toBe(total)
        assertNoMismatch(firstBitMismatch("clipped 'a'", read(clipped['a']!), ref.clipped[0]!))
        assertNoMismatch(firstBitMismatch("clipped 'b'", read(clipped['b']!), ref.clipped[1]!))
        expect(read(clipped['a']!)).not.toEqual(values.a)
        disposeReplaced([grads, clipped, state], [])
      },
    )
  }

  it('records the norm before clipping, not after', () => {
    const { gradNorm, clipped } = clipOnce({ a: [3, -4], b: [-12] }, 1, 2)
    expect(gradNorm).toBe(13)
    expect(Math.hypot(...clipped['a']!, ...clipped['b']!)).toBeCloseTo(1, 5)
  })

  it('a non-finite total poisons every gradient, as the unconditional multiply does in PyTorch', () => {
    // total = inf: coef = max/(inf + 1e-6) = 0, so finite entries become 0 and infinite ones NaN.
    const inf = clipOnce({ a: [1, Infinity], b: [-2] }, 1, 2)
    expect(inf.gradNorm).toBe(Infinity)
    expect(inf.clipped['a']![0]).toBe(0)
    expect(inf.clipped['a']![1]).toBeNaN()
    expect(Math.abs(inf.clipped['b']![0]!)).toBe(0)
    // total = NaN: coef = NaN, every entry NaN.
    const nan = clipOnce({ a: [1, NaN], b: [-2] }, 1, 2)
    expect(nan.gradNorm).toBeNaN()
    expect([...nan.clipped['a']!, ...nan.clipped['b']!].every((x) => Number.isNaN(x))).toBe(true)
  })
})

describe('clipByValue ≡ torch.nn.utils.clip_grad_value_', () => {
  it('clamps every entry to [−v, v] with v rounded to float32, bit for bit', () => {
    for (const v of [0.1, 0.5, 1 / 3]) {
      const values = random(300, 1)
      const t = clipByValue(v)
      const grads = gradsOf(values)
      const [clipped, state] = t.update(grads, t.init(grads), grads, groups)
      for (const n of Object.keys(values))
        assertNoMismatch(
          firstBitMismatch(`clipped '${n}'`, read(clipped[n]!), R.clipGradValue(values[n]!, v)),
          `clip_value ${v}`,
        )
      expect(Object.values(clipped).every((g) => read(g).every((x) => Math.abs(x) <= Math.fround(v)))).toBe(true)
      // Idempotent.
      const [twice] = t.update(clipped, state, grads, groups)
      for (const n of Object.keys(values)) expect(read(twice[n]!)).toEqual(read(clipped[n]!))
      disposeReplaced([grads, clipped, twice], [])
    }
  })

  it('leaves entries inside the interval untouched and clamps ±∞', () => {
    const t = clipByValue(2)
    const grads = Tree.fromArrays({ a: { shape: [5], values: [-1.5, 0, 1.999, Infinity, -Infinity] } })
    const [clipped] = t.update(grads, null, grads, groups)
    expect(read(clipped['a']!)).toEqual([-1.5, 0, Math.fround(1.999), 2, -2])
    disposeReplaced([grads, clipped], [])
  })
})
