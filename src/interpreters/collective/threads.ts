/**
 * The communicator of worker threads on one machine: every collective goes
 * through one `SharedArrayBuffer` with `Atomics` barriers, no messages.
 *
 * Layout: a control block (barrier counter, barrier generation, abort flag,
 * then one length per rank for the all-gather), one slot of `capacity`
 * floats per rank, and one result region. An
 * all-reduce of n values runs in chunks of at most `capacity`:
 *
 *     write own slot → barrier → reduce my 1/W of the chunk into the result
 *     (ranks summed in the fixed order 0, 1, …, W−1) → barrier → copy the result
 *
 * The buffer is a shared `WebAssembly.Memory`'s, so that the reduction runs
 * as compiled SIMD where the slots lie (`compiledMean.ts`).
 *
 * Every rank reads the same result, so replicas stay bit-identical, and the
 * fixed summation order makes runs repeatable. No trailing barrier is needed:
 * nobody reads the slots after the second barrier, and the result is written
 * again only after the next call's first barrier, which every rank reaches
 * after its copy. A broadcast goes through the root's slot with the copy
 * between two barriers. An all-gather writes each rank's length and values
 * into its own slot, then every rank copies every slot out between two
 * barriers (arrays longer than a slot fall back to one broadcast per rank:
 * `allGather.ts`). Self-supervised steps gather several times per step
 * (MoCo's shuffled batch and keys), and every barrier makes the faster rank
 * wait for the slower one, so they should be few.
 *
 * A rank at a barrier first spins on the counter (`SPIN_MS`, when every
 * worker has a core), then sleeps in `Atomics.wait`. When a worker fails, the
 * launcher sets the abort flag and wakes everyone: a rank waiting at a
 * barrier throws instead of waiting forever.
 * @module
 */
import { availableParallelism } from 'node:os'
import { type MeanReducer, inPlace } from '../../optim/transforms/meanReducer.js'
import { type Memory, PAGE_BYTES, sharedMemory } from '../../tensor/wasmModule.js'
import { allGatherVia } from './allGather.js'
import type { Communicator } from './Communicator.js'
import { compileMean } from './compiledMean.js'

const COUNT = 0
const GENERATION = 1
const ABORT = 2
/** The first of the all-gather's lengths, one per rank. */
const LENGTHS = 4
/** Ints before the first slot: the control block and the lengths, rounded up to 16 bytes (aligned SIMD). */
const controlInts = (worldSize: number): number => Math.ceil((LENGTHS + worldSize) / 4) * 4
/** Wake up this often while waiting, to notice an abort even without a notify. */
const POLL_MS = 500
/**
 * How long a rank at a barrier checks the shared counter before it sleeps, when every worker has a core of its
 * own. Sleeping hands the core to whatever else is runnable (V8's background threads, other processes), and the
 * sleeper waits for it back when the barrier opens: two workers on this 2-core machine beside other work took
 * 5.4–8.2 ms per MLP step sleeping at once, 4.4–5.3 ms spinning first (interleaved runs). MPI's shared-memory
 * transport and OpenMP's active wait policy spin for the same reason. The waits of a data-parallel step are the
 * workers' differences in step time, milliseconds; longer ones (rank 0 writing a checkpoint) end in sleep.
 */
export const SPIN_MS = 20

/** What the launcher allocates and hands to every worker. */
export interface SharedRegion {
  /** The shared `WebAssembly.Memory` whose buffer `buffer` is (`pages` pages): compiled reductions run over it. */
  readonly memory: Memory
  readonly pages: number
  readonly buffer: SharedArrayBuffer
  readonly worldSize: number
  /** Floats per rank per chunk. */
  readonly capacity: number
  /** Milliseconds a waiting rank spins before it sleeps: 0 when there are more workers than cores. */
  readonly spinMs: number
}

/** Floats per rank and chunk by default: 4 MiB per rank, the gradients of a 1M-parameter model in one chunk. */
export const DEFAULT_CAPACITY = 1 << 20

/** Allocate the shared region of `worldSize` workers, on a machine of `cores` cores. */
export const allocate = (
  worldSize: number,
  capacity: number = DEFAULT_CAPACITY,
  cores: number = availableParallelism(),
): SharedRegion => {
  const pages = Math.ceil((controlInts(worldSize) * 4 + (worldSize + 1) * capacity * 4) / PAGE_BYTES)
  return {
    ...sharedMemory(pages),
    pages,
    worldSize,
    capacity,
    // A spinning rank would take the core of the rank it waits for.
    spinMs: worldSize <= cores ? SPIN_MS : 0,
  }
}

