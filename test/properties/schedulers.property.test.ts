/**
 * Laws of the parameter schedulers (spec §12):
 * - acting alone, the recursive (chainable) rule equals the closed form of
 *   §12.2 at every in-range step, leaves the value alone before `begin` and
 *   freezes it from `end` on (1e-12 relative; cosine beyond T_max only when
 *   x₀ = b, as documented);
 * - resume: stepping n times, saving (through JSON), loading into freshly
 *   built schedulers and stepping m more is bit-identical to n + m steps;
 * - multiplicative schedules commute (up to float rounding);
 * - a momentum scheduler on Adam `betas` and a generic `*ParamScheduler` on
 *   `lr` behave exactly as the LR/SGD-momentum versions.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as S from '../../src/optim/schedulers/index.js'

const right = <A>(
  e: { readonly _tag: 'Left'; readonly left: unknown } | { readonly _tag: 'Right'; readonly right: A },
): A => {
  if (e._tag === 'Left') throw new Error(`expected Right, got ${JSON.stringify(e.left)}`)
  return e.right
}

const closeRel = (a: number, b: number, rel = 1e-12): boolean =>
  a === b || Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b))

const double = (min: number, max: number): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true })

/** A scheduler config acting alone on `{ lr: x0, initial_lr: b }`, with its closed form. */
interface Alone {
  readonly config: {
    readonly type: string
    readonly begin: number
    readonly end: number
    readonly [key: string]: unknown
  }
  readonly x0: number
  readonly b: number
  /** The value at in-range step t. */
  readonly closed: (t: number) => number
  /** Whether the closed form is claimed at t (cosine beyond T_max needs x₀ = b). */
  readonly holds: (t: number) => boolean
}

const range = fc.record({ begin: fc.integer({ min: 0, max: 4 }), length: fc.integer({ min: 1, max: 40 }) })
const start = fc.record({ x0: double(1e-3, 2), b: fc.option(double(1e-3, 2), { nil: undefined }) })

const alone = (
  type: string,
  args: (
    length: number,
    x0: number,
    b: number,
  ) => fc.Arbitrary<{
    readonly config: { readonly [key: string]: unknown }
    readonly closed: (t: number) => number
    readonly holds?: (t: number) => boolean
  }>,
  lengths: fc.Arbitrary<{ readonly begin: number; readonly length: number }> = range,
): fc.Arbitrary<Alone> =>
  fc.tuple(lengths, start).chain(([{ begin, length }, { x0, b }]) =>
    args(length, x0, b ?? x0).map((a) => ({
      config: { type, begin, end: begin + length, ...a.config },
      x0,
      b: b ?? x0,
      closed: a.closed,
      holds: a.holds ?? (() => true),
    })),
  )

const gamma = double(0.05, 2)

