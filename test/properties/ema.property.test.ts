/**
 * Laws of weight averaging (EMAHook, spec §4.1), in MMEngine's convention
 * `avg ← (1 − m)·avg + m·param`, float32:
 * - momentum 0 keeps the average (after the first update, which copies);
 * - momentum 1 tracks the parameters;
 * - the average of a constant is that constant (up to the sign of zero), for every averaging type,
 *   momentum, gamma and interval — also through the hook with `TensorOps`;
 * - stochastic weight averaging is the running mean (up to float32 rounding);
 * - resume: stopping after k updates, saving the hook's state in a checkpoint
 *   and resuming continues bit-identically (here through the hook with a
 *   numeric `TensorOps`; test/unit/hooks/EMAHook.tensor.test.ts checks the same
 *   with the tensor interpreter and real checkpoint files).
 */
import fc from 'fast-check'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../src/dsl/Loop.js'
import * as Program from '../../src/dsl/Program.js'
import type { State } from '../../src/dsl/State.js'
import { average32, averagingTypes, updateAt } from '../../src/hooks/ema/averaging.js'
import type { Averaging } from '../../src/hooks/ema/averaging.js'
import type { EMAHookState } from '../../src/hooks/EMAHook.js'
import { initialState } from '../../src/interpreters/interpret.js'
import { FakeTensors, runNumeric } from '../unit/hooks/support.js'

const f32 = fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map(Math.fround)
const values = fc.array(f32, { minLength: 1, maxLength: 40 })
const averaging: fc.Arbitrary<Averaging> = fc.record({
  type: fc.constantFrom(...averagingTypes),
  momentum: fc.double({ min: 1e-6, max: 0.999, noNaN: true }),
  gamma: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
  interval: fc.integer({ min: 1, max: 5 }),
})
const ema = (momentum: number, interval = 1): Averaging => ({
  type: 'ExponentialMovingAverage',
  momentum,
  gamma: 100,
  interval,
})

describe('weight averaging laws', () => {
  it('momentum 0 keeps the average: it stays at the first (copied) value', () => {
    fc.assert(
      fc.property(values, fc.integer({ min: 1, max: 5 }), (vs, interval) =>
        Object.is(average32(ema(0, interval), vs), vs[0]!),
      ),
    )
  })

  it('momentum 1 tracks the parameters: the average is the latest value (at every averaging step)', () => {
    fc.assert(fc.property(values, (vs) => Object.is(average32(ema(1), vs), vs.at(-1)!)))
  })

  // Up to the sign of zero, as in torch: −0 + 0·w is +0.
  it('the average of a constant is the constant, for every type, momentum, gamma and interval', () => {
    fc.assert(
      fc.property(
        averaging,
        f32,
        fc.integer({ min: 1, max: 60 }),
        (a, c, n) =>
          average32(
            a,
            Array.from({ length: n }, () => c),
          ) === c,
      ),
    )
  })

  it('stochastic weight averaging is the running mean of the averaged values (float32 rounding aside)', () => {
    fc.assert(
      fc.property(values, fc.integer({ min: 1, max: 4 }), (vs, interval) => {
        const a: Averaging = { type: 'StochasticWeightAverage', momentum: 0, gamma: 100, interval }
        // Updates at steps 0, interval, 2·interval, … average; the others keep.
        const used = vs.filter((_, s) => updateAt(a, s)._tag !== 'Keep')
        const mean = used.reduce((x, y) => x + y, 0) / used.length
        const scale = Math.max(...used.map(Math.abs), 1)
        return Math.abs(average32(a, vs) - mean) <= 8 * used.length * 2 ** -23 * scale
      }),
    )
  })

  it('splitting the updates anywhere and carrying (average, steps) over changes nothing', () => {
    fc.assert(
      fc.property(averaging, values, fc.nat(), (a, vs, k0) => {
        const k = k0 % (vs.length + 1)
        const head = vs.slice(0, k)
        const carried = { avg: average32(a, head), steps: head.length }
        return Object.is(average32(a, vs.slice(k), k === 0 ? undefined : carried), average32(a, vs))
      }),
    )
  })
})

describe('the laws through EMAHook (numeric TensorOps, dry services)', () => {
  const KEY = 'custom_hooks[0]'
  const programOf = (args: { readonly [k: string]: unknown }, maxEpochs: number) =>
    pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: maxEpochs })),
      Program.withCustomHook({ type: 'EMAHook', args: args as never }),
    )
  const hookArgs = fc.oneof(
    fc.record({
      ema_type: fc.constant('ExponentialMovingAverage'),
      momentum: fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
      interval: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      ema_type: fc.constant('MomentumAnnealingEMA'),
      momentum: fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
      gamma: fc.integer({ min: 1, max: 50 }),
    }),
    fc.record({ ema_type: fc.constant('StochasticWeightAverage'), interval: fc.integer({ min: 1, max: 3 }) }),
  )
  const startOf = (program: Program.Program, t: FakeTensors, batches: number, w: ReadonlyArray<number>): State => ({
    ...initialState(program, { train: batches }, 0),
    model: { params: { w: t.ref(w) }, buffers: {}, attributes: {}, training: true },
  })
  const averageOf = (t: FakeTensors, s: State) => t.values((s.hooks[KEY] as EMAHookState).params['w']!)

  it('a constant parameter is its own average', async () => {
    await fc.assert(
      fc.asyncProperty(
        hookArgs,
        fc.array(f32, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 6 }),
        async (args, w, batches) => {
          const t = new FakeTensors()
          const program = programOf(args, 1)
          const { state } = await runNumeric(program, { train: batches }, t, {
            state: startOf(program, t, batches, w),
            script: () => ({ params: { w: t.ref(w) } }),
          })
          expect(averageOf(t, state).map((v) => v + 0)).toEqual(w.map((v) => v + 0))
        },
      ),
      { numRuns: 30 },
    )
  })

  it('resuming from any epoch’s checkpoint continues bit-identically', async () => {
    await fc.assert(
      fc.asyncProperty(
        hookArgs,
        fc.array(fc.array(f32, { minLength: 2, maxLength: 2 }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 1 }),
        async (args, trajectory, at) => {
          const t = new FakeTensors()
          const program = programOf(args, 3)
          const script = (iter: number) => ({ params: { w: t.ref(trajectory[iter]!) } })
          const whole = await runNumeric(program, { train: 2 }, t, { state: startOf(program, t, 2, [0, 0]), script })
          const ckpt = whole.saved[at]!.state
          const from = { epoch: at + 1, iter: 2 * (at + 1) }
          const resumed = await runNumeric(program, { train: 2 }, t, {
            state: { ...ckpt, counters: { ...ckpt.counters, ...from } },
            script,
            timeline: { loadsCheckpoint: true, start: from },
          })
          expect(averageOf(t, resumed.state)).toEqual(averageOf(t, whole.state))
          expect((resumed.state.hooks[KEY] as EMAHookState).steps).toBe(6)
          expect(t.values(resumed.state.model.params['w']!)).toEqual(t.values(whole.state.model.params['w']!))
        },
      ),
      { numRuns: 30 },
    )
  })
})
