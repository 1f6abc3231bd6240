import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Hub from '../../../src/dsl/MessageHub.js'
import * as Program from '../../../src/dsl/Program.js'
import { runHooks } from '../../support/harness.js'

describe('interpret: fastForward control', () => {
  const program = pipe(
    Program.empty,
    Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 6 })),
    Program.withValLoop(Loop.ValLoop()),
  )

  it('passes skipEpochsTo to the timeline: the epochs before the target are left out, counters move on', async () => {
    const { state, recording } = await runHooks(
      program,
      { train: 3, val: 1 },
      {
        control: {
          fastForward: (s, event) =>
            event.stage === 'after_train_epoch' && event.epoch === 0 ? { state: s, skipEpochsTo: 4 } : undefined,
        },
      },
    )
    // Epochs 0, 4 and 5 ran, each validated after; epochs 1–3 and their validations did not.
    expect(recording.stepCounts).toEqual({ train: 9, val: 3, test: 0 })
    expect(Hub.getInfo(state.messageHub, 'iter')).toBe(17)
    expect(Hub.getInfo(state.messageHub, 'epoch')).toBe(5)
  })

  it('still passes skipTo alone', async () => {
    const { recording } = await runHooks(
      program,
      { train: 3, val: 1 },
      {
        control: {
          fastForward: (s, event) =>
            event.stage === 'before_train_epoch' ? { state: s, skipTo: event.iter + 2 } : undefined,
        },
      },
    )
    expect(recording.stepCounts).toEqual({ train: 6, val: 6, test: 0 })
  })
})