const families: ReadonlyArray<readonly [string, fc.Arbitrary<Alone>]> = [
  [
    'Step',
    alone('StepLR', (_, x0) =>
      fc
        .record({ step_size: fc.integer({ min: 1, max: 8 }), gamma })
        .map((a) => ({ config: a, closed: (t) => S.stepAt(x0, t, a) })),
    ),
  ],
  [
    'MultiStep',
    alone('MultiStepLR', (length, x0) =>
      fc
        .record({ milestones: fc.array(fc.integer({ min: 0, max: length + 1 }), { maxLength: 5 }), gamma })
        .map((a) => ({ config: a, closed: (t) => S.multiStepAt(x0, t, a) })),
    ),
  ],
  [
    'Constant',
    alone('ConstantLR', (length, x0) =>
      fc
        .record({ factor: double(0.01, 1) })
        .map((a) => ({ config: a, closed: (t) => S.constantAt(x0, t, { ...a, total_iters: length - 1 }) })),
    ),
  ],
  [
    'Exponential',
    alone('ExponentialLR', (_, x0) =>
      fc.record({ gamma: double(0.5, 1.5) }).map((a) => ({ config: a, closed: (t) => S.exponentialAt(x0, t, a) })),
    ),
  ],
  [
    'Linear',
    alone('LinearLR', (length, x0) =>
      fc
        .record({ start_factor: double(0.01, 1), end_factor: double(0.01, 1) })
        .map((a) => ({ config: a, closed: (t) => S.linearAt(x0, t, { ...a, total_iters: length - 1 }) })),
    ),
  ],
  [
    'CosineAnnealing',
    alone('CosineAnnealingLR', (length, x0, b) =>
      fc
        .record({
          T_max: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
          floor: fc.oneof(
            fc.record({ eta_min: double(0, 0.5).map((f) => f * Math.min(x0, b)) }),
            fc.record({ eta_min_ratio: double(0, 0.5) }),
          ),
        })
        .map(({ T_max, floor }) => {
          const T = T_max ?? length
          const eta = 'eta_min' in floor ? floor.eta_min : b * floor.eta_min_ratio
          return {
            config: { ...(T_max === undefined ? {} : { T_max }), ...floor },
            closed: (t: number) => S.cosineAnnealingAt(x0, t, { T_max: T, eta_min: eta }),
            holds: (t: number) => t <= T || x0 === b,
          }
        }),
    ),
  ],
  [
    'Poly',
    alone('PolyLR', (length, x0) =>
      fc
        .record({ eta_min: double(0, 0.5).map((f) => f * x0), power: double(0.5, 3) })
        .map((a) => ({ config: a, closed: (t) => S.polyAt(x0, t, { ...a, total_iters: length - 1 }) })),
    ),
  ],
  [
    'CosineRestart',
    alone('CosineRestartLR', (_, x0, b) =>
      fc
        .array(fc.tuple(fc.integer({ min: 1, max: 12 }), double(0.1, 1)), { minLength: 1, maxLength: 4 })
        .chain((pw) =>
          fc.record({
            pw: fc.constant(pw),
            floor: fc.oneof(
              fc.record({ eta_min: double(0, 0.05).map((f) => f * b) }),
              fc.record({ eta_min_ratio: double(0, 0.05) }),
            ),
          }),
        )
        .map(({ pw, floor }) => {
          const a = { periods: pw.map(([p]) => p), restart_weights: pw.map(([, w]) => w) }
          const eta = 'eta_min' in floor ? floor.eta_min : b * floor.eta_min_ratio
          return {
            config: { ...a, ...floor },
            closed: (t: number) => S.cosineRestartAt(x0, b, t, { ...a, eta_min: eta }),
          }
        }),
    ),
  ],
  [
    'OneCycle (two phases)',
    alone(
      'OneCycleLR',
      (length) =>
        fc
          .record({
            eta_max: double(0.1, 10),
            pct_start: double(0.2, 0.8),
            anneal_strategy: fc.constantFrom('cos' as const, 'linear' as const),
            div_factor: double(2, 50),
            final_div_factor: double(2, 1e4),
          })
          .map((a) => ({
            config: a,
            closed: (t) => S.oneCycleAt(t, { ...a, total_steps: length, three_phase: false }),
          })),
      fc.record({ begin: fc.integer({ min: 0, max: 4 }), length: fc.integer({ min: 10, max: 60 }) }),
    ),
  ],
  [
    'OneCycle (three phases)',
    alone(
      'OneCycleLR',
      (length) =>
        fc
          .record({
            eta_max: double(0.1, 10),
            pct_start: double(0.1, 0.45),
            anneal_strategy: fc.constantFrom('cos' as const, 'linear' as const),
            div_factor: double(2, 50),
            final_div_factor: double(2, 1e4),
          })
          .map((a) => ({
            config: { ...a, three_phase: true },
            closed: (t) => S.oneCycleAt(t, { ...a, total_steps: length, three_phase: true }),
          })),
      fc.record({ begin: fc.integer({ min: 0, max: 4 }), length: fc.integer({ min: 20, max: 60 }) }),
    ),
  ],
]

describe('the recursive rule acting alone equals the closed form', () => {
  for (const [name, arbitrary] of families) {
    it(name, () => {
      fc.assert(
        fc.property(arbitrary, ({ config, x0, b, closed, holds }) => {
          const length = config.end - config.begin
          const steps = config.end + 3
          const curve = right(S.curve(config, [{ lr: x0, initial_lr: b }], {}, steps)).map((v) => v[0]!)
          curve.forEach((value, g) => {
            // Before begin: untouched. In range: the closed form at t = g − begin. From end on: frozen.
            const t = Math.min(g - config.begin, length - 1)
            if (g < config.begin) expect(value).toBe(x0)
            else if (holds(t) && !closeRel(value, closed(t)))
              expect.fail(`global step ${g} (t=${t}): recursive ${value} vs closed form ${closed(t)}`)
          })
        }),
      )
    })
  }
})

