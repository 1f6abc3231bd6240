/**
 * The trace both interpreters emit: every hook call and every step, with the
 * runner's counters, in order. `depth` is 1 for calls made from inside another
 * hook (the `before_save_checkpoint` hooks run while `CheckpointHook` saves).
 * @module
 */
import * as Context from 'effect/Context'
import * as Effect from 'effect/Effect'
import type { Mode, Stage } from '../dsl/Stage.js'

export type TraceEntry =
  | {
      readonly _tag: 'Event'
      readonly stage: Stage
      readonly epoch: number
      readonly iter: number
      readonly batchIdx?: number
      readonly depth?: number
    }
  | {
      readonly _tag: 'HookCall'
      readonly stage: Stage
      readonly hook: string
      readonly epoch: number
      readonly iter: number
      readonly batchIdx?: number
      readonly depth: number
    }
  | {
      readonly _tag: 'Step'
      readonly mode: Mode
      readonly epoch: number
      readonly iter: number
      readonly batchIdx: number
    }

/** Where trace entries go. */
export class Trace extends Context.Service<Trace, { readonly record: (entry: TraceEntry) => Effect.Effect<void> }>()(
  'loopwright/Trace',
) {}

/** A trace sink that keeps entries in memory (tests, the dry run's summary). */
export const collecting = (): { readonly entries: TraceEntry[]; readonly service: Trace['Service'] } => {
  const entries: TraceEntry[] = []
  return { entries, service: { record: (entry) => Effect.sync(() => void entries.push(entry)) } }
}
