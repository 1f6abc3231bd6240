/**
 * The optimizers of `src/optim/optimizers/` against an independent float32
 * reference of PyTorch 1.13's single-tensor implementations (`./reference.ts`).
 *
 * Every case runs 8 steps on three parameters of different shapes in two
 * param groups with different learning rates, with seeded pseudo-random
 * gradients (about 10% exact zeros), and compares parameters and optimizer
 * slots after every step:
 * - bit for bit for the elementwise optimizers (tfjs's CPU ops are correctly
 *   rounded float32 ops, so performing PyTorch's operations in PyTorch's order
 *   gives PyTorch's bits);
 * - within 1e-6 of each tensor's scale for every optimizer. For LARS and LAMB
 *   (and clipping), which reduce norms whose summation order differs between
 *   PyTorch, tfjs and the reference, this is the only comparison; for the
 *   others it separates rounding-order differences from algorithmic ones.
 */
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { GradientTransformation } from '../../../../src/optim/GradientTransformation.js'
import type { ParamGroups } from '../../../../src/optim/ParamGroups.js'
import { adam, adamax, adamw, nadam, radam } from '../../../../src/optim/optimizers/adam.js'
import { adadelta, adagrad, rmsprop } from '../../../../src/optim/optimizers/adaptive.js'
import { lamb } from '../../../../src/optim/optimizers/lamb.js'
import type { LambState } from '../../../../src/optim/optimizers/lamb.js'
import { lars } from '../../../../src/optim/optimizers/lars.js'
import { decodeOptimizer, optimizerTypes } from '../../../../src/optim/optimizers/registry.js'
import { asgd, rprop } from '../../../../src/optim/optimizers/rprop.js'
import { sgd } from '../../../../src/optim/optimizers/sgd.js'
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
  ulps,
} from './harness.js'
import type { Mismatch } from './harness.js'
import * as R from './reference.js'

beforeAll(async () => {
  await useCpu()
})

const STEPS = 8
const RTOL = 1e-6

type Shapes = { readonly [name: string]: ReadonlyArray<number> }
const defaultShapes: Shapes = { 'enc.weight': [3, 4], 'enc.bias': [4], 'head.weight': [2, 3] }
const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

interface Case {
  readonly title: string
  /** The config `type` (also the key of the reference defaults). */
  readonly type: string
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  readonly impl: () => GradientTransformation<any>
  readonly ref: R.RefOptimizer
  /** `optimizer=dict(type=…, **config)`: fills every group (PyTorch's `defaults`). */
  readonly config: R.Hyper
  /** Per-group overrides (paramwise settings), groups: [enc.weight, enc.bias], [head.weight]. */
  readonly perGroup: readonly [R.Hyper, R.Hyper]
  /** Elementwise optimizer: compare bit for bit too. */
  readonly exact: boolean
  readonly seed: number
  readonly shapes?: Shapes
  readonly groupNames?: readonly [ReadonlyArray<string>, ReadonlyArray<string>]
  readonly gradScale?: number
  /** Fixed initial values for some parameters. */
  readonly init?: { readonly [name: string]: ReadonlyArray<number> }
  /** Replace the gradient of a parameter at a step (1-based): values, or `null` for "no gradient". */
  readonly gradAt?: (step: number, name: string) => ReadonlyArray<number> | null | undefined
}

interface Data {
  readonly shapes: Shapes
  readonly defaults: R.Hyper
  readonly groups: ReadonlyArray<R.RefGroup>
  readonly init: { readonly [name: string]: ReadonlyArray<number> }
  readonly grads: ReadonlyArray<{ readonly [name: string]: ReadonlyArray<number> | undefined }>
}

const dataOf = (c: Case): Data => {
  const shapes = c.shapes ?? defaultShapes
  const defaults: R.Hyper = { ...R.torchDefaults[c.type], ...c.config }
  const [names0, names1] = c.groupNames ?? [['enc.weight', 'enc.bias'], ['head.weight']]
  const groups: R.RefGroup[] = [
    { names: names0, hyper: { ...defaults, ...c.perGroup[0] } },
    { names: names1, hyper: { ...defaults, ...c.perGroup[1] } },
  ]
  const rand = prng(c.seed)
  const init = Object.fromEntries(
    Object.entries(shapes).map(([n, s]) => [n, c.init?.[n] ?? randomValues(rand, sizeOf(s))]),
  )
  const grads = Array.from({ length: STEPS }, (_, k) =>
    Object.fromEntries(
      Object.entries(shapes).map(([n, s]) => {
        const random = randomValues(rand, sizeOf(s), c.gradScale ?? 1, 0.1)
        const override = c.gradAt?.(k + 1, n)
        return [n, override === null ? undefined : (override ?? random)]
      }),
    ),
  )
  return { shapes, defaults, groups, init, grads }
}