/** Tell every rank that the run is over (a worker failed): waiting ranks throw `message`'s rank number. */
export const abort = (region: SharedRegion, failedRank: number): void => {
  const control = new Int32Array(region.buffer, 0, LENGTHS)
  Atomics.store(control, ABORT, failedRank + 1)
  Atomics.notify(control, GENERATION)
}

/** Rank `rank`'s communicator over `region` (called inside each worker thread). */
export const threadCommunicator = (region: SharedRegion, rank: number): Communicator => {
  const { buffer, worldSize, capacity } = region
  const control = new Int32Array(buffer, 0, LENGTHS)
  const lengths = new Int32Array(buffer, LENGTHS * 4, worldSize)
  const slotByte = (r: number) => controlInts(worldSize) * 4 + r * capacity * 4
  const slot = (r: number) => new Float32Array(buffer, slotByte(r), capacity)
  const slots = Array.from({ length: worldSize }, (_, r) => slot(r))
  const result = slot(worldSize)
  const checkAbort = () => {
    const failed = Atomics.load(control, ABORT)
    if (failed !== 0) throw new Error(`worker ${failed - 1} failed; worker ${rank} stops`)
  }
  const barrier = (): void => {
    checkAbort()
    const generation = Atomics.load(control, GENERATION)
    if (Atomics.add(control, COUNT, 1) === worldSize - 1) {
      Atomics.store(control, COUNT, 0)
      Atomics.add(control, GENERATION, 1)
      Atomics.notify(control, GENERATION)
      return
    }
    const spinUntil = performance.now() + region.spinMs
    while (Atomics.load(control, GENERATION) === generation && performance.now() < spinUntil) {}
    while (Atomics.load(control, GENERATION) === generation) {
      Atomics.wait(control, GENERATION, generation, POLL_MS)
      checkAbort()
    }
  }
  const mean = compileMean(region.memory, region.pages, worldSize, capacity * 4)
  /** `result[i] = (Σ_r slot_r[i]) / W` for `from ≤ i < to`, summed in float64 in rank order, rounded once. */
  const meanInto = (from: number, to: number): void =>
    mean(slotByte(worldSize) + from * 4, slotByte(0) + from * 4, (to - from) * 4)
  const allReduceMean = (values: Float32Array): void => {
    const mine = slots[rank]!
    for (let offset = 0; offset < values.length; offset += capacity) {
      const length = Math.min(capacity, values.length - offset)
      mine.set(values.subarray(offset, offset + length))
      barrier()
      const share = Math.ceil(length / worldSize)
      const from = Math.min(length, rank * share)
      const to = Math.min(length, from + share)
      meanInto(from, to)
      barrier()
      values.set(result.subarray(0, length), offset)
    }
  }
  const chunked = inPlace(allReduceMean)
  /** In this rank's slot and the result region themselves, when the values fit in one chunk. */
  const allReduceMeanVia: MeanReducer = (length, fill, read) => {
    if (length > capacity) return chunked(length, fill, read)
    fill(slots[rank]!.subarray(0, length))
    barrier()
    const share = Math.ceil(length / worldSize)
    const from = Math.min(length, rank * share)
    meanInto(from, Math.min(length, from + share))
    barrier()
    // The result is written again only after the next call's first barrier, which this rank reaches after reading.
    read(result.subarray(0, length))
  }
  const broadcast = (values: Float32Array, root: number): void => {
    const source = slots[root]!
    for (let offset = 0; offset < values.length; offset += capacity) {
      const length = Math.min(capacity, values.length - offset)
      if (rank === root) source.set(values.subarray(offset, offset + length))
      barrier()
      if (rank !== root) values.set(source.subarray(0, length), offset)
      barrier()
    }
  }
  const transport = `${worldSize} worker threads (shared memory)`
  const gatherByBroadcasts = allGatherVia(rank, worldSize, broadcast)
  const allGather = (values: Float32Array): Float32Array[] => {
    // −1: too long for a slot. Every rank sees every length after the barrier, so all take the same way.
    lengths[rank] = values.length <= capacity ? values.length : -1
    if (values.length <= capacity) slots[rank]!.set(values)
    barrier()
    const all = Array.from(lengths)
    const gathered = all.every((n) => n >= 0) ? all.map((n, r) => slots[r]!.slice(0, n)) : undefined
    // Nobody writes a slot or a length again before everyone has read them.
    barrier()
    return gathered ?? gatherByBroadcasts(values)
  }
  return { rank, worldSize, allReduceMean, allReduceMeanVia, broadcast, allGather, barrier, transport }
}
