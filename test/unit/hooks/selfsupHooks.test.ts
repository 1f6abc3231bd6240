import { Effect } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import { Collective } from '../../../src/dsl/Services.js'
import type { State } from '../../../src/dsl/State.js'
import * as S from '../../../src/dsl/State.js'
import * as P from '../../../src/dsl/Priority.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import * as Registry from '../../../src/schema/registry.js'
import { defaultHookTypes } from '../../../src/hooks/registry.js'
import { pinFixedLr } from '../../../src/hooks/SimSiamHook.js'
import * as Optim from '../../../src/optim/OptimState.js'
import { FakeTensors, runHookStage } from './support.js'

const program = (hook: { readonly type: string; readonly args: object }) =>
  pipe(
    Program.empty,
    Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 20 })),
    Program.withCustomHook(hook as never),
  )

const at = (state: State, epoch: number, iter: number): State => S.atCounters(state, epoch, iter)

describe('MMSelfSup hooks in the registry', () => {
  it('provide all five hooks at class priority NORMAL, none of them plan-only', () => {
    const names = ['DeepClusterHook', 'DenseCLHook', 'ODCHook', 'SimSiamHook', 'SwAVHook']
    for (const name of names) {
      const t = Registry.resolve(defaultHookTypes, name)
      expect(t._tag === 'Right' && t.right.defaultPriority).toEqual(P.NORMAL)
    }
    for (const name of names) {
      const t = Registry.resolve(defaultHookTypes, name)
      expect(t._tag === 'Right' ? t.right.planOnly : 'missing').toBeUndefined()
    }
  })

  it('check their arguments: SimSiamHook needs lr, SwAVHook needs batch_size, misspellings get a did-you-mean', () => {
    const decode = (name: string, args: object) => {
      const t = Registry.resolve(defaultHookTypes, name)
      if (t._tag === 'Left') throw new Error(t.left)
      return t.right.args.decode(args)._tag
    }
    expect(decode('SimSiamHook', { fix_pred_lr: true, lr: 0.05, adjust_by_epoch: false })).toBe('Right')
    expect(decode('SimSiamHook', { fix_pred_lr: true })).toBe('Left')
    expect(
      decode('SwAVHook', {
        batch_size: 32,
        epoch_queue_starts: 15,
        crops_for_assign: [0, 1],
        feat_dim: 128,
        queue_length: 3840,
        frozen_layers_cfg: { prototypes: 5005 },
      }),
    ).toBe('Right')
    expect(decode('SwAVHook', { epoch_queue_starts: 15 })).toBe('Left')
    expect(decode('DenseCLHook', { start_iter: 500 })).toBe('Left')
  })
})

describe('DenseCLHook', () => {
  const p = program({ type: 'DenseCLHook', args: { start_iters: 3 } })
  const t = new FakeTensors()
  const stage = (state: State, s: 'before_train' | 'before_train_iter') =>
    Effect.runPromise(runHookStage(p, 'DenseCLHook', s, state, undefined, t))

  it(
    'remembers loss_lambda at before_train and sets it to 0 before start_iters, back ' + 'from start_iters on',
    async () => {
      const s0 = initialState(p, { train: 4 }, 0)
      const withLambda = { ...s0, model: { ...s0.model, attributes: { loss_lambda: 0.7 } } }
      let state = await stage(withLambda, 'before_train')
      const seen: unknown[] = []
      for (let iter = 0; iter < 6; iter++) {
        state = await stage(at(state, 0, iter), 'before_train_iter')
        seen.push(state.model.attributes['loss_lambda'])
      }
      expect(seen).toEqual([0, 0, 0, 0.7, 0.7, 0.7])
    },
  )

  it(
    "uses DenseCL's default 0.5 when the model sets none, and keeps the remembered " + 'value across a resume',
    async () => {
      let state = await stage(initialState(p, { train: 4 }, 0), 'before_train')
      state = await stage(at(state, 0, 1), 'before_train_iter')
      expect(state.model.attributes['loss_lambda']).toBe(0)
      // A resumed run calls before_train again with the attribute at 0: the hook's own state wins.
      state = await stage(state, 'before_train')
      state = await stage(at(state, 0, 5), 'before_train_iter')
      expect(state.model.attributes['loss_lambda']).toBe(0.5)
    },
  )
})