/** Any scheduler config for a list, with a mix of by_epoch settings (ReduceOnPlateau always by epoch). */
const anyConfig: fc.Arbitrary<{ readonly [key: string]: unknown }> = fc
  .tuple(fc.constantFrom(...families.map(([, a]) => a)), fc.constantFrom('epoch', 'iter', 'converted'))
  .chain(([arbitrary, mode]) =>
    arbitrary.map(({ config }) => ({
      ...config,
      ...(mode === 'iter' ? { by_epoch: false } : mode === 'converted' ? { convert_to_iter_based: true } : {}),
    })),
  )

const plateauConfig = fc.record({
  type: fc.constant('ReduceOnPlateauLR'),
  begin: fc.integer({ min: 0, max: 3 }),
  patience: fc.integer({ min: 0, max: 3 }),
  cooldown: fc.integer({ min: 0, max: 2 }),
  factor: double(0.1, 0.9),
  threshold_rule: fc.constantFrom('rel', 'abs'),
  rule: fc.constantFrom('less', 'greater'),
})

const trigger: fc.Arbitrary<S.SchedulerTrigger> = fc.oneof(
  fc.constant({ _tag: 'AfterTrainIter' as const }),
  fc.constant({ _tag: 'AfterTrainEpoch' as const }),
  double(0, 10).map((loss) => ({ _tag: 'AfterValEpoch' as const, metrics: { loss } })),
)

const context = { epochLength: 3, maxEpochs: 20, maxIters: 60 }

type Run = { readonly schedulers: ReadonlyArray<S.ParamScheduler>; readonly groups: S.Groups }

/** Drive the list through the triggers, recording the groups after each; an error ends the run. */
const drive = (
  state: Run,
  triggers: ReadonlyArray<S.SchedulerTrigger>,
): { readonly state: Run; readonly trace: ReadonlyArray<S.Groups>; readonly error?: S.StepAllError } => {
  const trace: S.Groups[] = []
  let current = state
  for (const t of triggers) {
    const r = S.stepAll(current.schedulers, current.groups, t)
    if (r._tag === 'Left') return { state: current, trace, error: r.left }
    current = r.right
    trace.push(current.groups)
  }
  return { state: current, trace }
}

describe('resume law', () => {
  it(
    'n steps, state dicts through JSON, load into fresh schedulers, m more steps ≡ n ' + '+ m steps (bit-identical)',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof({ weight: 4, arbitrary: anyConfig }, { weight: 1, arbitrary: plateauConfig }), {
            minLength: 1,
            maxLength: 3,
          }),
          fc.array(trigger, { maxLength: 40 }),
          fc.nat(),
          double(1e-3, 1),
          (configs, triggers, cut, lr) => {
            const groups = [{ lr, initial_lr: lr }]
            const built = right(S.buildAll(configs, groups, context))
            const n = cut % (triggers.length + 1)
            const whole = drive(built, triggers)
            const first = drive(built, triggers.slice(0, n))
            if (first.error !== undefined) return // the uninterrupted run fails at the same step; nothing is resumed
            const saved = JSON.parse(
              JSON.stringify({ schedulers: first.state.schedulers.map(S.stateDict), groups: first.state.groups }),
            ) as { schedulers: unknown[]; groups: S.Groups }
            const fresh = right(S.buildAll(configs, groups, context))
            const loaded = fresh.schedulers.map((s, i) => right(S.loadStateDict(s, saved.schedulers[i])))
            const rest = drive({ schedulers: loaded, groups: saved.groups }, triggers.slice(n))
            expect([...first.trace, ...rest.trace]).toEqual(whole.trace)
            expect(rest.state).toEqual(whole.state)
            expect(rest.error).toEqual(whole.error)
          },
        ),
      )
    },
  )
})

