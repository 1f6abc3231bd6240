import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import * as S from '../../../src/dsl/State.js'
import type { State } from '../../../src/dsl/State.js'
import { EMAHook } from '../../../src/hooks/EMAHook.js'
import type { EMAHookState } from '../../../src/hooks/EMAHook.js'
import { updateAt, weightAt } from '../../../src/hooks/ema/averaging.js'
import { issuesOf } from '../../../src/schema/codec.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import { FakeTensors, runNumeric } from './support.js'

const KEY = 'custom_hooks[0]'
const ema = (args: { readonly [k: string]: unknown }, maxEpochs = 2) =>
  pipe(
    Program.empty,
    Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: maxEpochs })),
    Program.withValLoop(Loop.ValLoop()),
    Program.withCustomHook({ type: 'EMAHook', args: args as never }),
  )

/** Parameters after iteration i (0-based): w = 2^(i+1), so every float32 step below is exact. */
const powers = (t: FakeTensors) => (iter: number) => ({ params: { w: t.ref([2 ** (iter + 1), -(2 ** (iter + 1))]) } })

const start = (program: Program.Program, t: FakeTensors, sizes = { train: 2, val: 1 }): State => ({
  ...initialState(program, sizes, 0),
  model: { params: { w: t.ref([1, -1]) }, buffers: {}, attributes: {}, training: true },
})