describe('SwAVHook', () => {
  const args = {
    batch_size: 4,
    epoch_queue_starts: 2,
    feat_dim: 8,
    queue_length: 30,
    frozen_layers_cfg: { prototypes: 3 },
  }
  const p = program({ type: 'SwAVHook', args })
  const t = new FakeTensors()
  const collective = (n: number) =>
    Collective.of({ worldSize: n, rank: 0, allReduceMean: (tree) => Effect.succeed(tree) })
  const stage = (state: State, s: 'before_run' | 'before_train_epoch' | 'before_train_iter', world = 1) =>
    Effect.runPromise(runHookStage(p, 'SwAVHook', s, state, undefined, t, collective(world)))

  it(
    'rounds the queue length down to a multiple of the global batch and asks for the ' +
      'queue from epoch_queue_starts on',
    async () => {
      let state = await stage(initialState(p, { train: 4 }, 0), 'before_run')
      expect(S.hookState(state, 'custom_hooks[0]', undefined)).toEqual({ _tag: 'SwAVHookState', queueLength: 28 })
      const asked: unknown[] = []
      for (let epoch = 0; epoch < 4; epoch++) {
        state = await stage(at(state, epoch, epoch * 4), 'before_train_epoch')
        asked.push(state.model.attributes['head.loss.queue_length'])
      }
      expect(asked).toEqual([undefined, undefined, 28, 28])
    },
  )

  it('divides the queue by the world size (the global batch rounds the length first)', async () => {
    let state = await stage(initialState(p, { train: 4 }, 0), 'before_run', 2)
    state = await stage(at(state, 2, 8), 'before_train_epoch', 2)
    expect(state.model.attributes['head.loss.queue_length']).toBe(12)
  })

  it('freezes parameters named in frozen_layers_cfg while iter < n', async () => {
    let state = initialState(p, { train: 4 }, 0)
    const frozen: unknown[] = []
    for (let iter = 0; iter < 5; iter++) {
      state = await stage(at(state, 0, iter), 'before_train_iter')
      frozen.push(state.model.attributes['frozen_layers'])
    }
    expect(frozen).toEqual([['prototypes'], ['prototypes'], ['prototypes'], undefined, undefined])
  })
})

describe('SimSiamHook', () => {
  it('pins the lr of every fix_lr group and leaves the others', () => {
    const s0 = initialState(program({ type: 'SimSiamHook', args: { fix_pred_lr: true, lr: 0.05 } }), { train: 4 }, 0)
    const groups = {
      real: [
        { names: ['a'], hyper: { lr: 0.3 } },
        { names: ['head.predictor.fc0.weight'], hyper: { lr: 0.3, fix_lr: true } },
      ],
      base: { lr: 0.3 },
    }
    const state = {
      ...s0,
      optim: Optim.write({
        _tag: 'OptimState',
        slots: [{ name: undefined, slot: { groups, schedulers: [], tensors: undefined } }],
      }),
    }
    const pinned = Optim.read(pinFixedLr(state, 0.05).optim)!
    expect(pinned.slots[0]!.slot.groups.real.map((g) => g.hyper['lr'])).toEqual([0.3, 0.05])
    expect(pinFixedLr(pinFixedLr(state, 0.05), 0.05).optim).toEqual(pinFixedLr(state, 0.05).optim)
  })

  it('pins at every before_train_epoch, and at before_train_iter only with adjust_by_epoch=False', async () => {
    const lrAfter = async (adjustByEpoch: boolean, stage: 'before_train_epoch' | 'before_train_iter') => {
      const args = { fix_pred_lr: true, lr: 0.05, adjust_by_epoch: adjustByEpoch }
      const p = program({ type: 'SimSiamHook', args })
      const s0 = initialState(p, { train: 4 }, 0)
      const groups = { real: [{ names: ['head.predictor.w'], hyper: { lr: 0.3, fix_lr: true } }], base: undefined }
      const state = {
        ...s0,
        optim: Optim.write({
          _tag: 'OptimState',
          slots: [{ name: undefined, slot: { groups, schedulers: [], tensors: undefined } }],
        }),
      }
      const after = await Effect.runPromise(runHookStage(p, 'SimSiamHook', stage, state, 0, new FakeTensors()))
      return Optim.read(after.optim)!.slots[0]!.slot.groups.real[0]!.hyper['lr']
    }
    expect(await lrAfter(true, 'before_train_epoch')).toBe(0.05)
    expect(await lrAfter(true, 'before_train_iter')).toBe(0.3)
    expect(await lrAfter(false, 'before_train_epoch')).toBe(0.05)
    expect(await lrAfter(false, 'before_train_iter')).toBe(0.05)
  })
})