type SlotValues = { readonly [slot: string]: ReadonlyArray<number> | number }
interface Snapshot {
  readonly params: { readonly [name: string]: ReadonlyArray<number> }
  readonly slots: { readonly [name: string]: SlotValues | undefined }
  /** LAMB's group-level step counters. */
  readonly groupSteps: ReadonlyArray<number>
}

const readSlots = (slots: unknown): SlotValues | undefined =>
  slots === undefined
    ? undefined
    : Object.fromEntries(
        Object.entries(slots as object).flatMap(
          ([k, v]): Array<[string, ReadonlyArray<number> | number]> =>
            v instanceof tf.Tensor ? [[k, read(v)]] : typeof v === 'number' ? [[k, v]] : [],
        ),
      )

const snapshotImpl = (d: Data, params: Tree.Tree, state: unknown, isLamb: boolean): Snapshot => {
  const names = Object.keys(d.shapes)
  const params_ = Object.fromEntries(names.map((n) => [n, read(params[n]!)]))
  if (isLamb) {
    const s = state as LambState
    return {
      params: params_,
      slots: Object.fromEntries(names.map((n) => [n, readSlots(s.slots[n])])),
      groupSteps: d.groups.map((_, i) => s.groupSteps[i] ?? 0),
    }
  }
  const s = state as { readonly [name: string]: unknown }
  return {
    params: params_,
    slots: Object.fromEntries(names.map((n) => [n, readSlots(s[n])])),
    groupSteps: d.groups.map(() => 0),
  }
}

const toTree = (d: Data, values: { readonly [name: string]: ReadonlyArray<number> | undefined }): Tree.Tree =>
  Tree.fromArrays(
    Object.fromEntries(
      Object.entries(values).flatMap(([n, v]) => (v === undefined ? [] : [[n, { shape: d.shapes[n]!, values: v }]])),
    ),
  )

const implGroups = (d: Data): ParamGroups => d.groups.map((g) => ({ names: g.names, hyper: g.hyper }))

