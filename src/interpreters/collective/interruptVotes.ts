/**
 * Stopping every rank of a data-parallel run at the same iteration
 * boundary when any of them saw a signal, without a collective call of its
 * own on most iterations.
 *
 * Each rank's vote (1 once it has seen a signal) rides as one extra value on
 * the gradient average (`allReduceMeanVia`), so the mean of the votes arrives
 * with the mean of the gradients, alike on every rank. A poll answers with
 * the votes of the latest such average since the previous poll; when there
 * was none (the first iteration, a micro-batch of gradient accumulation) it
 * asks the other ranks with a one-value all-reduce, as before. Every rank
 * makes the same calls in the same order, so every rank takes the same
 * answer at the same boundary. A signal stops the run one iteration later
 * than an all-reduce at every boundary would: the vote cast at a poll
 * travels with the next iteration's gradients.
 *
 * One fewer meeting point per iteration matters on a shared machine: each
 * one waits for the slowest rank, so two per step absorb the ranks'
 * different delays twice.
 * @module
 */
import type { MeanReducer } from '../../optim/transforms/meanReducer.js'
import type { Communicator } from './Communicator.js'

export type Signal = 'SIGINT' | 'SIGTERM'

export interface InterruptVotes {
  /** The communicator to train with: its `allReduceMeanVia` carries this rank's vote. */
  readonly communicator: Communicator
  /** Every rank's answer at an iteration boundary: the signal this rank saw, SIGINT if only another did. */
  readonly poll: () => Signal | undefined
}

/** The agreed interrupt poll of `communicator`'s rank, whose own signals `local` reports. */
export const interruptVotes = (communicator: Communicator, local: () => Signal | undefined): InterruptVotes => {
  if (communicator.worldSize === 1) return { communicator, poll: local }
  let seen: Signal | undefined
  /** The mean of the votes carried by the latest average since the previous poll. */
  let carried: number | undefined
  const allReduceMeanVia: MeanReducer = (length, fill, read) =>
    communicator.allReduceMeanVia(
      length + 1,
      (target) => {
        fill(target.subarray(0, length))
        target[length] = seen === undefined ? 0 : 1
      },
      (mean) => {
        carried = mean[length]
        read(mean.subarray(0, length))
      },
    )
  const poll = (): Signal | undefined => {
    seen ??= local()
    let votes = carried
    carried = undefined
    if (votes === undefined) {
      const flag = Float32Array.of(seen === undefined ? 0 : 1)
      communicator.allReduceMean(flag)
      votes = flag[0]
    }
    return votes === 0 ? undefined : (seen ?? 'SIGINT')
  }
  return { communicator: { ...communicator, allReduceMeanVia }, poll }
}
