/**
 * The open accumulation window's gradient sums of every rank, across a checkpoint.
 *
 * Inside a window each rank sums its own micro-batches' gradients (DDP's `no_sync`); the ranks average once, when
 * the window closes (`reduceGradients`). A checkpoint taken inside a window therefore keeps every rank's sum, not
 * only rank 0's: every rank reaches the same save at the same point of the timeline and the ranks all-gather their
 * sums there ({@link gatherWindowSums}), before rank 0 encodes. On resume ({@link continueWindow}) rank r continues
 * from its own sum; a run with another number of workers cannot continue exactly, and every worker continues from
 * the mean of the saved sums, so the window's gradient still averages all its micro-batches.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { State, TensorTree } from '../../dsl/State.js'
import * as Optim from '../../optim/OptimState.js'
import type { Communicator } from '../collective/Communicator.js'
import { concatFloats } from '../collective/concatFloats.js'
import type { TensorStore } from './TensorStore.js'

/** One float32 tensor's values. */
export interface SumValues {
  readonly shape: ReadonlyArray<number>
  readonly values: Float32Array
}

/** One rank's sums: for each optimizer slot in order, the sum under each parameter's name, or null (no window open). */
export type RankSums = ReadonlyArray<{ readonly [name: string]: SumValues } | null>

/** Every rank's sums at one save, in rank order. */
export interface WindowSums {
  readonly worldSize: number
  readonly ranks: ReadonlyArray<RankSums>
}

/**
 * The open window's sum of each optimizer slot (undefined where none is open). A slot's tensors are the wrapper's
 * `AccumulateState` (accumulation is the outermost combinator), with refs for tensors.
 */
export const openSums = (state: State): ReadonlyArray<TensorTree | undefined> =>
  (Optim.read(state.optim)?.slots ?? []).map(
    ({ slot }) => (slot.tensors as { readonly sum?: TensorTree } | undefined)?.sum,
  )

/** The names of a slot's sum in the order they are flattened in. */
const layoutOf = (sums: ReadonlyArray<TensorTree | undefined>): ReadonlyArray<ReadonlyArray<string> | null> =>
  sums.map((tree) => (tree === undefined ? null : Object.keys(tree).sort()))

/**
 * Every rank's open-window sums, gathered on every rank; undefined in one process or when no window is open (alike
 * on every rank: the ranks count micro-batches in step). Collective: every rank must call it at the same save.
 */
export const gatherWindowSums = async (
  state: State,
  store: TensorStore,
  communicator: Communicator,
): Promise<WindowSums | undefined> => {
  const sums = openSums(state)
  if (communicator.worldSize === 1 || sums.every((tree) => tree === undefined)) return undefined
  const layout = layoutOf(sums)
  const refs = sums.flatMap((tree, s) => layout[s]?.map((name) => tree![name]!) ?? [])
  const values = await Promise.all(refs.map((ref) => store.get(ref).data() as Promise<Float32Array>))
  const flat = concatFloats(values)
  const gathered = communicator.allGather(flat)
  const ranks = gathered.map((rankValues, rank): RankSums => {
    if (rankValues.length !== flat.length)
      throw new Error(
        `rank ${rank} holds ${rankValues.length} summed gradient values, rank ${communicator.rank} ` +
          `${flat.length}: the replicas differ`,
      )
    let at = 0
    return layout.map((names, s) => {
      if (names === null) return null
      return Object.fromEntries(
        names.map((name) => {
          const shape = sums[s]![name]!.shape
          const size = shape.reduce((a, b) => a * b, 1)
          const slice = rankValues.slice(at, at + size)
          at += size
          return [name, { shape, values: slice }]
        }),
      )
    })
  })
  return { worldSize: communicator.worldSize, ranks }
}

/** The element-wise mean of the ranks' sums: added in rank order in float64, divided, rounded to float32 once. */
export const meanOfRanks = (ranks: ReadonlyArray<RankSums>): RankSums =>
  ranks[0]!.map((slot, s) =>
    slot === null
      ? null
      : Object.fromEntries(
          Object.entries(slot).map(([name, { shape, values }]) => {
            const mean = new Float32Array(values.length)
            for (let i = 0; i < values.length; i++) {
              let total = 0
              for (const rank of ranks) total += rank[s]![name]!.values[i]!
              mean[i] = total / ranks.length
            }
            return [name, { shape, values: mean }]
          }),
        ),
  )

/** What a resumed run continues the open window from, and the log line that says so when it is not exact. */
export interface ContinuedWindow {
  readonly state: State
  readonly message: string | undefined
}

/**
 * The loaded `state` with this rank's own open-window sums: those of the same rank when the checkpoint was saved by
 * as many workers as this run has (an exact resume), else the mean of the saved ranks' sums on every worker. A
 * checkpoint without per-rank sums (saved by one worker, or by a loopwright that kept only rank 0's sum) holds one
 * sum, which every worker continues from.
 */
export const continueWindow = (
  state: State,
  saved: WindowSums | undefined,
  store: TensorStore,
  where: Pick<Communicator, 'rank' | 'worldSize'>,
  file: string,
): ContinuedWindow => {
  const optim = Optim.read(state.optim)
  const open = openSums(state)
  const world = where.worldSize
  if (optim === undefined || open.every((tree) => tree === undefined)) return { state, message: undefined }
  const saving = `${file} was saved inside an accumulation window`
  const notExact = 'MMEngine does not save gradients at all; this run is not bit-identical to one that never stopped'
  if (saved === undefined)
    return {
      state,
      message:
        world === 1
          ? undefined
          : `resume: ${saving} with one gradient sum (one worker, or a loopwright that saved only rank 0's); ` +
            `each of the ${world} workers continues the window from it (${notExact})`,
    }
  const exact = saved.worldSize === world
  const own = exact ? saved.ranks[where.rank]! : meanOfRanks(saved.ranks)
  const slots = optim.slots.map((entry, s) => {
    const sums = own[s]
    if (sums === null || sums === undefined) return entry
    const sum: TensorTree = Object.fromEntries(
      Object.entries(sums).map(([name, { shape, values }]) => [
        name,
        store.ref(tf.tensor(values, [...shape], 'float32')),
      ]),
    )
    const tensors = { ...(entry.slot.tensors as object), sum }
    return { ...entry, slot: { ...entry.slot, tensors } }
  })
  return {
    state: { ...state, optim: Optim.write({ ...optim, slots }) },
    message: exact
      ? undefined
      : `resume: ${saving} by ${saved.worldSize} workers, this run has ${world}: ` +
        `each worker continues the window from the mean of the ${saved.worldSize} saved sums (${notExact})`,
  }
}
