import { Effect } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import { Collective } from '../../../src/dsl/Services.js'
import type { State, TensorTree } from '../../../src/dsl/State.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import { singleProcess } from '../../../src/interpreters/collective/oneProcess.js'
import { FakeTensors, runHookStage, runNumeric } from './support.js'

const withSync = (program: Program.Program) =>
  pipe(program, Program.withCustomHook({ type: 'SyncBuffersHook', args: {} }))
const epochs = withSync(
  pipe(
    Program.empty,
    Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 })),
    Program.withValLoop(Loop.ValLoop()),
  ),
)

const withBuffers = (
  t: FakeTensors,
  buffers: { readonly [name: string]: ReadonlyArray<number> },
  program = epochs,
): State => {
  const s = initialState(program, { train: 2, val: 1 }, 0)
  return { ...s, model: { ...s.model, buffers: t.tree(buffers) } }
}

/**
 * Simulated data-parallel workers: each worker's `allReduceMean` posts its
 * tree and waits for every other worker's, then averages element-wise in
 * float32 — what a real all-reduce returns on every rank.
 */
const workers = (t: FakeTensors, n: number): Collective['Service'][] => {
  let round: Array<{ resolve: (tree: TensorTree) => void; promise: Promise<TensorTree> }> = []
  const slots = () => {
    if (round.length === 0) {
      round = Array.from({ length: n }, () => {
        let resolve!: (tree: TensorTree) => void
        const promise = new Promise<TensorTree>((r) => (resolve = r))
        return { resolve, promise }
      })
    }
    return round
  }
  let arrived = 0
  return Array.from({ length: n }, (_, rank) =>
    Collective.of({
      worldSize: n,
      rank,
      allReduceMean: (tree) =>
        Effect.promise(async () => {
          const mine = slots()
          mine[rank]!.resolve(tree)
          if (++arrived === n) {
            arrived = 0
            round = []
          }
          const all = await Promise.all(mine.map((s) => s.promise))
          return Object.fromEntries(
            Object.entries(tree).map(([name, ref]) => {
              const sums = t.values(ref).map((_, i) => all.reduce((acc, other) => acc + t.values(other[name]!)[i]!, 0))
              return [
                name,
                t.ref(
                  sums.map((s) => Math.fround(s / n)),
                  ref.shape,
                ),
              ]
            }),
          )
        }),
    }),
  )
}

describe('SyncBuffersHook', () => {
  it('two workers: after a train epoch both hold the mean of their buffers', async () => {
    const t = new FakeTensors()
    const [w0, w1] = workers(t, 2)
    const s0 = withBuffers(t, { 'bn.running_mean': [1, 3], 'bn.running_var': [1, 1] })
    const s1 = withBuffers(t, { 'bn.running_mean': [3, 6], 'bn.running_var': [2, 4] })
    const [a, b] = await Effect.runPromise(
      Effect.all(
        [
          runHookStage(epochs, 'SyncBuffersHook', 'after_train_epoch', s0, undefined, t, w0),
          runHookStage(epochs, 'SyncBuffersHook', 'after_train_epoch', s1, undefined, t, w1),
        ],
        { concurrency: 'unbounded' },
      ),
    )
    expect(t.read(a!.model.buffers)).toEqual({ 'bn.running_mean': [2, 4.5], 'bn.running_var': [1.5, 2.5] })
    expect(t.read(b!.model.buffers)).toEqual(t.read(a!.model.buffers))
    // Parameters are not touched.
    expect(a!.model.params).toBe(s0.model.params)
  })

  it('one process: the buffers are left as they are (same refs)', async () => {
    const t = new FakeTensors()
    const s = withBuffers(t, { 'bn.running_mean': [1, 3] })
    const after = await Effect.runPromise(
      runHookStage(epochs, 'SyncBuffersHook', 'after_train_epoch', s, undefined, t, singleProcess),
    )
    expect(after.model.buffers).toBe(s.model.buffers)
  })

  const counting = () => {
    const calls: number[] = []
    const collective = Collective.of({
      worldSize: 2,
      rank: 0,
      allReduceMean: (tree) =>
        Effect.sync(() => {
          calls.push(1)
          return tree
        }),
    })
    return { calls, collective }
  }

  it('epoch-based: syncs after each train epoch, and the validation right after does not sync again', async () => {
    const t = new FakeTensors()
    const { calls, collective } = counting()
    await runNumeric(epochs, { train: 2, val: 1 }, t, { state: withBuffers(t, { b: [1] }), collective })
    expect(calls).toHaveLength(2)
  })

  it(
    'iteration-based: each validation inside the one train epoch syncs first ' + '(MMEngine’s called_in_train flag)',
    async () => {
      const t = new FakeTensors()
      const { calls, collective } = counting()
      const iters = withSync(
        pipe(
          Program.empty,
          Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: 4, val_interval: 2 })),
          Program.withValLoop(Loop.ValLoop()),
        ),
      )
      await runNumeric(iters, { train: 2, val: 1 }, t, { state: withBuffers(t, { b: [1] }, iters), collective })
      // Validations after iterations 2 and 4, then the end of the (only) train epoch.
      expect(calls).toHaveLength(3)
    },
  )
})