const multiplicative = fc.oneof(
  fc.record({ type: fc.constant('StepLR'), step_size: fc.integer({ min: 1, max: 6 }), gamma }),
  fc.record({ type: fc.constant('ExponentialLR'), gamma: double(0.5, 1.5) }),
  fc.record({
    type: fc.constant('MultiStepLR'),
    milestones: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }),
    gamma,
  }),
  fc.record({ type: fc.constant('ConstantLR'), factor: double(0.01, 1) }),
  fc.record({ type: fc.constant('LinearLR'), start_factor: double(0.01, 1), end_factor: double(0.01, 1) }),
)
const placed = <A extends object>(a: fc.Arbitrary<A>) =>
  fc
    .tuple(a, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 25 }))
    .map(([c, begin, length]) => ({ ...c, begin, end: begin + length, by_epoch: false }))

const lrTrace = (configs: ReadonlyArray<unknown>, lr: number, iters: number): number[] => {
  const built = right(S.buildAll(configs, [{ lr }]))
  return [
    built.groups,
    ...drive(
      built,
      Array.from({ length: iters }, () => ({ _tag: 'AfterTrainIter' as const })),
    ).trace,
  ].map((g) => g[0]!['lr'] as number)
}

describe('chaining order', () => {
  it('Step and Exponential commute (up to float rounding of the product)', () => {
    const step = placed(fc.record({ type: fc.constant('StepLR'), step_size: fc.integer({ min: 1, max: 6 }), gamma }))
    const exp = placed(fc.record({ type: fc.constant('ExponentialLR'), gamma: double(0.5, 1.5) }))
    fc.assert(
      fc.property(step, exp, double(1e-3, 1), (a, b, lr) => {
        const ab = lrTrace([a, b], lr, 40)
        const ba = lrTrace([b, a], lr, 40)
        ab.forEach((x, i) => {
          expect(closeRel(x, ba[i]!), `iteration ${i}: ${x} vs ${ba[i]}`).toBe(true)
        })
      }),
    )
  })

  it('any two multiplicative schedules (Step, Exponential, MultiStep, Constant, Linear) commute', () => {
    fc.assert(
      fc.property(placed(multiplicative), placed(multiplicative), double(1e-3, 1), (a, b, lr) => {
        const ab = lrTrace([a, b], lr, 40)
        const ba = lrTrace([b, a], lr, 40)
        ab.forEach((x, i) => {
          expect(closeRel(x, ba[i]!), `iteration ${i}: ${x} vs ${ba[i]}`).toBe(true)
        })
      }),
    )
  })
})

describe('kinds share one mechanism', () => {
  const schedule = families.filter(([name]) => !name.startsWith('OneCycle')).map(([, a]) => a)

  it('XMomentum on Adam betas ≡ XMomentum on SGD momentum, and betas[0] mirrors momentum', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...schedule).chain((a) => a),
        ({ config, x0 }) => {
          const momentum = { ...config, type: config.type.replace(/LR$/, 'Momentum') }
          const sgd = right(S.curve(momentum, [{ lr: 1, momentum: x0 }], {}, config.end + 2))
          const built = right(S.build(momentum, [{ lr: 1, betas: [x0, 0.999] }]))
          let { scheduler, groups } = built
          const adam = [scheduler._last_value]
          for (let k = 1; k < config.end + 2; k++) {
            ;({ scheduler, groups } = right(S.step(scheduler, groups)))
            adam.push(scheduler._last_value)
            expect(groups[0]!['betas']).toEqual([groups[0]!['momentum'], 0.999])
          }
          expect(adam).toEqual(sgd)
        },
      ),
    )
  })

  it("XParamScheduler(param_name='lr') ≡ XLR", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...families.map(([, a]) => a)).chain((a) => a),
        ({ config, x0, b }) => {
          const generic = { ...config, type: config.type.replace(/LR$/, 'ParamScheduler'), param_name: 'lr' }
          const groups = [{ lr: x0, initial_lr: b }]
          const a = right(S.curve(config, groups, {}, config.end + 2))
          expect(right(S.curve(generic, groups, {}, config.end + 2))).toEqual(a)
        },
      ),
    )
  })
})
