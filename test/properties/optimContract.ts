/**
 * The contract every gradient transformation and optimizer must satisfy, as a
 * reusable suite (in the manner of fast-check's own `ArbitraryAssertions`):
 * call `optimizerContract(name, make, hyper)` once per optimizer.
 */
import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { chain, identity } from '../../src/optim/GradientTransformation.js'
import type { GradientTransformation } from '../../src/optim/GradientTransformation.js'
import type { Hyper, ParamGroups } from '../../src/optim/ParamGroups.js'
import { disposeReplaced, fromData, toData } from '../../src/optim/serialize.js'
import * as Tree from '../../src/tensor/tree.js'
import { accumulate } from '../../src/optim/transforms/accumulate.js'
import { withLossScaling, dynamicScaler } from '../../src/optim/transforms/lossScaling.js'

/** Two parameters of different shapes. */
export const shapes = { 'w.weight': [2, 3], 'w.bias': [2] } as const

const valuesArb = (n: number) =>
  fc.array(fc.float({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n })

/** A tree of float32 gradients (or parameters) with the shapes above. */
export const treeArb: fc.Arbitrary<{ readonly [name: string]: number[] }> = fc.record({
  'w.weight': valuesArb(6),
  'w.bias': valuesArb(2),
})

export const toTree = (values: { readonly [name: string]: ReadonlyArray<number> }): Tree.Tree =>
  Object.fromEntries(
    Object.entries(values).map(([n, v]) => [
      n,
      tf.tensor(v as number[], shapes[n as keyof typeof shapes] as unknown as number[], 'float32'),
    ]),
  )

const read = (tree: Tree.Tree): { [name: string]: number[] } =>
  Object.fromEntries(Object.entries(tree).map(([n, t]) => [n, Array.from(t.dataSync())]))

/**
 * Run `steps` updates; the owner's bookkeeping disposes replaced tensors. Returns final params (as arrays) and the
 * state.
 */
export const runSteps = <S>(
  t: GradientTransformation<S>,
  params0: Tree.Tree,
  grads: ReadonlyArray<Tree.Tree>,
  groups: ParamGroups,
  state0?: S,
): { readonly params: Tree.Tree; readonly state: S } => {
  let params = params0
  let state = state0 ?? t.init(params)
  for (const g of grads) {
    const [updates, next] = t.update(g, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    for (const u of Object.values(updates))
      if (!Object.values(nextParams).includes(u) && !Object.values(g).includes(u)) u.dispose()
    disposeReplaced(state, next)
    if (params !== params0) for (const [n, p] of Object.entries(params)) if (nextParams[n] !== p) p.dispose()
    params = nextParams
    state = next
  }
  return { params, state }
}

const groupsFor = (hyper: Hyper): ParamGroups => [{ names: Object.keys(shapes), hyper }]

/** Register the contract tests for one optimizer. */
/**
 * `lipschitz`: the optimizer's step is a smooth function of the gradient (SGD-like), so small
 * rounding differences in gradients stay small in parameters over many steps. Sign-like adaptive
 * optimizers (Adam, RMSprop, Rprop, …) can turn a rounding difference in a near-zero gradient into
 * a full step, so for them the law is checked where arithmetic is exact.
 */
export const optimizerContract = (
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  make: () => GradientTransformation<any>,
  hyper: Hyper,
  lipschitz: boolean,
  numRuns = 15,
): void => {
  const groups = groupsFor(hyper)

  it(`${name}: chain(identity, T) ≡ T ≡ chain(T, identity), bit for bit`, () => {
    fc.assert(
      fc.property(treeArb, fc.array(treeArb, { minLength: 1, maxLength: 4 }), (p, gs) =>
        tf.tidy(() => {
          const grads = gs.map(toTree)
          const plain = read(runSteps(make(), toTree(p), grads, groups).params)
          expect(read(runSteps(chain(identity, make()), toTree(p), grads, groups).params)).toEqual(plain)
          expect(read(runSteps(chain(make(), identity), toTree(p), grads, groups).params)).toEqual(plain)
        }),
      ),
      { numRuns },
    )
  })

  it(`${name}: state survives serialise → JSON → deserialise bit-exactly (resume at step n ≡ never stopping)`, () => {
    fc.assert(
      fc.property(treeArb, fc.array(treeArb, { minLength: 2, maxLength: 5 }), fc.nat(), (p, gs, cut) =>
        tf.tidy(() => {
          const grads = gs.map(toTree)
          const n = 1 + (cut % (grads.length - 1))
          const whole = read(runSteps(make(), toTree(p), grads, groups).params)
          const first = runSteps(make(), toTree(p), grads.slice(0, n), groups)
          const restored = fromData(JSON.parse(JSON.stringify(toData(first.state))))
          const paramsRestored = fromData(JSON.parse(JSON.stringify(toData(first.params)))) as Tree.Tree
          expect(read(runSteps(make(), paramsRestored, grads.slice(n), groups, restored).params)).toEqual(whole)
        }),
      ),
      { numRuns },
    )
  })

  it(`${name}: power-of-two loss scaling is invisible on finite steps, bit for bit`, () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.array(treeArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 20 }),
        (p, gs, k) =>
          tf.tidy(() => {
            const scale = 2 ** k
            const plain = read(runSteps(make(), toTree(p), gs.map(toTree), groups).params)
            const scaled = withLossScaling({ ...dynamicScaler, initScale: scale, fixed: scale })(make())
            const grads = gs.map((g) => Tree.map(toTree(g), (t) => tf.mul(t, scale)))
            expect(read(runSteps(scaled, toTree(p), grads, groups).params)).toEqual(plain)
          }),
      ),
      { numRuns },
    )
  })

  it(`${name}: a non-finite step leaves parameters and optimizer state untouched and backs off the scale`, () => {
    tf.tidy(() => {
      const scaled = withLossScaling(dynamicScaler)(make())
      const params = toTree({ 'w.weight': [1, 2, 3, 4, 5, 6], 'w.bias': [0.5, -0.5] })
      const warm = runSteps(scaled, params, [toTree({ 'w.weight': [1, 1, 1, 1, 1, 1], 'w.bias': [1, 1] })], groups)
      const before = read(warm.params)
      const stateBefore = JSON.stringify(toData(warm.state.inner))
      const bad = toTree({ 'w.weight': [1, NaN, 1, 1, 1, 1], 'w.bias': [Infinity, 1] })
      const after = runSteps(scaled, warm.params, [bad], groups, warm.state)
      expect(read(after.params)).toEqual(before)
      expect(JSON.stringify(toData(after.state.inner))).toBe(stateBefore)
      expect(after.state.scale).toBe(warm.state.scale * 0.5)
    })
  })

  // loss = mean((W x + b − y)²) over the batch and outputs; its gradients in closed form.
  const gradsOf = (params: Tree.Tree, x: tf.Tensor2D, y: tf.Tensor2D, divisor: number): Tree.Tree => {
    const residual = tf.sub(tf.add(tf.matMul(x, params['w.weight']!, false, true), params['w.bias']!), y)
    const scale = 2 / (residual.size * divisor)
    return {
      'w.weight': tf.mul(tf.matMul(residual, x, true, false), scale),
      'w.bias': tf.mul(tf.sum(residual, 0), scale),
    }
  }
  /**
   * Params after `windows` steps: accumulated over k micro-batches of `perMicro` samples, and in one big batch each.
   */
  const accumulatedVsBig = (
    k: number,
    windows: number,
    perMicro: number,
    rows: ReadonlyArray<{ readonly x: number[]; readonly y: number[] }>,
    start: { readonly [n: string]: number[] },
  ) => {
    const batch = (from: number, count: number) => {
      const picked = Array.from({ length: count }, (_, r) => rows[(from + r) % rows.length]!)
      return { x: tf.tensor2d(picked.map((r) => r.x)), y: tf.tensor2d(picked.map((r) => r.y)) }
    }
    const acc = accumulate(k)(make())
    let pa = toTree(start)
    let sa = acc.init(pa)
    const big = make()
    let pb = toTree(start)
    let sb = big.init(pb)
    for (let w = 0; w < windows; w++) {
      for (let j = 0; j < k; j++) {
        const { x, y } = batch((w * k + j) * perMicro, perMicro)
        const [u, s] = acc.update(gradsOf(pa, x, y, acc.lossFactor(sa)), sa, pa, groups)
        pa = Tree.applyUpdates(pa, u)
        sa = s
      }
      const { x, y } = batch(w * k * perMicro, k * perMicro)
      const [u, s] = big.update(gradsOf(pb, x, y, 1), sb, pb, groups)
      pb = Tree.applyUpdates(pb, u)
      sb = s
    }
    return { accumulated: read(pa), big: read(pb) }
  }
  const dyadic = (bits: number) => fc.integer({ min: -(2 ** bits), max: 2 ** bits }).map((n) => n / 2 ** (bits - 1))

  const exactTitle = `${name}: accumulating k micro-batches of a mean loss ≡ one batch k× larger`
  it(`${exactTitle} (exact arithmetic: bit for bit)`, () => {
    // With few-bit dyadic data and parameters and a power-of-two k, every product and sum of the
    // first window is exact, however a backend orders or widens its reductions; so every optimizer,
    // even the sign-like adaptive ones, must take exactly the same first step.
    const row = fc.record({
      x: fc.array(dyadic(3), { minLength: 3, maxLength: 3 }),
      y: fc.array(dyadic(3), { minLength: 2, maxLength: 2 }),
    })
    const start = fc.record({
      'w.weight': fc.array(dyadic(3), { minLength: 6, maxLength: 6 }),
      'w.bias': fc.array(dyadic(3), { minLength: 2, maxLength: 2 }),
    })
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4),
        fc.integer({ min: 1, max: 2 }),
        fc.array(row, { minLength: 16, maxLength: 16 }),
        start,
        (k, perMicro, rows, p) =>
          tf.tidy(() => {
            const { accumulated, big } = accumulatedVsBig(k, 1, perMicro, rows, p)
            expect(accumulated).toEqual(big)
          }),
      ),
      { numRuns },
    )
  })

  if (lipschitz) {
    it(`${name}: accumulation ≡ big batch over several windows, within float tolerance`, () => {
      const row = fc.record({
        x: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
        y: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 2, maxLength: 2 }),
      })
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 4 }),
          fc.integer({ min: 2, max: 3 }),
          fc.array(row, { minLength: 24, maxLength: 24 }),
          treeArb,
          (k, windows, rows, p) =>
            tf.tidy(() => {
              const { accumulated, big } = accumulatedVsBig(k, windows, 2, rows, p)
              for (const n of Object.keys(big))
                big[n]!.forEach((v, i) => {
                  expect(Math.abs(accumulated[n]![i]! - v)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(v))
                })
            }),
        ),
        { numRuns },
      )
    })
  }
}
