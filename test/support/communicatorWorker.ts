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
  /** Fail before the first collective (tests the launcher's abort). */
  readonly failFirst?: boolean
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
  comm.barrier()
  parentPort!.postMessage({ ok: true, reduced, broadcast })
} catch (e) {
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) })
}
