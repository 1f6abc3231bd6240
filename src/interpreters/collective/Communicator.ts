/**
 * The communication a data-parallel run needs, as MPI names it: a rank in a
 * world of processes (or threads), an in-place all-reduce of float32 values,
 * a broadcast from one rank, an all-gather and a barrier. Every call is collective: all
 * ranks make the same calls in the same order, and each call blocks until
 * its part is done. Synchronous on purpose: the gradient reduction runs
 * inside the optimizer step, which is synchronous code.
 *
 * Three implementations: `oneProcess.ts` (the identity), worker threads
 * sharing memory (`threads.ts`) and MPI (`mpi.ts`). The hooks' `Collective`
 * service is built over one of them (`service.ts`).
 * @module
 */
import type { MeanReducer } from '../../optim/transforms/meanReducer.js'

export interface Communicator {
  /** This worker's rank, `0 ≤ rank < worldSize`; rank 0 writes checkpoints and logs. */
  readonly rank: number
  readonly worldSize: number
  /** Replace `values` by their element-wise mean over all ranks; every rank gets bit-identical results. */
  readonly allReduceMean: (values: Float32Array) => void
  /**
   * The same mean, written and read in the transport's own buffer (`fill`, then `read` while it lies there): the
   * gradient average of every step, without copies where the transport has memory of its own.
   */
  readonly allReduceMeanVia: MeanReducer
  /** Replace `values` on every rank by rank `root`'s. */
  readonly broadcast: (values: Float32Array, root: number) => void
  /**
   * Every rank's `values` in rank order, on every rank (lengths may differ): the evaluation results of a sharded
   * validation are gathered with it.
   */
  readonly allGather: (values: Float32Array) => Float32Array[]
  /** Return once every rank has called it. */
  readonly barrier: () => void
  /** Which engine carries the messages, for the run's log (`'worker threads (shared memory)'`, `'MPI'`). */
  readonly transport: string
}
