/**
 * Jumping over iterations: `stepIterations(n)` of the schedulers equals n
 * calls of `stepAll` after iterations (to rounding), and jumps compose.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildAll } from '../../src/optim/schedulers/index.js'
import { stepEpochs, stepIterations } from '../../src/optim/schedulers/jump.js'
import { stepAll } from '../../src/optim/schedulers/stepping.js'
import type { ParamScheduler } from '../../src/optim/schedulers/state.js'
import type { Groups } from '../../src/optim/schedulers/types.js'

const chains: ReadonlyArray<ReadonlyArray<{ readonly [k: string]: unknown }>> = [
  [
    { type: 'LinearLR', start_factor: 0.001, by_epoch: false, begin: 0, end: 37 },
    { type: 'CosineAnnealingLR', T_max: 163, eta_min: 1e-6, by_epoch: false, begin: 37, end: 200 },
  ],
  [{ type: 'CosineAnnealingLR', T_max: 23, eta_min: 0, by_epoch: false, begin: 0, end: 200 }],
  [{ type: 'MultiStepLR', milestones: [30, 60, 60, 120], gamma: 0.1, by_epoch: false }],
  [{ type: 'StepLR', step_size: 17, gamma: 0.5, by_epoch: false }],
  [{ type: 'PolyLR', power: 0.9, eta_min: 1e-4, by_epoch: false, begin: 5, end: 180 }],
  [{ type: 'ExponentialLR', gamma: 0.99, by_epoch: false, end: 150 }],
  [{ type: 'ConstantLR', factor: 0.25, by_epoch: false, end: 40 }],
  [
    { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 50 },
    { type: 'CosineAnnealingMomentum', T_max: 200, eta_min: 0.85, by_epoch: false, begin: 0, end: 200 },
    { type: 'MultiStepLR', milestones: [20, 90], gamma: 0.5, by_epoch: false },
  ],
  [{ type: 'OneCycleLR', eta_max: 0.1, total_steps: 200, by_epoch: false }],
]

const build = (chain: (typeof chains)[number]) => {
  const defaults = { lr: 0.1, momentum: 0.9 }
  const built = buildAll(chain as never, [defaults, { ...defaults, lr: 0.01 }], {
    epochLength: 10,
    maxEpochs: 20,
    maxIters: 200,
    realGroups: 2,
    defaults,
  })
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right
}

const stepped = (
  state: { schedulers: ReadonlyArray<ParamScheduler>; groups: Groups },
  n: number,
  trigger: 'AfterTrainIter' | 'AfterTrainEpoch' = 'AfterTrainIter',
) => {
  let s = state
  for (let k = 0; k < n; k++) {
    const r = stepAll(s.schedulers, s.groups, { _tag: trigger })
    if (r._tag === 'Left') throw new Error(r.left.message)
    s = { schedulers: r.right.schedulers, groups: r.right.groups }
  }
  return s
}

const close = (a: unknown, b: unknown): boolean =>
  typeof a === 'number' && typeof b === 'number'
    ? a === b || Math.abs(a - b) <= 1e-10 * Math.max(Math.abs(a), Math.abs(b))
    : Array.isArray(a) && Array.isArray(b)
      ? a.length === b.length && a.every((x, i) => close(x, b[i]))
      : typeof a === 'object' && a !== null && typeof b === 'object' && b !== null
        ? Object.keys(a).every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
        : a === b

describe('jumping schedulers over iterations', () => {
  it('equals stepping after every iteration, to rounding, and jumps compose', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...chains.keys()),
        fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 4 }),
        (c, jumps) => {
          const start = build(chains[c]!)
          let jumped = start
          for (const n of jumps) {
            const r = stepIterations(jumped.schedulers, jumped.groups, n)
            if (r._tag === 'Left') throw new Error(r.left.message)
            jumped = { schedulers: r.right.schedulers, groups: r.right.groups }
          }
          const walked = stepped(
            start,
            jumps.reduce((a, b) => a + b, 0),
          )
          expect(close(jumped.groups, walked.groups)).toBe(true)
          expect(close(jumped.schedulers, walked.schedulers)).toBe(true)
        },
      ),
      { numRuns: 300, seed: 31 },
    )
  })
})

/** Chains mixing epoch- and iteration-based schedulers (10 iterations an epoch, 20 epochs). */
const mixed: ReadonlyArray<ReadonlyArray<{ readonly [k: string]: unknown }>> = [
  [
    { type: 'LinearLR', start_factor: 0.001, by_epoch: false, begin: 0, end: 37 },
    { type: 'CosineAnnealingLR', T_max: 19, eta_min: 1e-6, by_epoch: true, begin: 1, end: 20 },
  ],
  [{ type: 'MultiStepLR', milestones: [3, 7, 12], gamma: 0.1, by_epoch: true }],
  [
    { type: 'PolyLR', power: 0.9, eta_min: 1e-4, by_epoch: true, begin: 2, end: 18 },
    { type: 'CosineAnnealingMomentum', T_max: 200, eta_min: 0.85, by_epoch: false, begin: 0, end: 200 },
  ],
  [
    { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 120 },
    { type: 'StepLR', step_size: 4, gamma: 0.5, by_epoch: true },
  ],
]

describe('jumping schedulers over whole epochs', () => {
  it('equals stepping after every iteration and every epoch end, to rounding', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...mixed.keys()),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 4 }),
        (c, jumps) => {
          const start = build(mixed[c]!)
          let jumped = start
          let walked = start
          for (const n of jumps) {
            const r = stepEpochs(jumped.schedulers, jumped.groups, n, 10)
            if (r._tag === 'Left') throw new Error(r.left.message)
            jumped = { schedulers: r.right.schedulers, groups: r.right.groups }
            for (let e = 0; e < n; e++) walked = stepped(stepped(walked, 10), 1, 'AfterTrainEpoch')
          }
          expect(close(jumped.groups, walked.groups)).toBe(true)
          expect(close(jumped.schedulers, walked.schedulers)).toBe(true)
        },
      ),
      { numRuns: 200, seed: 32 },
    )
  })
})
