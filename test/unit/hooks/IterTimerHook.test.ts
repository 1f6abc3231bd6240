import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Log from '../../../src/dsl/AppendLog.js'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import * as S from '../../../src/dsl/State.js'
import { runHooks, tickingClock } from '../../support/harness.js'

/** Only the timer hook, plus a probe that reads `eta` after it at every stage. */
const timerWithProbe = (program: Program.Program) =>
  pipe(
    program,
    Program.withDefaultHooks({
      runtime_info: null,
      sampler_seed: null,
      logger: null,
      param_scheduler: null,
      checkpoint: null,
    }),
    Program.withCustomHook({ type: 'ProbeHook', args: {} }),
  )

interface Probe {
  readonly stage: string
  readonly iter: number
  readonly batchIdx: number | null
  readonly eta: number | null
}

const probes = (state: S.State): ReadonlyArray<Probe> => S.hookState<ReadonlyArray<Probe>>(state, 'custom_hooks[0]', [])

describe('IterTimerHook (spec §3.2, with a clock advancing 1 per read as in MMEngine’s test)', () => {
  it('measures time = 2 for every train iteration, and eta = 180 after 10 of 100 iterations', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: 100 })),
      timerWithProbe,
    )
    const { state } = await runHooks(program, { train: 100 }, { clock: tickingClock() })
    expect(Log.toArray(state.messageHub.scalars.get('train/time')!.values)).toEqual(Array(100).fill(2))
    const etaAfter = probes(state)
      .filter((p) => p.stage === 'after_train_iter')
      .map((p) => p.eta)
    expect(etaAfter[9]).toBe(180)
    expect(etaAfter[99]).toBe(0)
  })

  it('val eta is 4 after 2 of 4 batches and 0 at the end', async () => {
    const program = pipe(Program.empty, Program.withValLoop(Loop.ValLoop()), timerWithProbe)
    const { state } = await runHooks(program, { val: 4 }, { clock: tickingClock(), timeline: { entry: 'val' } })
    const etaAfter = probes(state)
      .filter((p) => p.stage === 'after_val_iter')
      .map((p) => p.eta)
    expect(etaAfter).toHaveLength(4)
    expect(etaAfter[1]).toBe(4)
    expect(etaAfter[3]).toBe(0)
  })

  it('after a resume the ETA averages only the iterations run since (start_iter)', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: 20 })),
      timerWithProbe,
    )
    const { state } = await runHooks(
      program,
      { train: 20 },
      { clock: tickingClock(), timeline: { start: { epoch: 0, iter: 10 } } },
    )
    const after = probes(state).filter((p) => p.stage === 'after_train_iter')
    expect(after[0]).toMatchObject({ iter: 10, eta: 2 * 9 })
    expect(after.at(-1)).toMatchObject({ iter: 19, eta: 0 })
  })
})
