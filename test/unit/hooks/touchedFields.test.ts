import { describe, expect, it } from 'vitest'
import * as Hub from '../../../src/dsl/MessageHub.js'
import * as S from '../../../src/dsl/State.js'
import type { State } from '../../../src/dsl/State.js'
import { canonical, changedFields, fieldValues, sameValue } from '../../../src/hooks/touchedFields.js'
import * as Optim from '../../../src/optim/OptimState.js'

const s0: State = S.initial({ seed: 1, maxEpochs: 2, maxIters: 8 })
const ref = (id: number) => ({ _tag: 'TensorRef' as const, id, shape: [2], dtype: 'float32' as const })
const withOptim = (lrs: ReadonlyArray<number>, fix: boolean): State => ({
  ...s0,
  optim: Optim.write({
    _tag: 'OptimState',
    slots: [
      {
        name: undefined,
        slot: {
          groups: {
            real: lrs.map((lr, i) => ({ names: [`p${i}`], hyper: { lr, ...(fix ? { fix_lr: true } : {}) } })),
            base: { lr: 1 },
          },
          schedulers: [],
          tensors: undefined,
        },
      },
    ],
  }),
})

describe('the fields of a state', () => {
  it('names every part of the state by the vocabulary, the hook under view owning `own`', () => {
    const state: State = {
      ...S.setHookState(S.setHookState(s0, 'ema', { n: 1 }), 'timer', { t: 0 }),
      model: { ...s0.model, attributes: { loss_lambda: 0.5 }, params: { w: ref(1) } },
      messageHub: Hub.updateInfo(Hub.updateScalar(s0.messageHub, 'train/lr', 0.1), 'eta', 3),
    }
    expect([...fieldValues(state, 'ema').keys()].sort()).toEqual([
      'counters',
      'data.sampler.epoch',
      'hooks.timer',
      'lastBatch',
      'messageHub.info.eta',
      'messageHub.scalars.train/lr',
      'metrics',
      'model.buffers',
      'model.loss_lambda',
      'model.params',
      'model.training',
      'outputs',
      'own',
      'rng',
      'seed',
      'stop',
    ])
    expect([...fieldValues(withOptim([0.1], true), 'x').keys()].filter((f) => f.startsWith('optim.'))).toEqual([
      'optim.lr',
      'optim.fix_lr',
      'optim.schedulers',
      'optim.tensors',
      'optim.groups',
    ])
  })

  it('lists exactly the fields whose values differ, structurally', () => {
    expect(changedFields(s0, { ...s0, model: { ...s0.model } }, 'k')).toEqual([])
    expect(changedFields(s0, S.requestStop(s0), 'k')).toEqual(['stop'])
    expect(changedFields(withOptim([0.1, 0.2], true), withOptim([0.1, 0.05], true), 'k')).toEqual(['optim.lr'])
    expect(changedFields(withOptim([0.1], false), withOptim([0.1], true), 'k')).toEqual(['optim.fix_lr'])
    const hub = S.modifyHub(s0, (h) => Hub.updateScalar(h, 'train/time', 1))
    expect(
      changedFields(
        hub,
        S.modifyHub(hub, (h) => Hub.updateScalar(h, 'train/time', 1)),
        'k',
      ),
    ).toEqual(['messageHub.scalars.train/time'])
    expect(changedFields(s0, S.setHookState(s0, 'k', 1), 'k')).toEqual(['own'])
    expect(changedFields(s0, S.setHookState(s0, 'other', 1), 'k')).toEqual(['hooks.other'])
  })

  it('compares tensors by what refValue says: by ref by default, by values where a test can read them', () => {
    const a = { ...s0, model: { ...s0.model, params: { w: ref(1) } } }
    const b = { ...s0, model: { ...s0.model, params: { w: ref(2) } } }
    expect(changedFields(a, b, 'k')).toEqual(['model.params'])
    expect(changedFields(a, b, 'k', () => [1, 2])).toEqual([])
    expect(sameValue({ a: [1, new Map([['k', ref(3)]])] }, { a: [1, new Map([['k', ref(3)]])] })).toBe(true)
    expect(sameValue([1, 2], [1, 2, 3])).toBe(false)
    expect(sameValue({ x: undefined }, {})).toBe(false)
    expect(
      canonical(
        new Map([
          ['b', 1],
          ['a', 2],
        ]),
      ),
    ).toBe(
      canonical(
        new Map([
          ['a', 2],
          ['b', 1],
        ]),
      ),
    )
    expect(canonical({ x: undefined })).not.toBe(canonical({}))
  })
})
