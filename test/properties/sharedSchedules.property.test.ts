/**
 * Groups the schedulers treat alike share one schedule: moving the schedulers once per kind of group
 * (`shared`) gives exactly — bit for bit, `_last_value` and `betas` included — what moving them over every
 * group gives, for every family, one step or a jump at a time, on groups drawn from a few contents.
 */
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildAll } from '../../src/optim/schedulers/index.js'
import { stepEpochs, stepIterations } from '../../src/optim/schedulers/jump.js'
import { shared } from '../../src/optim/schedulers/sharedSchedules.js'
import type { SchedulerMove } from '../../src/optim/schedulers/sharedSchedules.js'
import { stepAll } from '../../src/optim/schedulers/stepping.js'
import type { GroupValues, Groups } from '../../src/optim/schedulers/types.js'

const chains: ReadonlyArray<ReadonlyArray<{ readonly [k: string]: unknown }>> = [
  [
    { type: 'LinearLR', start_factor: 0.001, by_epoch: false, begin: 0, end: 37 },
    { type: 'CosineAnnealingLR', T_max: 163, eta_min: 1e-6, by_epoch: false, begin: 37, end: 200 },
  ],
  [{ type: 'CosineAnnealingLR', T_max: 23, eta_min_ratio: 0.01, by_epoch: false, begin: 0, end: 200 }],
  [{ type: 'MultiStepLR', milestones: [30, 60, 120], gamma: 0.1, by_epoch: false }],
  [{ type: 'StepLR', step_size: 3, gamma: 0.5, by_epoch: true }],
  [{ type: 'PolyLR', power: 0.9, eta_min: 1e-4, by_epoch: false, begin: 5, end: 180 }],
  [{ type: 'ExponentialLR', gamma: 0.99, by_epoch: false, end: 150 }],
  [{ type: 'ConstantLR', factor: 0.25, by_epoch: false, end: 40 }],
  [
    { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 50 },
    { type: 'CosineAnnealingMomentum', T_max: 200, eta_min: 0.85, by_epoch: false, begin: 0, end: 200 },
    { type: 'MultiStepLR', milestones: [2, 9], gamma: 0.5, by_epoch: true },
  ],
  [{ type: 'OneCycleLR', eta_max: 0.1, total_steps: 200, by_epoch: false }],
  [{ type: 'CosineRestartLR', periods: [30, 70], restart_weights: [1, 0.5], eta_min: 0, by_epoch: false }],
  [{ type: 'ReduceOnPlateauLR', monitor: 'loss', patience: 0, factor: 0.5, min_value: 1e-5, by_epoch: true }],
  // min_value 'per group' is replaced by one floor per group, alternating: equal groups that differ there differ.
  [{ type: 'ReduceOnPlateauLR', monitor: 'loss', patience: 0, factor: 0.5, min_value: 'per group', by_epoch: true }],
]

const withFloors = (chain: (typeof chains)[number], n: number) =>
  chain.map((s) =>
    s['min_value'] === 'per group' ? { ...s, min_value: Array.from({ length: n }, (_, i) => (i % 2 ? 0.09 : 0)) } : s,
  )

// A few contents; two of them differ only by a key order or by -0, which must keep them apart.
const contents: ReadonlyArray<GroupValues> = [
  { lr: 0.1, momentum: 0.9, weight_decay: 0 },
  { lr: 0.1, momentum: 0.9, weight_decay: 0.05 },
  { lr: 0.1, weight_decay: 0, momentum: 0.9 },
  { lr: 0.02, momentum: 0.9, weight_decay: -0 },
  { lr: 0.02, momentum: 0.9, weight_decay: 0 },
]

const exact = (a: unknown, b: unknown): boolean =>
  typeof a === 'number' && typeof b === 'number'
    ? Object.is(a, b)
    : Array.isArray(a) && Array.isArray(b)
      ? a.length === b.length && a.every((x, i) => exact(x, b[i]))
      : typeof a === 'object' && a !== null && typeof b === 'object' && b !== null
        ? JSON.stringify(Object.keys(a)) === JSON.stringify(Object.keys(b)) &&
          Object.keys(a).every((k) => exact((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
        : a === b

type Action = { readonly kind: 'iter' | 'epoch' | 'val'; readonly loss: number } | { readonly kind: 'jump'; n: number }

const moveOf = (a: Action): SchedulerMove<unknown> => {
  switch (a.kind) {
    case 'iter':
      return (s, g) => stepAll(s, g, { _tag: 'AfterTrainIter' })
    case 'epoch':
      return (s, g) => stepAll(s, g, { _tag: 'AfterTrainEpoch' })
    case 'val':
      return (s, g) => stepAll(s, g, { _tag: 'AfterValEpoch', metrics: { loss: a.loss } })
    case 'jump':
      return a.n % 2 === 0 ? (s, g) => stepIterations(s, g, a.n) : (s, g) => stepEpochs(s, g, 1 + (a.n % 3), 5)
  }
}

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('iter' as const, 'epoch' as const, 'val' as const), loss: fc.double() }),
  fc.record({ kind: fc.constant('jump' as const), n: fc.integer({ min: 0, max: 40 }) }),
)

describe('shared schedules', () => {
  it('move every group exactly as moving each group does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...chains.keys()),
        fc.array(fc.constantFrom(...contents.keys()), { minLength: 1, maxLength: 12 }),
        fc.array(action, { minLength: 1, maxLength: 30 }),
        (c, picks, actions) => {
          // Each group its own object, as the constructor builds them.
          const groups: Groups = picks.map((k) => ({ ...contents[k]! }))
          const built = buildAll(withFloors(chains[c]!, groups.length) as never, groups, {
            epochLength: 5,
            maxEpochs: 40,
            maxIters: 200,
          })
          if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
          let plain: { schedulers: unknown; groups: Groups } = built.right
          let kinds: { schedulers: unknown; groups: Groups } = built.right
          for (const a of actions) {
            const move = moveOf(a)
            const p = move(plain.schedulers as never, plain.groups)
            const k = shared(move)(kinds.schedulers as never, kinds.groups)
            expect(p._tag).toBe(k._tag)
            if (E.isLeft(p) || E.isLeft(k)) {
              expect(k).toEqual(p)
              return
            }
            plain = p.right
            kinds = k.right
            expect(exact(kinds.groups, plain.groups)).toBe(true)
            expect(exact(kinds.schedulers, plain.schedulers)).toBe(true)
          }
        },
      ),
      { numRuns: 400, seed: 1313 },
    )
  })
})
