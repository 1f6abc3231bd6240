/**
 * The tensor interpreter's one error: training could not start, or stopped on an error.
 * @module
 */
import * as Data from 'effect/Data'
import * as Effect from 'effect/Effect'
import type * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import { formatIssue } from '../../schema/codec.js'

/**
 * Training could not start (bad config, missing data or checkpoint) or stopped on an error; `issues` say what and
 * where.
 */
export class TrainError extends Data.TaggedError('TrainError')<{
  readonly issues: ReadonlyArray<Issue>
  /**
   * `'setup'`: the run could not start (bad config, data or checkpoint: bad input); `'run'`: a step, hook or file
   * operation failed while it ran.
   */
  readonly during?: 'setup' | 'run'
}> {
  override get message(): string {
    return this.issues.map(formatIssue).join('\n')
  }
}

/** Fail the run with these issues. */
export const fail = (issues: ReadonlyArray<Issue>): Effect.Effect<never, TrainError> =>
  Effect.fail(new TrainError({ issues }))

/** Lift a validation result into the run. */
export const orFail = <A>(either: E.Either<ReadonlyArray<Issue>, A>): Effect.Effect<A, TrainError> =>
  either._tag === 'Left' ? fail(either.left) : Effect.succeed(either.right)
