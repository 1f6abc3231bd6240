import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import * as Ev from '../../../src/dsl/Event.js'
import * as Hook from '../../../src/dsl/Hook.js'
import * as P from '../../../src/dsl/Priority.js'
import * as S from '../../../src/dsl/State.js'

const appending = (name: string, priority: P.Priority) =>
  Hook.make({
    name,
    priority,
    stages: {
      after_train_iter: (s) => Effect.succeed(S.setHookState(s, 'log', [...S.hookState<string[]>(s, 'log', []), name])),
    },
  })

describe('Hook', () => {
  it('orders MMSelfSup’s default runtime plus SimSiamHook(HIGH) as spec §2.4 shows', () => {
    const hooks = [
      appending('RuntimeInfoHook', P.VERY_HIGH),
      appending('IterTimerHook', P.NORMAL),
      appending('DistSamplerSeedHook', P.NORMAL),
      appending('LoggerHook', P.BELOW_NORMAL),
      appending('ParamSchedulerHook', P.LOW),
      appending('CheckpointHook', P.VERY_LOW),
      appending('SimSiamHook', P.HIGH),
    ]
    expect(Hook.order(hooks).map((h) => `${h.name}(${h.priority.value})`)).toEqual([
      'RuntimeInfoHook(10)',
      'SimSiamHook(30)',
      'IterTimerHook(50)',
      'DistSamplerSeedHook(50)',
      'LoggerHook(60)',
      'ParamSchedulerHook(70)',
      'CheckpointHook(90)',
    ])
  })

  it('composes the middlewares of a stage left to right in execution order (Kleisli)', () => {
    const hooks = Hook.order([appending('B', P.NORMAL), appending('A', P.HIGH), appending('C', P.NORMAL)])
    const run = Hook.compose(hooks, 'after_train_iter')
    const state = Effect.runSync(
      run(S.initial({ seed: 0, maxEpochs: 1, maxIters: 1 }), Ev.stage('after_train_iter', 0, 0, 0)),
    )
    expect(S.hookState(state, 'log', [])).toEqual(['A', 'B', 'C'])
  })

  it('a failing middleware stops the chain with its HookError', () => {
    const failing = Hook.make({
      name: 'Bad',
      priority: P.HIGH,
      stages: {
        after_train_iter: () =>
          Effect.fail(new Hook.HookError({ hook: 'Bad', stage: 'after_train_iter', message: 'no' })),
      },
    })
    const run = Hook.compose(Hook.order([appending('Later', P.LOW), failing]), 'after_train_iter')
    const exit = Effect.runSyncExit(
      run(S.initial({ seed: 0, maxEpochs: 1, maxIters: 1 }), Ev.stage('after_train_iter', 0, 0, 0)),
    )
    expect(exit._tag).toBe('Failure')
    expect(JSON.stringify(exit)).toContain('"message":"no"')
  })

  it('lists the stages a hook acts at in stage order', () => {
    const hook = Hook.make({
      name: 'X',
      priority: P.NORMAL,
      stages: { after_run: (s) => Effect.succeed(s), before_run: (s) => Effect.succeed(s) },
    })
    expect(Hook.stagesOf(hook)).toEqual(['before_run', 'after_run'])
    expect(Hook.atStage([hook], 'before_train')).toEqual([])
  })
})
