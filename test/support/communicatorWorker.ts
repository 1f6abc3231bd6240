/**
 * A worker thread for the communicator tests: rank `rank` of a shared region
 * runs a script of collectives on its inputs and posts what it got.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { threadCommunicator } from '../../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../../src/interpreters/collective/threads.js'

interface Job {
  readonly region: SharedRegion
  readonly rank: number
  /** One array per all-reduce, in order. */
  readonly reduce: ReadonlyArray<Float32Array>
  /** Arrays broadcast from rank `root` after the reductions. */
  readonly broadcast: ReadonlyArray<{ readonly values: Float32Array; readonly root: number }>
  /** Arrays all-gathered after the broadcasts, in order. */
  readonly gather?: ReadonlyArray<Float32Array>
  /** Fail before the first collective (tests the launcher's abort). */
  readonly failFirst?: boolean
  /** Arrays averaged through `allReduceMeanVia` after the all-reduces, in order. */
  readonly via?: ReadonlyArray<Float32Array>
  /**
   * An interrupt-vote script, run last: before each iteration a poll, then (where `exchange[i]`) a gradient average
   * of `[rank, i]`. This rank sees SIGTERM from poll `signalAt` on (never when absent).
   */
  readonly votes?: { readonly exchange: ReadonlyArray<boolean>; readonly signalAt?: number }
  /** Model buffers to average through the hooks' `Collective` service (a float and an int buffer). */
  readonly buffers?: { readonly mean: ReadonlyArray<number>; readonly count: number }
}

const job = workerData as Job
try {
  if (job.failFirst === true) throw new Error(`rank ${job.rank} fails on purpose`)
  const comm = threadCommunicator(job.region, job.rank)
  const reduced = job.reduce.map((values) => {
    const copy = Float32Array.from(values)
    comm.allReduceMean(copy)
    return copy
  })
  const broadcast = job.broadcast.map(({ values, root }) => {
    const copy = Float32Array.from(values)
    comm.broadcast(copy, root)
    return copy
  })
  const gathered = (job.gather ?? []).map((values) => comm.allGather(Float32Array.from(values)))
  const viaMeans = (job.via ?? []).map((values) => {
    let mean: Float32Array | undefined
    comm.allReduceMeanVia(
      values.length,
      (target) => target.set(values),
      (m) => {
        mean = m.slice()
      },
    )
    return mean!
  })
  let polls: Array<string | null> | undefined
  let voteMeans: number[][] | undefined
  if (job.votes !== undefined) {
    const { interruptVotes } = await import('../../src/interpreters/collective/interruptVotes.js')
    let poll = 0
    const signalAt = job.votes.signalAt
    const votes = interruptVotes(comm, () => (signalAt !== undefined && poll >= signalAt ? 'SIGTERM' : undefined))
    polls = []
    voteMeans = []
    for (const [i, exchange] of job.votes.exchange.entries()) {
      polls.push(votes.poll() ?? null)
      poll++
      if (exchange)
        votes.communicator.allReduceMeanVia(
          2,
          (target) => target.set([job.rank, i]),
          (m) => voteMeans!.push(Array.from(m)),
        )
    }
  }
  let buffers: { mean: number[]; count: number[] } | undefined
  if (job.buffers !== undefined) {
    // Loaded only for this case: the plain communicator tests start faster without tfjs.
    const [tf, { Effect }, { collectiveService }, { TensorStore }, { useCpu }] = await Promise.all([
      import('@tensorflow/tfjs-core'),
      import('effect'),
      import('../../src/interpreters/collective/service.js'),
      import('../../src/interpreters/tensor/TensorStore.js'),
      import('../../src/tensor/cpu.js'),
    ])
    await useCpu()
    const store = new TensorStore()
    const tree = store.externalize({
      'bn.running_mean': tf.tensor(job.buffers.mean),
      'bn.num_batches_tracked': tf.scalar(job.buffers.count, 'int32'),
    })
    const synced = Effect.runSync(collectiveService(comm, store).allReduceMean(tree))
    const values = (name: string) => Array.from(store.get(synced[name]!).dataSync())
    buffers = { mean: values('bn.running_mean'), count: values('bn.num_batches_tracked') }
  }
  comm.barrier()
  parentPort!.postMessage({ ok: true, reduced, broadcast, gathered, buffers, viaMeans, polls, voteMeans })
} catch (e) {
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) })
}