const own = (state: State): EMAHookState => state.hooks[KEY] as EMAHookState
const decodeArgs = (args: unknown) => {
  const r = EMAHook.args.decode(args)
  return r._tag === 'Right'
    ? 'ok'
    : issuesOf(r.left)
        .map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`))
        .join('; ')
}

describe('EMAHook arguments', () => {
  it('takes MMEngine’s names and defaults, and rejects what MMEngine asserts against', () => {
    expect(decodeArgs({})).toBe('ok')
    expect(
      decodeArgs({
        ema_type: 'MomentumAnnealingEMA',
        momentum: 0.1,
        gamma: 4,
        interval: 2,
        update_buffers: true,
        strict_load: true,
        begin_iter: 3,
        device: null,
      }),
    ).toBe('ok')
    expect(decodeArgs({ momentum: 3 })).toBe('momentum: expected a number strictly between 0 and 1, got 3')
    expect(decodeArgs({ momentum: 0 })).toMatch(/^momentum: expected a number strictly between 0 and 1/)
    expect(decodeArgs({ begin_iter: -1 })).toMatch(/^begin_iter: expected an integer ≥ 0/)
    expect(decodeArgs({ begin_iter: 2, begin_epoch: 1 })).toMatch(/cannot both be set/)
    expect(decodeArgs({ gamma: 4 })).toMatch(/ExponentialMovingAverage takes no gamma/)
    expect(decodeArgs({ ema_type: 'StochasticWeightAverage', momentum: 0.1 })).toMatch(/takes no momentum/)
    expect(decodeArgs({ ema_type: 'EMA' })).toMatch(/^ema_type: expected one of/)
    expect(decodeArgs({ momentun: 0.1 })).toMatch(/did you mean 'momentum'/)
  })

  it(
    'momentum above 0.5 is accepted with a warning that MMEngine’s momentum is the ' + 'weight of the new value',
    async () => {
      const t = new FakeTensors()
      const program = ema({ momentum: 0.9 }, 1)
      const { recording } = await runNumeric(program, { train: 1, val: 1 }, t, { state: start(program, t) })
      expect(
        recording.logs
          .filter((l) => l.level === 'WARNING')
          .map((l) => l.message)
          .join('\n'),
      ).toMatch(/momentum=0.9 is large.*momentum = 1 - d/)
    },
  )
})

describe('the averaging rules (spec §4.1, §16.3)', () => {
  it('ExponentialMovingAverage: the first update copies, then avg = (1 − m)·avg + m·param', () => {
    const a = { type: 'ExponentialMovingAverage', momentum: 0.1, gamma: 100, interval: 1 } as const
    expect(updateAt(a, 0)).toEqual({ _tag: 'Copy' })
    expect([1, 2, 9].map((s) => updateAt(a, s))).toEqual([1, 2, 9].map(() => ({ _tag: 'Lerp', weight: 0.1 })))
  })
  it('MomentumAnnealingEMA (γ=4, m=0.1): the momentum at update i ≥ 1 is max(0.1, 4/(4+i))', () => {
    const a = { type: 'MomentumAnnealingEMA', momentum: 0.1, gamma: 4, interval: 1 } as const
    expect([1, 2, 4, 12, 36, 100].map((i) => weightAt(a, i))).toEqual([0.8, 4 / 6, 0.5, 0.25, 0.1, 0.1])
  })
  it('interval 3: only updates with steps % 3 == 0 (after the first copy) change the average', () => {
    const a = { type: 'ExponentialMovingAverage', momentum: 0.1, gamma: 100, interval: 3 } as const
    expect([0, 1, 2, 3, 4, 5, 6].map((s) => updateAt(a, s)._tag)).toEqual([
      'Copy',
      'Keep',
      'Keep',
      'Lerp',
      'Keep',
      'Keep',
      'Lerp',
    ])
  })
  it('StochasticWeightAverage weighs update s by 1/(s // interval + 1)', () => {
    const a = { type: 'StochasticWeightAverage', momentum: 0, gamma: 100, interval: 2 } as const
    expect([2, 4, 6].map((s) => weightAt(a, s))).toEqual([1 / 2, 1 / 3, 1 / 4])
  })
})

describe('EMAHook in a run (numbers computed by hand)', () => {
  it('averages after every train iteration, evaluates with the average and swaps back after validation', async () => {
    const t = new FakeTensors()
    const program = ema({ momentum: 0.5 })
    const seen: number[][] = []
    const { state } = await runNumeric(program, { train: 2, val: 1 }, t, {
      state: start(program, t),
      script: powers(t),
      onEval: (s) => void seen.push(t.values(s.model.params['w']!)),
    })
    // params 2, 4 | 8, 16: copy 2 → 3 → 5.5 → 10.75 (m = 0.5, exact in float32).
    expect(seen).toEqual([
      [3, -3],
      [10.75, -10.75],
    ])
    expect(own(state).steps).toBe(4)
    expect(t.read(own(state).params)).toEqual({ w: [10.75, -10.75] })
    expect(own(state).swapped).toBe(false)
    expect(t.values(state.model.params['w']!)).toEqual([16, -16])
  })

  it(
    'checkpoints hold the average as the model’s weights and the raw weights with ' + 'steps in the hook’s state',
    async () => {
      const t = new FakeTensors()
      const program = ema({ momentum: 0.5 })
      const { saved, state } = await runNumeric(program, { train: 2, val: 1 }, t, {
        state: start(program, t),
        script: powers(t),
      })
      expect(saved.map((s) => s.request.path)).toEqual(['work/epoch_1.safetensors', 'work/epoch_2.safetensors'])
      const first = saved[0]!.state
      expect(t.values(first.model.params['w']!)).toEqual([3, -3])
      expect(own(first)).toMatchObject({ steps: 2, swapped: true })
      expect(t.read(own(first).params)).toEqual({ w: [4, -4] })
      // Saving shapes the checkpoint only: the run continued with its raw weights.
      expect(t.values(state.model.params['w']!)).toEqual([16, -16])
    },
  )

  it(
    'with begin_epoch the average follows the model until it starts (state_dict == ' +
      'ema_state_dict), and steps does not move',
    async () => {
      const t = new FakeTensors()
      const program = ema({ momentum: 0.5, begin_epoch: 2 })
      const { saved, state } = await runNumeric(program, { train: 2, val: 1 }, t, {
        state: start(program, t),
        script: powers(t),
      })
      const first = saved[0]!.state
      expect(t.values(first.model.params['w']!)).toEqual([4, -4])
      expect(t.read(own(first).params)).toEqual({ w: [4, -4] })
      expect(own(first).steps).toBe(0)
      // Epoch 2: copy 8, then 8 + 0.5·(16 − 8) = 12.
      expect(t.read(own(state).params)).toEqual({ w: [12, -12] })
      expect(own(state).steps).toBe(2)
    },
  )

  it('begin_iter counts 1-based iterations: begin_iter=3 starts at the third', async () => {
    const t = new FakeTensors()
    const program = ema({ momentum: 0.5, begin_iter: 3 })
    const { state } = await runNumeric(program, { train: 2, val: 1 }, t, {
      state: start(program, t),
      script: powers(t),
    })
    expect(t.read(own(state).params)).toEqual({ w: [12, -12] })
  })

  it('StochasticWeightAverage is the plain mean of the parameters it saw', async () => {
    const t = new FakeTensors()
    const program = ema({ ema_type: 'StochasticWeightAverage' }, 1)
    const { state } = await runNumeric(program, { train: 3, val: 1 }, t, {
      state: start(program, t, { train: 3, val: 1 }),
      script: (i) => ({ params: { w: t.ref([[2, 4, 9][i]!, 0]) } }),
    })
    expect(t.read(own(state).params)).toEqual({ w: [5, 0] })
  })

  it('update_buffers averages float buffers too and freezes integer ones at their first copy', async () => {
    const t = new FakeTensors()
    const program = ema({ momentum: 0.5, update_buffers: true }, 1)
    const base = start(program, t, { train: 3, val: 1 })
    const init = {
      ...base,
      model: {
        ...base.model,
        buffers: { 'bn.running_mean': t.ref([0]), 'bn.num_batches_tracked': t.ref([0], [1], 'int32') },
      },
    }
    const script = (i: number) => ({
      params: { w: t.ref([2, 2]) },
      buffers: { 'bn.running_mean': t.ref([[4, 8, 16][i]!]), 'bn.num_batches_tracked': t.ref([i + 1], [1], 'int32') },
    })
    const { state } = await runNumeric(program, { train: 3, val: 1 }, t, { state: init, script })
    // 4 → 6 → 11; the counter stays at its first copy, 1.
    expect(t.read(own(state).buffers)).toEqual({ 'bn.running_mean': [11], 'bn.num_batches_tracked': [1] })
    const plain = await runNumeric(ema({ momentum: 0.5 }, 1), { train: 3, val: 1 }, t, { state: init, script })
    expect(own(plain.state).buffers).toEqual({})
  })

  it(
    'a resume restores the raw weights into the model and the average into the hook, ' + 'and continues identically',
    async () => {
      const t = new FakeTensors()
      const program = ema({ momentum: 0.5 }, 3)
      const sizes = { train: 2, val: 1 }
      const whole = await runNumeric(program, sizes, t, { state: start(program, t), script: powers(t) })
      const ckpt = whole.saved[0]!.state
      // What train.ts does with a checkpoint on resume: its state, counters from its meta.
      const resumedStart: State = { ...ckpt, counters: { ...ckpt.counters, epoch: 1, iter: 2 }, stopTraining: false }
      const seen: Array<{ stage: string; w: number[]; avg: number[] }> = []
      const resumed = await runNumeric(program, sizes, t, {
        state: resumedStart,
        script: powers(t),
        timeline: { loadsCheckpoint: true, start: { epoch: 1, iter: 2 } },
        onEval: (s) =>
          void seen.push({ stage: 'val', w: t.values(s.model.params['w']!), avg: t.read(own(s).params)['w']! }),
      })
      expect(seen[0]).toEqual({ stage: 'val', w: [10.75, -10.75], avg: [16, -16] })
      expect(t.read(own(resumed.state).params)).toEqual(t.read(own(whole.state).params))
      expect(own(resumed.state).steps).toBe(own(whole.state).steps)
      expect(t.values(resumed.state.model.params['w']!)).toEqual(t.values(whole.state.model.params['w']!))
    },
  )

  it(
    'load_from (no saved average) restarts the average from the loaded weights; a ' + 'resume without one says so',
    async () => {
      const t = new FakeTensors()
      const program = ema({ momentum: 0.5 }, 1)
      const loaded = await runNumeric(program, { train: 1, val: 1 }, t, {
        state: start(program, t),
        timeline: { loadsCheckpoint: true },
      })
      expect(loaded.recording.logs.some((l) => l.message.includes('There is no `ema_state_dict`'))).toBe(false)
      const s0 = start(program, t)
      const resumedWithout = { ...s0, counters: { ...s0.counters, iter: 1, epoch: 1 } }
      const r = await runNumeric(ema({ momentum: 0.5 }, 2), { train: 1, val: 1 }, t, {
        state: resumedWithout,
        timeline: { loadsCheckpoint: true, start: { epoch: 1, iter: 1 } },
      })
      expect(r.recording.logs.filter((l) => l.level === 'WARNING').map((l) => l.message)).toContain(
        'There is no `ema_state_dict` in checkpoint. `EMAHook` will make a copy of ' +
          '`state_dict` as the initial `ema_state_dict`.',
      )
    },
  )

  it('a saved average that does not fit the model is an error with strict_load, a warning without', async () => {
    const t = new FakeTensors()
    const program = ema({ momentum: 0.5, strict_load: true }, 2)
    const s0 = start(program, t)
    const foreign: EMAHookState = {
      _tag: 'EMAHookState',
      steps: 3,
      params: { v: t.ref([7]) },
      buffers: {},
      swapped: true,
    }
    const resumed = S.setHookState({ ...s0, counters: { ...s0.counters, epoch: 1, iter: 2 } }, KEY, foreign)
    await expect(
      runNumeric(program, { train: 2, val: 1 }, t, {
        state: resumed,
        timeline: { loadsCheckpoint: true, start: { epoch: 1, iter: 2 } },
      }),
    ).rejects.toThrow(
      "the checkpoint's averaged model does not fit the model (strict_load=True): " +
        'missing parameters w; unexpected parameters v',
    )
    const lenient = await runNumeric(ema({ momentum: 0.5 }, 2), { train: 2, val: 1 }, t, {
      state: resumed,
      timeline: { loadsCheckpoint: true, start: { epoch: 1, iter: 2 } },
    })
    expect(
      lenient.recording.logs.some((l) => l.level === 'WARNING' && l.message.includes('mismatched entries restart')),
    ).toBe(true)
    expect(Object.keys(own(lenient.state).params)).toEqual(['w'])
  })

  it('begin_epoch beyond max_epochs (or begin_iter beyond max_iters) is an error at before_train', async () => {
    const t = new FakeTensors()
    const late = ema({ begin_epoch: 3 }, 2)
    await expect(runNumeric(late, { train: 2, val: 1 }, t, { state: start(late, t) })).rejects.toThrow(
      /begin_epoch \(3\) is larger than max_epochs \(2\)/,
    )
    const lateIter = ema({ begin_iter: 5 }, 2)
    await expect(runNumeric(lateIter, { train: 2, val: 1 }, t, { state: start(lateIter, t) })).rejects.toThrow(
      /begin_iter \(5\) is larger than max_iters \(4\)/,
    )
  })
})