/** Run the implementation; the owner disposes what each step replaced. */
const runImpl = (c: Case, d: Data): Snapshot[] => {
  const t = c.impl()
  const groups = implGroups(d)
  let params = toTree(d, d.init)
  let state: unknown = t.init(params)
  const snapshots = [snapshotImpl(d, params, state, c.type === 'Lamb')]
  for (const g of d.grads) {
    const grads = toTree(d, g)
    const [updates, next] = t.update(grads, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    disposeReplaced([params, state, grads, updates], [nextParams, next])
    params = nextParams
    state = next
    snapshots.push(snapshotImpl(d, params, state, c.type === 'Lamb'))
  }
  disposeReplaced([params, state], [])
  return snapshots
}

const runRef = (c: Case, d: Data): Snapshot[] => {
  const params: { [name: string]: R.Arr } = { ...d.init }
  const state = R.newState()
  const snap = (): Snapshot => ({
    params: { ...params },
    slots: Object.fromEntries(
      Object.keys(d.shapes).map((n) => [n, state.param[n] === undefined ? undefined : { ...state.param[n] }]),
    ),
    groupSteps: d.groups.map((_, i) => state.group[i]?.step ?? 0),
  })
  const snapshots = [snap()]
  for (const g of d.grads) {
    c.ref.step(params, g, d.groups, state, d.defaults)
    snapshots.push(snap())
  }
  return snapshots
}

type Compare = (where: string, actual: ReadonlyArray<number>, expected: ReadonlyArray<number>) => Mismatch | undefined
const bitExact: Compare = firstBitMismatch
const withinTolerance: Compare = (where, a, e) => firstToleranceMismatch(where, a, e, RTOL)

/** Compare slots, then parameters, after every step; throw at the first difference. */
const compareRuns = (
  title: string,
  impl: ReadonlyArray<Snapshot>,
  ref: ReadonlyArray<Snapshot>,
  cmp: Compare,
): void => {
  for (let k = 1; k < ref.length; k++) {
    const ctx = `${title}, after step ${k}`
    const i = impl[k]!
    const r = ref[k]!
    expect(i.groupSteps, `${ctx}: group step counters`).toEqual(r.groupSteps)
    for (const [name, refSlots] of Object.entries(r.slots)) {
      const implSlots = i.slots[name]
      if (refSlots === undefined) {
        expect(
          implSlots,
          `${ctx}: '${name}' has no state before its first gradient (PyTorch's lazy state)`,
        ).toBeUndefined()
        continue
      }
      if (implSlots === undefined)
        throw new Error(`${ctx}: '${name}' has no optimizer state, PyTorch has ${Object.keys(refSlots).join(', ')}`)
      for (const [slot, expected] of Object.entries(refSlots)) {
        const actual = implSlots[slot]
        if (actual === undefined) throw new Error(`${ctx}: '${name}' lacks slot '${slot}'`)
        const a = typeof actual === 'number' ? [actual] : actual
        const e = typeof expected === 'number' ? [expected] : expected
        assertNoMismatch(cmp(`state['${name}']['${slot}']`, a, e), ctx)
      }
    }
    for (const [name, expected] of Object.entries(r.params))
      assertNoMismatch(cmp(`param '${name}'`, i.params[name]!, expected), ctx)
  }
}

const runAndCompare = (c: Case, cmp: Compare): void => {
  const d = dataOf(c)
  compareRuns(c.title, runImpl(c, d), runRef(c, d), cmp)
}

const lrs = (a: number, b: number): readonly [R.Hyper, R.Hyper] => [{ lr: a }, { lr: b }]

const cases: ReadonlyArray<Case> = [
  // SGD
  {
    title: 'SGD plain',
    type: 'SGD',
    impl: sgd,
    ref: R.sgd,
    config: { lr: 0.1 },
    perGroup: lrs(0.1, 0.05),
    exact: true,
    seed: 11,
  },
  {
    title: 'SGD momentum',
    type: 'SGD',
    impl: sgd,
    ref: R.sgd,
    config: { lr: 0.1, momentum: 0.9 },
    perGroup: lrs(0.1, 0.05),
    exact: true,
    seed: 12,
  },
  {
    title: 'SGD momentum + dampening',
    type: 'SGD',
    impl: sgd,
    ref: R.sgd,
    config: { lr: 0.1, momentum: 0.9, dampening: 0.3 },
    perGroup: lrs(0.1, 0.05),
    exact: true,
    seed: 13,
  },
  {
    title: 'SGD nesterov',
    type: 'SGD',
    impl: sgd,
    ref: R.sgd,
    config: { lr: 0.1, momentum: 0.9, nesterov: true },
    perGroup: lrs(0.1, 0.05),
    exact: true,
    seed: 14,
  },
  {
    title: 'SGD weight decay + momentum',
    type: 'SGD',
    impl: sgd,
    ref: R.sgd,
    config: { lr: 0.1, momentum: 0.8, weight_decay: 0.05 },
    perGroup: [{ lr: 0.1 }, { lr: 0.05, weight_decay: 0 }],
    exact: true,
    seed: 15,
  },
  {
    title: 'SGD maximize + weight decay',
    type: 'SGD',
    impl: sgd,
    ref: R.sgd,
    config: { lr: 0.1, momentum: 0.5, weight_decay: 0.05, maximize: true },
    perGroup: lrs(0.1, 0.05),
    exact: true,
    seed: 16,
  },
  // Adam family
  {
    title: 'Adam',
    type: 'Adam',
    impl: adam,
    ref: R.adam,
    config: {},
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 21,
  },
  {
    title: 'Adam weight decay',
    type: 'Adam',
    impl: adam,
    ref: R.adam,
    config: { weight_decay: 0.1 },
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 22,
  },
  {
    title: 'Adam amsgrad',
    type: 'Adam',
    impl: adam,
    ref: R.adam,
    config: { amsgrad: true },
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 23,
  },
  {
    title: 'Adam amsgrad + weight decay + maximize',
    type: 'Adam',
    impl: adam,
    ref: R.adam,
    config: { amsgrad: true, weight_decay: 0.1, maximize: true },
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 24,
  },
  {
    title: 'AdamW (default weight decay 0.01)',
    type: 'AdamW',
    impl: adamw,
    ref: R.adamw,
    config: {},
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 25,
  },
  {
    title: 'AdamW amsgrad + weight decay 0.1',
    type: 'AdamW',
    impl: adamw,
    ref: R.adamw,
    config: { amsgrad: true, weight_decay: 0.1 },
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 26,
  },
  {
    title: 'AdamW without weight decay',
    type: 'AdamW',
    impl: adamw,
    ref: R.adamw,
    config: { weight_decay: 0 },
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 27,
  },
  {
    title: 'Adamax',
    type: 'Adamax',
    impl: adamax,
    ref: R.adamax,
    config: {},
    perGroup: lrs(0.02, 0.05),
    exact: true,
    seed: 31,
  },
  {
    title: 'Adamax weight decay',
    type: 'Adamax',
    impl: adamax,
    ref: R.adamax,
    config: { weight_decay: 0.1 },
    perGroup: lrs(0.02, 0.05),
    exact: true,
    seed: 32,
  },
  {
    title: 'NAdam',
    type: 'NAdam',
    impl: nadam,
    ref: R.nadam,
    config: {},
    perGroup: lrs(0.02, 0.05),
    exact: true,
    seed: 33,
  },
  {
    title: 'NAdam weight decay',
    type: 'NAdam',
    impl: nadam,
    ref: R.nadam,
    config: { weight_decay: 0.1 },
    perGroup: lrs(0.02, 0.05),
    exact: true,
    seed: 34,
  },
  {
    title: 'RAdam (ρ_t ≤ 5 for steps 1–5, > 5 from step 6)',
    type: 'RAdam',
    impl: radam,
    ref: R.radam,
    config: {},
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 35,
  },
  {
    title: 'RAdam weight decay',
    type: 'RAdam',
    impl: radam,
    ref: R.radam,
    config: { weight_decay: 0.1 },
    perGroup: lrs(0.01, 0.03),
    exact: true,
    seed: 36,
  },
  // Adagrad, Adadelta, RMSprop
  {
    title: 'Adagrad lr_decay + initial_accumulator_value',
    type: 'Adagrad',
    impl: adagrad,
    ref: R.adagrad,
    config: { lr_decay: 0.1, initial_accumulator_value: 0.1 },
    perGroup: lrs(0.05, 0.1),
    exact: true,
    seed: 41,
  },
  {
    title: 'Adagrad weight decay + maximize',
    type: 'Adagrad',
    impl: adagrad,
    ref: R.adagrad,
    config: { weight_decay: 0.1, maximize: true },
    perGroup: lrs(0.05, 0.1),
    exact: true,
    seed: 42,
  },
  {
    title: 'Adadelta',
    type: 'Adadelta',
    impl: adadelta,
    ref: R.adadelta,
    config: {},
    perGroup: lrs(1.0, 0.5),
    exact: true,
    seed: 43,
  },
  {
    title: 'Adadelta rho 0.8 + weight decay',
    type: 'Adadelta',
    impl: adadelta,
    ref: R.adadelta,
    config: { rho: 0.8, weight_decay: 0.1 },
    perGroup: lrs(1.0, 0.5),
    exact: true,
    seed: 44,
  },
  {
    title: 'RMSprop plain',
    type: 'RMSprop',
    impl: rmsprop,
    ref: R.rmsprop,
    config: {},
    perGroup: lrs(0.01, 0.02),
    exact: true,
    seed: 45,
  },
  {
    title: 'RMSprop centered',
    type: 'RMSprop',
    impl: rmsprop,
    ref: R.rmsprop,
    config: { centered: true },
    perGroup: lrs(0.01, 0.02),
    exact: true,
    seed: 46,
  },
  {
    title: 'RMSprop momentum',
    type: 'RMSprop',
    impl: rmsprop,
    ref: R.rmsprop,
    config: { momentum: 0.9 },
    perGroup: lrs(0.01, 0.02),
    exact: true,
    seed: 47,
  },
  {
    title: 'RMSprop centered + momentum + weight decay',
    type: 'RMSprop',
    impl: rmsprop,
    ref: R.rmsprop,
    config: { centered: true, momentum: 0.9, weight_decay: 0.1 },
    perGroup: lrs(0.01, 0.02),
    exact: true,
    seed: 48,
  },
  // Rprop, ASGD
  {
    title: 'Rprop through sign changes',
    type: 'Rprop',
    impl: rprop,
    ref: R.rprop,
    config: {},
    perGroup: lrs(0.01, 0.02),
    exact: true,
    seed: 51,
  },
  {
    title: 'Rprop clamped step sizes + maximize',
    type: 'Rprop',
    impl: rprop,
    ref: R.rprop,
    config: { etas: [0.3, 1.5], step_sizes: [1e-3, 0.02], maximize: true },
    perGroup: lrs(0.01, 0.015),
    exact: true,
    seed: 52,
  },
  {
    title: 'ASGD t0=2 (mu ≠ 1 from step 5)',
    type: 'ASGD',
    impl: asgd,
    ref: R.asgd,
    config: { t0: 2, lambd: 0.01 },
    perGroup: lrs(0.05, 0.1),
    exact: true,
    seed: 53,
  },
  {
    title: 'ASGD t0=1 + weight decay + maximize',
    type: 'ASGD',
    impl: asgd,
    ref: R.asgd,
    config: { t0: 1, lambd: 0.001, alpha: 0.5, weight_decay: 0.1, maximize: true },
    perGroup: lrs(0.05, 0.1),
    exact: true,
    seed: 54,
  },
  // LARS (norm-based trust ratio: tolerance only)
  {
    title: 'LARS momentum + weight decay',
    type: 'LARS',
    impl: lars,
    ref: R.lars,
    config: { lr: 0.5, momentum: 0.9, weight_decay: 0.01, eta: 0.02 },
    perGroup: lrs(0.5, 1.0),
    exact: false,
    seed: 61,
  },
  {
    title: 'LARS with a lars_exclude group',
    type: 'LARS',
    impl: lars,
    ref: R.lars,
    config: { lr: 0.5, momentum: 0.9, weight_decay: 0.01, eta: 0.02 },
    perGroup: [{ lr: 0.5 }, { lr: 0.05, lars_exclude: true, weight_decay: 0 }],
    exact: false,
    seed: 62,
  },
  {
    title: 'LARS nesterov + dampening-free, excluded group still decayed',
    type: 'LARS',
    impl: lars,
    ref: R.lars,
    config: { lr: 0.5, momentum: 0.9, nesterov: true, weight_decay: 0.01, eta: 0.02 },
    perGroup: [{ lr: 0.5 }, { lr: 0.05, lars_exclude: true }],
    exact: false,
    seed: 63,
  },
  {
    title: 'LARS with zero-norm parameters and gradients (local_lr = 1)',
    type: 'LARS',
    impl: lars,
    ref: R.lars,
    config: { lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01, eta: 0.02 },
    perGroup: lrs(0.1, 0.05),
    exact: false,
    seed: 64,
    shapes: { 'enc.weight': [3, 4], 'enc.bias': [4], 'zero.bias': [3], 'head.weight': [2, 3] },
    groupNames: [['enc.weight', 'enc.bias', 'zero.bias'], ['head.weight']],
    init: { 'zero.bias': [0, 0, 0] },
    gradAt: (step, name) => (name === 'enc.bias' && (step === 2 || step === 5) ? [0, 0, 0, 0] : undefined),
  },
  {
    title: 'LARS plain (no momentum, no decay)',
    type: 'LARS',
    impl: lars,
    ref: R.lars,
    config: { lr: 0.5, eta: 0.02 },
    perGroup: lrs(0.5, 1.0),
    exact: false,
    seed: 65,
  },
  // LAMB (global clip and trust ratio from norms: tolerance only)
  {
    title: 'Lamb defaults, global-norm clipping active',
    type: 'Lamb',
    impl: lamb,
    ref: R.lamb,
    config: {},
    perGroup: lrs(0.01, 0.02),
    exact: false,
    seed: 71,
  },
  {
    title: 'Lamb trust_clip',
    type: 'Lamb',
    impl: lamb,
    ref: R.lamb,
    config: { trust_clip: true, weight_decay: 0.1 },
    perGroup: lrs(0.01, 0.02),
    exact: false,
    seed: 72,
  },
  {
    title: 'Lamb weight_decay 0 (no adaptation)',
    type: 'Lamb',
    impl: lamb,
    ref: R.lamb,
    config: { weight_decay: 0 },
    perGroup: lrs(0.01, 0.02),
    exact: false,
    seed: 73,
  },
  {
    title: 'Lamb weight_decay 0 + always_adapt',
    type: 'Lamb',
    impl: lamb,
    ref: R.lamb,
    config: { weight_decay: 0, always_adapt: true },
    perGroup: lrs(0.01, 0.02),
    exact: false,
    seed: 74,
  },
  {
    title: 'Lamb without bias correction or grad averaging, no clipping',
    type: 'Lamb',
    impl: lamb,
    ref: R.lamb,
    config: { bias_correction: false, grad_averaging: false, max_grad_norm: 100 },
    perGroup: lrs(0.01, 0.02),
    exact: false,
    seed: 75,
  },
]

describe('optimizers against the PyTorch 1.13 float32 reference (8 steps, 2 groups, 3 shapes)', () => {
  for (const c of cases) {
    if (c.exact) it(`${c.title}: parameters and slots bit-exact after every step`, () => runAndCompare(c, bitExact))
    it(`${c.title}: parameters and slots within ${RTOL} (of each tensor's scale) after every step`, () =>
      runAndCompare(c, withinTolerance))
  }

  it('the RAdam case crosses from ρ_t ≤ 5 to ρ_t > 5 within its 8 steps', () => {
    expect(R.radamRho(0.999, 5)).toBeLessThanOrEqual(5)
    expect(R.radamRho(0.999, 6)).toBeGreaterThan(5)
  })

  it('the Rprop cases go through sign changes (etaminus), same signs (etaplus) and zero products', () => {
    for (const c of cases.filter((x) => x.type === 'Rprop')) {
      const d = dataOf(c)
      const products = d.grads
        .slice(1)
        .flatMap((g, k) => Object.keys(d.shapes).flatMap((n) => g[n]!.map((x, i) => x * d.grads[k]![n]![i]!)))
      expect(products.some((x) => x < 0)).toBe(true)
      expect(products.some((x) => x > 0)).toBe(true)
      expect(products.some((x) => x === 0)).toBe(true)
    }
  })

  it('the ASGD cases reach mu < 1 (averaging) within their 8 steps', () => {
    for (const c of cases.filter((x) => x.type === 'ASGD')) {
      const d = dataOf(c)
      const final = runRef(c, d)[STEPS]!
      expect(final.slots['enc.weight']!['mu']).toBeLessThan(1)
    }
  })

  it('the Lamb clipping case has a global gradient norm above max_grad_norm at every step', () => {
    const d = dataOf(cases.find((c) => c.title.startsWith('Lamb defaults'))!)
    for (const g of d.grads)
      expect(
        Math.sqrt(Object.values(g).reduce((s, v) => s + (v ?? []).reduce((a, x) => a + x * x, 0), 0)),
      ).toBeGreaterThan(1.0)
  })
})

describe('a parameter without a gradient keeps its value and its slots', () => {
  // Step 3: enc.bias has no gradient; steps 4–5: head.weight (all of group 1) has none.
  const missing = (step: number, name: string): null | undefined =>
    (step === 3 && name === 'enc.bias') || ((step === 4 || step === 5) && name === 'head.weight') ? null : undefined
  const pick = (title: string): Case => ({ ...cases.find((c) => c.title === title)!, gradAt: missing })
  const picked = [
    'SGD weight decay + momentum',
    'Adam weight decay',
    'AdamW amsgrad + weight decay 0.1',
    'Adamax',
    'NAdam weight decay',
    'RAdam weight decay',
    'Adagrad lr_decay + initial_accumulator_value',
    'Adadelta rho 0.8 + weight decay',
    'RMSprop centered + momentum + weight decay',
    'Rprop through sign changes',
    'ASGD t0=2 (mu ≠ 1 from step 5)',
    'LARS momentum + weight decay',
    'Lamb defaults, global-norm clipping active',
  ]
  for (const title of picked) {
    it(`${title}: untouched while it has no gradient`, () => {
      const c = pick(title)
      const d = dataOf(c)
      const impl = runImpl(c, d)
      for (const [step, name] of [
        [3, 'enc.bias'],
        [4, 'head.weight'],
        [5, 'head.weight'],
      ] as const) {
        expect(impl[step]!.params[name], `${title}: '${name}' moved at step ${step} without a gradient`).toEqual(
          impl[step - 1]!.params[name],
        )
        expect(
          impl[step]!.slots[name],
          `${title}: the state of '${name}' changed at step ${step} without a gradient`,
        ).toEqual(impl[step - 1]!.slots[name])
      }
    })
    it(`${title}: the run with missing gradients matches the reference within ${RTOL}`, () => {
      const c = pick(title)
      const d = dataOf(c)
      compareRuns(`${title} (missing gradients)`, runImpl(c, d), runRef(c, d), withinTolerance)
    })
  }
})

describe('applying updates as differences', () => {
  it('ASGD: a large step near zero lands on PyTorch’s float32 value (the update `new − old` must round-trip)', () => {
    // PyTorch computes the new value in place (`param.mul_(1 − λ·η); param.add_(grad, alpha=−η)`).
    // An implementation that returns `update = new − old` relies on `old + (new − old)` giving `new`
    // back in float32; that fails for some elements when the step is as large as the parameter.
    const rand = prng(7)
    const n = 64
    const lr = 0.01
    const init = Array.from({ length: n }, () => Math.fround((rand() < 0.5 ? -1 : 1) * (1e-3 + rand() * 9e-3)))
    const grad = init.map((p) => Math.fround(((0.5 + rand() * 2.5) * p) / lr))
    const hyper: R.Hyper = { ...R.torchDefaults['ASGD'], lr, lambd: 0.01 }
    const groups = [{ names: ['w'], hyper }]
    const params: { [n: string]: R.Arr } = { w: init }
    R.asgd.step(params, { w: grad }, groups, R.newState(), hyper)
    const t = asgd()
    const p = Tree.fromArrays({ w: { shape: [n], values: init } })
    const g = Tree.fromArrays({ w: { shape: [n], values: grad } })
    const [updates, state] = t.update(g, t.init(p), p, groups)
    const next = Tree.applyUpdates(p, updates)
    const actual = read(next['w']!)
    disposeReplaced([p, g, updates, state, next], [])
    assertNoMismatch(
      firstBitMismatch("param 'w'", actual, params['w']!),
      'ASGD, one step of the size of the parameters',
    )
  })
})

describe('decodeOptimizer (registry)', () => {
  const needsLr = new Set(['SGD', 'LARS'])
  for (const type of Object.keys(R.torchDefaults)) {
    it(`${type}: fills PyTorch's defaults`, () => {
      const decoded = decodeOptimizer({ type, ...(needsLr.has(type) ? { lr: 0.1 } : {}) })
      if (decoded._tag === 'Left') throw new Error(JSON.stringify(decoded.left))
      expect(decoded.right.type.name).toBe(type)
      expect(decoded.right.defaults).toMatchObject({
        ...R.torchDefaults[type],
        ...(needsLr.has(type) ? { lr: 0.1 } : {}),
      })
      expect(decoded.right.type.requiresLr).toBe(needsLr.has(type))
    })
  }

  it('the config overrides the defaults', () => {
    const decoded = decodeOptimizer({ type: 'AdamW', lr: 3e-4, betas: [0.9, 0.95], weight_decay: 0.05 })
    if (decoded._tag === 'Left') throw new Error(JSON.stringify(decoded.left))
    expect(decoded.right.defaults).toMatchObject({
      lr: 3e-4,
      betas: [0.9, 0.95],
      eps: 1e-8,
      weight_decay: 0.05,
      amsgrad: false,
    })
  })

  it('rejects an unknown argument with a did-you-mean', () => {
    expect(decodeOptimizer({ type: 'SGD', lr: 0.1, momentun: 0.9 })).toEqual({
      _tag: 'Left',
      left: [{ path: 'momentun', message: "unknown key (did you mean 'momentum'?)" }],
    })
    const adamTypo = decodeOptimizer({ type: 'AdamW', weight_decy: 0.1 })
    expect(adamTypo._tag).toBe('Left')
    if (adamTypo._tag === 'Left') {
      expect(adamTypo.left.map((i) => i.path)).toEqual(['weight_decy'])
      expect(adamTypo.left[0]!.message).toContain("did you mean 'weight_decay'?")
    }
  })

  it('rejects an unknown type with a did-you-mean and names unavailable ones', () => {
    const typo = decodeOptimizer({ type: 'Adamm' })
    expect(typo._tag === 'Left' && typo.left[0]).toMatchObject({ path: 'type' })
    expect(typo._tag === 'Left' && typo.left[0]!.message).toContain("did you mean 'Adam'")
    const lbfgs = decodeOptimizer({ type: 'LBFGS', lr: 1 })
    expect(lbfgs._tag === 'Left' && lbfgs.left[0]!.message).toContain('not available')
  })

  it('requires lr for SGD and LARS (and only for them)', () => {
    for (const type of ['SGD', 'LARS']) {
      const decoded = decodeOptimizer({ type, momentum: 0.9 })
      expect(decoded._tag, type).toBe('Left')
      if (decoded._tag === 'Left') expect(decoded.left.map((i) => i.path)).toEqual(['lr'])
    }
    for (const type of Object.keys(R.torchDefaults).filter((t) => !needsLr.has(t)))
      expect(decodeOptimizer({ type })._tag, type).toBe('Right')
  })

  it('rejects nesterov without momentum or with dampening (SGD and LARS)', () => {
    for (const type of ['SGD', 'LARS']) {
      const noMomentum = decodeOptimizer({ type, lr: 0.1, nesterov: true })
      expect(noMomentum._tag, type).toBe('Left')
      if (noMomentum._tag === 'Left') expect(noMomentum.left[0]!.message).toContain('nesterov')
      expect(decodeOptimizer({ type, lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })._tag, type).toBe('Left')
      expect(decodeOptimizer({ type, lr: 0.1, nesterov: true, momentum: 0.9 })._tag, type).toBe('Right')
    }
  })

  it('every registered type builds a transformation', () => {
    for (const type of Object.keys(R.torchDefaults)) {
      const decoded = decodeOptimizer({ type, lr: 0.1 })
      if (decoded._tag === 'Left') throw new Error(`${type}: ${JSON.stringify(decoded.left)}`)
      const t = decoded.right.type.build()
      expect(typeof t.init).toBe('function')
      expect(typeof t.update).toBe('function')
    }
    expect([...optimizerTypes.entries.keys()].sort()).toEqual(Object.keys(R.torchDefaults).sort())
  })

  // torch 1.13's NAdam and RAdam take no `maximize` argument. If the registry accepts one, the
  // optimizer must honour it (ascend: the step on g with maximize equals the step on −g without).
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  const makers: ReadonlyArray<readonly [string, () => GradientTransformation<any>]> = [
    ['NAdam', nadam],
    ['RAdam', radam],
  ]
  for (const [type, make] of makers) {
    it(`${type}: an accepted 'maximize' argument is not silently ignored`, () => {
      const decoded = decodeOptimizer({ type, maximize: true })
      if (decoded._tag === 'Left') return // rejected, as torch 1.13 does (TypeError)
      const run = (hyper: R.Hyper, sign: number): number[] => {
        const t = make()
        const p = Tree.fromArrays({ w: { shape: [3], values: [0.5, -0.25, 1] } })
        const g = Tree.fromArrays({ w: { shape: [3], values: [0.1 * sign, -0.2 * sign, 0.3 * sign] } })
        const [u, s] = t.update(g, t.init(p), p, [{ names: ['w'], hyper }])
        const next = Tree.applyUpdates(p, u)
        const out = read(next['w']!)
        disposeReplaced([p, g, u, s, next], [])
        return out
      }
      const maximized = run(decoded.right.defaults as R.Hyper, 1)
      const negated = run({ ...(decoded.right.defaults as R.Hyper), maximize: false }, -1)
      expect(maximized, `${type} accepted maximize=True; the parameters must move up the gradient`).toEqual(negated)
    })
  }
})

describe('no per-step tensor leak (owner disposes what each step replaced)', () => {
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  const leakCheck = (make: () => GradientTransformation<any>, hyper: R.Hyper): void => {
    const t = make()
    const groups: ParamGroups = [
      { names: ['a', 'b'], hyper },
      { names: ['c'], hyper: { ...hyper, lr: (hyper['lr'] as number) / 2 } },
    ]
    const rand = prng(99)
    const shapes: Shapes = { a: [4, 3], b: [3], c: [2, 2] }
    const treeOf = (): Tree.Tree =>
      Tree.fromArrays(
        Object.fromEntries(
          Object.entries(shapes).map(([n, s]) => [n, { shape: s, values: randomValues(rand, sizeOf(s)) }]),
        ),
      )
    let params = treeOf()
    let state: unknown = t.init(params)
    let afterTwo = -1
    for (let step = 1; step <= 20; step++) {
      const grads = treeOf()
      const [updates, next] = t.update(grads, state, params, groups)
      const nextParams = Tree.applyUpdates(params, updates)
      disposeReplaced([params, state, grads, updates], [nextParams, next])
      params = nextParams
      state = next
      if (step === 2) afterTwo = tf.memory().numTensors
    }
    const afterTwenty = tf.memory().numTensors
    disposeReplaced([params, state], [])
    expect(afterTwenty).toBe(afterTwo)
  }
  it('SGD with momentum', () => leakCheck(sgd, { ...R.torchDefaults['SGD'], lr: 0.1, momentum: 0.9 }))
  it('AdamW', () => leakCheck(adamw, { ...R.torchDefaults['AdamW'] }))
  it('Lamb', () => leakCheck(lamb, { ...R.torchDefaults['Lamb'] }))
  it('LARS', () => leakCheck(lars, { ...R.torchDefaults['LARS'], lr: 0.1, momentum: 0.9 }))
})

describe('the comparison helpers can fail', () => {
  it('a one-ulp difference is a bit mismatch but within tolerance', () => {
    const x = Math.fround(0.1)
    const next = new Float32Array([x])
    new Uint32Array(next.buffer)[0]! += 1
    expect(ulps(x, next[0]!)).toBe(1)
    expect(firstBitMismatch('x', [next[0]!], [x])).toBeDefined()
    expect(firstToleranceMismatch('x', [next[0]!], [x], RTOL)).toBeUndefined()
    expect(firstToleranceMismatch('x', [x * 1.001], [x], RTOL)).toBeDefined()
  })
})
