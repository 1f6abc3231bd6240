/**
 * Running a loopwright Effect as a program's main: the value on success; on
 * failure one line on stderr and a non-zero `process.exitCode`, never a stack
 * trace. Errors loopwright expects (a bad config, a missing backend, a failed
 * run) print their own message; anything else is a defect in loopwright and
 * says "internal error" and where to report it.
 * @module
 */
import * as Cause from 'effect/Cause'
import * as Effect from 'effect/Effect'
import * as Exit from 'effect/Exit'
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_RUN_FAILED } from './exitCodes.js'

/** Where to report a defect. */
export const reportHint =
  'this is a bug in loopwright: please report it with the command or code you ran (`npm bugs loopwright`)'

/** The one line said for a defect (a thrown exception, not an error value). */
export const internalError = (defect: unknown): string => {
  const message = defect instanceof Error ? defect.message : String(defect)
  return `loopwright: internal error: ${message.split('\n')[0]} (${reportHint})`
}

/** An error value's one-line message: its issues (`path: message`) or its message. */
export const errorLine = (error: unknown): string => {
  const e = error as {
    readonly message?: string
    readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string }>
  }
  if (Array.isArray(e.issues) && e.issues.length > 0) {
    return e.issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('\n')
  }
  return typeof e.message === 'string' && e.message !== '' ? e.message : String(error)
}

/** Exit code for an error value: a run that failed while running is 1; anything refused before it is 2. */
const exitCodeOf = (error: unknown): number =>
  (error as { readonly during?: string }).during === 'run' ? EXIT_RUN_FAILED : EXIT_BAD_INPUT

/**
 * Run `effect`. On success, resolve to its value; on failure, print one line
 * to stderr, set `process.exitCode` and resolve to `undefined`.
 *
 * @example
 * ```ts
 * import { runMain, train } from 'loopwright'
 * const result = await runMain(train(program))   // a bad setting prints one line, exit code 2
 * ```
 */
export const runMain = async <A, E>(effect: Effect.Effect<A, E>): Promise<A | undefined> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const failure = exit.cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined) {
    process.stderr.write(`${errorLine(failure.error)}\n`)
    process.exitCode = exitCodeOf(failure.error)
    return undefined
  }
  const defect = exit.cause.reasons.find(Cause.isDieReason)
  if (defect === undefined) {
    process.stderr.write('loopwright: interrupted\n')
    process.exitCode = EXIT_RUN_FAILED
    return undefined
  }
  process.stderr.write(`${internalError(defect.defect)}\n`)
  process.exitCode = EXIT_INTERNAL
  return undefined
}
