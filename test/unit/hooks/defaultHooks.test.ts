import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Hub from '../../../src/dsl/MessageHub.js'
import * as Program from '../../../src/dsl/Program.js'
import * as S from '../../../src/dsl/State.js'
import * as Hook from '../../../src/dsl/Hook.js'
import { LoggerSchedule } from '../../../src/hooks/LoggerHook.js'
import { ParamSchedulerHook } from '../../../src/hooks/ParamSchedulerHook.js'
import * as P from '../../../src/dsl/Priority.js'
import { runHooks } from '../../support/harness.js'

const withProbe = Program.withCustomHook({ type: 'ProbeHook', args: {} })
interface Probe {
  readonly stage: string
  readonly epoch: number
  readonly iter: number
}

describe('RuntimeInfoHook', () => {
  it('keeps counters and loop_stage in the message hub as MMEngine does', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 3 })),
      Program.withValLoop(Loop.ValLoop()),
    )
    const { state } = await runHooks(program, { train: 4, val: 1 })
    const hub = state.messageHub
    // spec §3.6.3 test: after 3 epochs × 4 iters the last values written are epoch 2 and iter 11.
    expect(Hub.getInfo(hub, 'epoch')).toBe(2)
    expect(Hub.getInfo(hub, 'iter')).toBe(11)
    expect(Hub.getInfo(hub, 'max_epochs')).toBe(3)
    expect(Hub.getInfo(hub, 'max_iters')).toBe(12)
    expect(Hub.getInfo(hub, 'experiment_name')).toBe('exp_ts')
    expect(Hub.getInfo(hub, 'seed')).toBe(0)
    // loop_stage is popped after training.
    expect(Hub.getInfo(hub, 'loop_stage')).toBeUndefined()
  })

  it('sets loop_stage to val during validation and restores train after it', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 })),
      Program.withValLoop(Loop.ValLoop()),
      withProbe,
    )
    const { state } = await runHooks(program, { train: 1, val: 1 })
    const seen = S.hookState<ReadonlyArray<Probe & { readonly loopStage: string | null }>>(state, 'custom_hooks[0]', [])
    const stageAt = (stage: string, epoch: number) =>
      seen.find((p) => p.stage === stage && p.epoch === epoch)?.loopStage
    expect(stageAt('before_train_iter', 0)).toBe('train')
    expect(stageAt('before_val_iter', 1)).toBe('val')
    expect(stageAt('before_train_epoch', 1)).toBe('train')
    expect(stageAt('after_run', 2)).toBeNull()
  })

  it('turns step outputs into train/* scalars and numeric metrics into val/* scalars', async () => {
    const program = pipe(Program.empty, Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 1 })))
    const start = { ...S.initial({ seed: 0, maxEpochs: 1, maxIters: 2 }), outputs: { loss: 0.5, loss_cls: 0.25 } }
    const { state } = await runHooks(program, { train: 2 }, { state: start })
    expect(Hub.current(state.messageHub, 'train/loss')).toBe(0.5)
    expect(state.messageHub.scalars.get('train/loss_cls')!.values.length).toBe(2)
  })
})

describe('DistSamplerSeedHook', () => {
  it('sets the sampler epoch at every train epoch; without it the sampler stays at epoch 0', async () => {
    const program = pipe(Program.empty, Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 3 })))
    expect((await runHooks(program, { train: 1 })).state.data.samplerEpoch).toBe(2)
    const without = pipe(program, Program.withDefaultHooks({ sampler_seed: null }))
    expect((await runHooks(without, { train: 1 })).state.data.samplerEpoch).toBe(0)
  })
})

describe('LoggerHook', () => {
  it(
    'logs every interval inner iterations, and the last batch only when ignore_last ' +
      'is False or the epoch is short',
    () => {
      const at = (args: { interval?: number; ignore_last?: boolean }, length: number) =>
        Array.from({ length }, (_, b) => b)
          .filter((b) => LoggerSchedule.lineAfterTrainIter(args, b, length))
          .map((b) => b + 1)
      expect(at({ interval: 10 }, 25)).toEqual([10, 20])
      expect(at({ interval: 10, ignore_last: false }, 25)).toEqual([10, 20, 25])
      expect(at({ interval: 50 }, 25)).toEqual([25])
    },
  )

  it('writes train lines, the experiment name at epoch ends, and scalars.json lines through the services', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 })),
      Program.withDefaultHooks({ logger: { type: 'LoggerHook', args: { interval: 2 } } }),
      withProbe,
    )
    const { recording } = await runHooks(program, { train: 4 })
    const lines = recording.logs.map((l) => l.message)
    expect(lines.filter((l) => l.startsWith('Epoch(train)'))).toEqual(
      ['Epoch(train) [1][2/4]  ', 'Epoch(train) [1][4/4]  ', 'Epoch(train) [2][2/4]  ', 'Epoch(train) [2][4/4]  '].map(
        (l) => expect.stringMatching(`^${l.replace(/[[\]()]/g, '\\$&')}`),
      ),
    )
    expect(lines.filter((l) => l === 'Exp name: exp_ts')).toHaveLength(2)
    expect(recording.files.filter((f) => f.path === 'work/ts/vis_data/scalars.json' && f.op === 'append')).toHaveLength(
      4,
    )
  })
})

describe('ParamSchedulerHook', () => {
  it('acts after train iterations, train epochs and val epochs (spec §3.5) at LOW priority', () => {
    const priority = P.decode(ParamSchedulerHook.defaultPriority)
    if (priority._tag === 'Left') throw new Error(priority.left.message)
    const hook = ParamSchedulerHook.build({}, { key: 'param_scheduler', priority: priority.right }, Program.empty)
    expect(Hook.stagesOf(hook)).toEqual(['after_train_iter', 'after_train_epoch', 'after_val_epoch'])
    expect(hook.priority).toEqual(P.LOW)
  })
})

describe('probe sanity', () => {
  it('the probe runs last at every stage', async () => {
    const program = pipe(Program.empty, Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 1 })), withProbe)
    const { state, recording } = await runHooks(program, { train: 1 })
    const calls = recording.trace
      .filter((e) => e._tag === 'HookCall' && e.stage === 'after_train_iter')
      .map((e) => (e as { hook: string }).hook)
    expect(calls.at(-1)).toBe('ProbeHook')
    expect(S.hookState<ReadonlyArray<Probe>>(state, 'custom_hooks[0]', []).map((p) => p.stage)).toContain('after_run')
  })
})
