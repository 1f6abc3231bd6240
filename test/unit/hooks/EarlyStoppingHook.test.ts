import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { issuesOf } from '../../../src/schema/codec.js'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import * as S from '../../../src/dsl/State.js'
import { decide, EarlyStoppingHook, initialStopState, stopRuleOf } from '../../../src/hooks/EarlyStoppingHook.js'
import type { EarlyStoppingHookArgs, EarlyStoppingState } from '../../../src/hooks/EarlyStoppingHook.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import { FakeTensors, runNumeric } from './support.js'

const decodeArgs = (args: unknown) => {
  const r = EarlyStoppingHook.args.decode(args)
  return r._tag === 'Right'
    ? 'ok'
    : issuesOf(r.left)
        .map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`))
        .join('; ')
}

/** Feed scores one validation at a time; the verdicts (undefined: go on). */
const feed = (args: EarlyStoppingHookArgs, scores: ReadonlyArray<number>) => {
  const rule = stopRuleOf(args)
  let s = initialStopState(rule)
  return scores.map((score) => {
    const v = decide(rule, s, score)
    s = v.state
    return { stop: v.stop, best: s.best, wait: s.wait }
  })
}

describe('EarlyStoppingHook arguments and rule', () => {
  it(
    'has MMEngine’s defaults: min_delta 0.1 (not the docstring’s 0.01), patience 5, ' + 'check_finite, rule inferred',
    () => {
      expect(stopRuleOf({ monitor: 'accuracy/top1' })).toEqual({
        monitor: 'accuracy/top1',
        rule: 'greater',
        delta: 0.1,
        checkFinite: true,
        patience: 5,
        threshold: null,
      })
      expect(stopRuleOf({ monitor: 'val/loss', min_delta: 0.2 })).toMatchObject({ rule: 'less', delta: -0.2 })
      expect(stopRuleOf({ monitor: 'mIoU' }).rule).toBe('greater')
      expect(stopRuleOf({ monitor: 'loss_acc', rule: 'less' }).rule).toBe('less')
    },
  )
  it('needs a monitor, a known rule, and a rule it can infer', () => {
    expect(decodeArgs({ monitor: 'acc' })).toBe('ok')
    expect(decodeArgs({})).toMatch(/^monitor: required key missing/)
    expect(decodeArgs({ monitor: 'acc', rule: 'bigger' })).toMatch(/^rule: expected one of "greater", "less"/)
    expect(decodeArgs({ monitor: 'f1_score' })).toMatch(
      /cannot infer whether 'f1_score' should be greater or less.*set rule='greater' or rule='less'/,
    )
    expect(
      decodeArgs({
        monitor: 'f1_score',
        rule: 'greater',
        patience: 2,
        stopping_threshold: null,
        strict: true,
        check_finite: false,
        min_delta: 0,
      }),
    ).toBe('ok')
    expect(decodeArgs({ monitor: 'acc', patience: -1 })).toMatch(/^patience: /)
  })
})

describe('EarlyStoppingHook decisions (hand-computed)', () => {
  it('greater: improving means beating best + min_delta; patience records without improvement stop', () => {
    const v = feed({ monitor: 'acc', patience: 2 }, [0.5, 0.55, 0.7, 0.75, 0.79])
    expect(v.map((x) => [x.best, x.wait])).toEqual([
      [0.5, 0],
      [0.5, 1],
      [0.7, 0],
      [0.7, 1],
      [0.7, 2],
    ])
    expect(v.slice(0, 4).every((x) => x.stop === undefined)).toBe(true)
    expect(v[4]!.stop).toBe('the monitored metric did not improve in the last 2 records. best score: 0.700. ')
  })
  it('less: the delta counts downwards', () => {
    const v = feed({ monitor: 'loss', patience: 1, min_delta: 0.5 }, [3, 2.4, 2.0])
    expect(v.map((x) => x.best)).toEqual([3, 2.4, 2.4])
    expect(v[2]!.stop).toBe('the monitored metric did not improve in the last 1 records. best score: 2.400. ')
  })
  it('a score that reaches stopping_threshold stops at once and becomes the best', () => {
    const v = feed({ monitor: 'acc', stopping_threshold: 0.9 }, [0.5, 0.95])
    expect(v[1]).toEqual({ stop: 'Stopping threshold reached: `acc` = 0.95 is greater than 0.9.', best: 0.95, wait: 0 })
  })
  it(
    'NaN or ±∞ stops with check_finite (MMEngine’s wording says “infinite” for NaN ' +
      'too); without it a NaN is taken as the new best, as in MMEngine (every ' +
      'comparison with NaN is false)',
    () => {
      expect(feed({ monitor: 'acc' }, [0.5, NaN])[1]!.stop).toBe(
        'Monitored metric acc = nan is infinite. Previous best value was 0.500.',
      )
      expect(feed({ monitor: 'loss' }, [-Infinity])[0]!.stop).toBe(
        'Monitored metric loss = -inf is infinite. Previous best value was inf.',
      )
      expect(feed({ monitor: 'acc', check_finite: false, patience: 1 }, [0.5, NaN])[1]).toEqual({
        stop: undefined,
        best: NaN,
        wait: 0,
      })
    },
  )
})

describe('EarlyStoppingHook in a run', () => {
  const program = (args: { readonly [k: string]: unknown }) =>
    pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 10 })),
      Program.withValLoop(Loop.ValLoop()),
      Program.withCustomHook({ type: 'EarlyStoppingHook', args: args as never }),
    )
  const scores = [0.5, 0.55, 0.58, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1]

  it(
    'requests a stop after the patience-th validation without improvement; training ' + 'ends before the next epoch',
    async () => {
      const { state, recording } = await runNumeric(
        program({ monitor: 'accuracy/top1', patience: 2 }),
        { train: 3, val: 1 },
        new FakeTensors(),
        {
          metrics: (s) => ({ 'accuracy/top1': scores[s.counters.epoch - 1]!, 'accuracy/top5': 1 }),
        },
      )
      expect(state.stopTraining).toBe(true)
      expect(state.counters.epoch).toBe(3)
      expect(recording.stepCounts.train).toBe(9)
      expect(
        recording.logs
          .filter((l) => l.level === 'INFO' && l.message.startsWith('the monitored'))
          .map((l) => [l.message, l.epoch]),
      ).toEqual([['the monitored metric did not improve in the last 2 records. best score: 0.500. ', 3]])
      expect(state.hooks['custom_hooks[0]']).toEqual({ _tag: 'EarlyStoppingState', best: 0.5, wait: 2 })
    },
  )

  it(
    'a missing monitor: strict is an error naming the metric and the available ones; ' +
      'otherwise a warning and no stop',
    async () => {
      const metrics = () => ({ 'accuracy/top1': 0.5, 'accuracy/top5': 0.9 })
      await expect(
        runNumeric(program({ monitor: 'acc', strict: true }), { train: 1, val: 1 }, new FakeTensors(), { metrics }),
      ).rejects.toThrow(
        "monitor 'acc' is not among the validation metrics (accuracy/top1, " +
          'accuracy/top5); fix monitor or set strict=False to skip early stopping when it ' +
          'is missing',
      )
      const { state, recording } = await runNumeric(
        program({ monitor: 'acc' }),
        { train: 1, val: 1 },
        new FakeTensors(),
        { metrics },
      )
      expect(state.stopTraining).toBe(false)
      expect(state.counters.epoch).toBe(10)
      const warnings = recording.logs.filter((l) => l.level === 'WARNING').map((l) => l.message)
      expect(warnings).toHaveLength(10)
      expect(warnings[0]).toBe(
        'Skip early stopping process since the evaluation results (accuracy/top1, ' +
          'accuracy/top5) do not include `monitor` (acc).',
      )
    },
  )

  it('starts over at every run start, as MMEngine’s hook does on resume', async () => {
    const p = program({ monitor: 'acc', patience: 1 })
    const resumed = S.setHookState(initialState(p, { train: 1, val: 1 }, 0), 'custom_hooks[0]', {
      _tag: 'EarlyStoppingState',
      best: 2,
      wait: 0,
    } satisfies EarlyStoppingState)
    const { state } = await runNumeric(p, { train: 1, val: 1 }, new FakeTensors(), {
      state: resumed,
      metrics: (s) => ({ acc: [0.5, 0.7, 0.9][s.counters.epoch - 1] ?? 0.9 }),
    })
    // With the old best (2) it would stop after the first validation; fresh, 0.5 → 0.7 → 0.9 improve (by 0.2 > 0.1) and
    // the 4th stalls.
    expect(state.counters.epoch).toBe(4)
  })
})
