import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import { showBytes } from '../../../src/hooks/EmptyCacheHook.js'
import type { EmptyCacheHookState } from '../../../src/hooks/EmptyCacheHook.js'
import { FakeTensors, runNumeric } from './support.js'

const program = (args: { readonly [k: string]: boolean }) =>
  pipe(
    Program.empty,
    Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 })),
    Program.withValLoop(Loop.ValLoop()),
    Program.withCustomHook({ type: 'EmptyCacheHook', args }),
  )
// 2 epochs × 3 train batches, validation (2 batches) after each epoch.
const sizes = { train: 3, val: 2 }

describe('EmptyCacheHook', () => {
  it('by default releases after every epoch — train and val alike — and logs the bytes before and after', async () => {
    const t = new FakeTensors()
    t.release = { before: 3 * 1024 * 1024, after: 1024 }
    const { recording, state } = await runNumeric(program({}), sizes, t)
    expect(t.releases).toBe(4)
    const lines = recording.logs.filter((l) => l.message.startsWith('EmptyCacheHook'))
    expect(lines.map((l) => l.level)).toEqual(['DEBUG', 'DEBUG', 'DEBUG', 'DEBUG'])
    expect(lines[0]!.message).toBe(
      'EmptyCacheHook (after_train_epoch): the backend held 3.0 MiB before the release ' +
        'and 1.0 KiB after it (3.0 MiB released).',
    )
    expect(lines[1]!.message).toMatch(/^EmptyCacheHook \(after_val_epoch\)/)
    expect((state.hooks['custom_hooks[0]'] as EmptyCacheHookState).releases).toBe(4)
  })

  it('before_epoch and after_iter add the epoch starts and every iteration, in all loops', async () => {
    const t = new FakeTensors()
    t.release = { before: 10, after: 10 }
    await runNumeric(program({ before_epoch: true, after_epoch: false, after_iter: true }), sizes, t)
    // Epoch starts: 2 train + 2 val; iterations: 6 train + 4 val.
    expect(t.releases).toBe(14)
  })

  it('all flags off: never asks the backend', async () => {
    const t = new FakeTensors()
    await runNumeric(program({ after_epoch: false }), sizes, t)
    expect(t.releases).toBe(0)
  })

  it('a backend with nothing to release is reported once, not at every call', async () => {
    const t = new FakeTensors()
    const { recording, state } = await runNumeric(program({ after_iter: true }), sizes, t)
    expect(t.releases).toBe(14)
    const lines = recording.logs.filter((l) => l.message.startsWith('EmptyCacheHook'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'INFO', epoch: 0, iter: 0 })
    expect(lines[0]!.message).toMatch(/keeps no memory in reserve.*first noticed at after_train_iter/)
    expect(state.hooks['custom_hooks[0]']).toEqual({
      _tag: 'EmptyCacheHookState',
      saidNothingToRelease: true,
      releases: 0,
    })
  })

  it('formats byte counts', () => {
    expect([0, 512, 2048, 5.5 * 1024 ** 3].map(showBytes)).toEqual(['0 B', '512 B', '2.0 KiB', '5.5 GiB'])
  })
})
