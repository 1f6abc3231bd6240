/**
 * Hook priorities on MMEngine's scale: a lower value runs earlier.
 *
 * A priority is written either as one of nine names (case-insensitive, as
 * MMEngine's `get_priority` accepts them) or as an integer in [0, 100].
 *
 * @example
 * ```ts
 * import { Priority } from 'loopwright'
 * Priority.parse('high')   // Right({ value: 30, name: 'HIGH' })
 * Priority.parse(45)       // Right({ value: 45, name: undefined })
 * Priority.parse(101)      // Left(PriorityError: expected … got 101)
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as N from 'fp-ts/lib/number.js'
import * as Ord from 'fp-ts/lib/Ord.js'
import { pipe } from 'fp-ts/lib/function.js'

/** The nine named levels and their values (MMEngine `mmengine/runner/priority.py`). */
export const levels = {
  HIGHEST: 0,
  VERY_HIGH: 10,
  HIGH: 30,
  ABOVE_NORMAL: 40,
  NORMAL: 50,
  BELOW_NORMAL: 60,
  LOW: 70,
  VERY_LOW: 90,
  LOWEST: 100,
} as const

/** One of the nine level names. */
export type PriorityName = keyof typeof levels

/**
 * A priority as a user may write it: a decoded {@link Priority}
 * (`Priority.LOW`), a level name in either case (`'LOW'`, `'low'`), or an
 * integer from 0 to 100 (`70`). {@link decode} turns any of them into a
 * {@link Priority} and anything else into an error value.
 */
export type PriorityInput = Priority | PriorityName | Lowercase<PriorityName> | number

/** A decoded priority: its integer value, and the level name when the value is a named level. */
export interface Priority {
  readonly value: number
  readonly name: PriorityName | undefined
}

/** Why a value is not a priority. The message says what was expected and what was given. */
export interface PriorityError {
  readonly _tag: 'PriorityError'
  readonly message: string
}

const byValue = new Map<number, PriorityName>(
  Object.entries(levels).map(([name, value]) => [value, name as PriorityName]),
)

const names = Object.keys(levels) as PriorityName[]

/** The priority with this integer value (no range check; use {@link parse} for user input). */
export const make = (value: number): Priority => ({ value, name: byValue.get(value) })

/** The priority of a named level. */
export const named = (name: PriorityName): Priority => make(levels[name])

export const HIGHEST = named('HIGHEST')
export const VERY_HIGH = named('VERY_HIGH')
export const HIGH = named('HIGH')
export const ABOVE_NORMAL = named('ABOVE_NORMAL')
export const NORMAL = named('NORMAL')
export const BELOW_NORMAL = named('BELOW_NORMAL')
export const LOW = named('LOW')
export const VERY_LOW = named('VERY_LOW')
export const LOWEST = named('LOWEST')

const expectation = `a priority name (${names.join(', ')}) or an integer from 0 to 100`

const fail = (got: unknown): E.Either<PriorityError, Priority> =>
  E.left({ _tag: 'PriorityError', message: `expected ${expectation}, got ${JSON.stringify(got) ?? String(got)}` })

/**
 * Decode a priority as MMEngine's `get_priority` does: an integer in [0, 100],
 * or a level name in any letter case. Anything else is an error value.
 */
export const parse = (input: unknown): E.Either<PriorityError, Priority> => {
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= 0 && input <= 100 ? E.right(make(input)) : fail(input)
  }
  if (typeof input === 'string') {
    const upper = input.toUpperCase()
    return upper in levels ? E.right(named(upper as PriorityName)) : fail(input)
  }
  return fail(input)
}

const isPriority = (input: unknown): input is Priority =>
  typeof input === 'object' && input !== null && 'value' in input && 'name' in input

/**
 * Decode a {@link PriorityInput} at run time (callers without a type checker
 * may pass anything): an already decoded priority is checked like a number.
 *
 * @example
 * ```ts
 * Priority.decode(Priority.LOW) // Right({ value: 70, name: 'LOW' })
 * Priority.decode('LWO')        // Left(PriorityError: expected … got "LWO")
 * ```
 */
export const decode = (input: unknown): E.Either<PriorityError, Priority> =>
  isPriority(input) ? (typeof input.value === 'number' ? parse(input.value) : fail(input.value)) : parse(input)

/** The label MMEngine prints in its hook table: the level name, or the number for unnamed values. */
export const label = (priority: Priority): string => priority.name ?? String(priority.value)

/** Orders priorities by value: lower runs first. */
export const ord: Ord.Ord<Priority> = pipe(
  N.Ord,
  Ord.contramap((p: Priority) => p.value),
)
