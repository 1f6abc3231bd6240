/**
 * What a data-parallel run agrees on, and what only rank 0 does.
 *
 * - The seed: rank 0's (MMEngine's `sync_random_seed`), so that replicas
 *   start from the same parameters and the samplers shuffle alike.
 * - Interrupts: a signal stops every rank at the same iteration boundary
 *   (`interruptVotes.ts`).
 * - Files: rank 0 writes checkpoints, logs and `last_checkpoint`
 *   (MMEngine's `master_only`); the other ranks' file operations do nothing.
 * @module
 */
import * as Effect from 'effect/Effect'
import { Files } from '../../dsl/Services.js'
import type { Communicator } from './Communicator.js'

/** Rank 0's `seed` on every rank (a seed below 2³² travels as two exact 16-bit halves). */
export const sharedSeed = (communicator: Communicator, seed: number): number => {
  if (communicator.worldSize === 1) return seed
  const halves = Float32Array.of(Math.floor(seed / 0x10000), seed % 0x10000)
  communicator.broadcast(halves, 0)
  return halves[0]! * 0x10000 + halves[1]!
}

/** The files of a rank other than 0: nothing is written, removed or copied. */
export const discardedFiles: Files['Service'] = Files.of({
  writeText: () => Effect.void,
  appendText: () => Effect.void,
  remove: () => Effect.void,
  writeBytes: () => Effect.void,
  appendBytes: () => Effect.void,
  copyOut: () => Effect.succeed([]),
})
