/**
 * The vocabulary shared by every parameter scheduler (spec §12): param
 * groups, the build context, Python-like errors, and two numeric helpers
 * that keep the float64 arithmetic identical to MMEngine's.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Json } from '../../dsl/MessageHub.js'

/** One param group's hyper-parameters (`optimizer.param_groups[i]` minus `params`). */
export type GroupValues = { readonly [key: string]: Json }

/**
 * The groups a scheduler acts on, in order; for a wrapper with several real groups the base group is last (spec §7.4).
 */
export type Groups = ReadonlyArray<GroupValues>

/** MMEngine's `INF = int(1e9)`: the default `end`, and ReduceOnPlateau's initial `best`. */
export const INF = 1e9

/**
 * What the runner knows when it builds the schedulers (spec §1.3 step 5).
 * Every field is optional: without `maxEpochs`/`maxIters` a missing `end`
 * stays `INF`, as when MMEngine builds a scheduler outside a runner.
 */
export interface BuildContext {
  /** `len(train_dataloader)`, needed by `convert_to_iter_based`. */
  readonly epochLength?: number
  /** The default `end` of a `by_epoch=True` scheduler. */
  readonly maxEpochs?: number
  /** The default `end` of a `by_epoch=False` scheduler. */
  readonly maxIters?: number
  /**
   * How many of the groups are the optimizer's real groups; the rest (at most
   * one) is the wrapper's base group. Only ReduceOnPlateau's per-group
   * `min_value` list uses it. Defaults to all groups.
   */
  readonly realGroups?: number
  /**
   * `optimizer.defaults`, which MMEngine's momentum schedulers inspect to
   * choose between `momentum` and Adam's `betas`. Without it the first group
   * decides (`betas` first, so a second momentum scheduler on Adam groups
   * still keeps `betas` in sync).
   */
  readonly defaults?: GroupValues
}

/** The Python exception MMEngine would raise. */
export type PythonError = 'ValueError' | 'KeyError' | 'TypeError' | 'ZeroDivisionError'

/** A step that MMEngine would abort with an exception, as a value. */
export interface SchedulerError {
  readonly _tag: 'SchedulerError'
  readonly error: PythonError
  readonly message: string
}

export const schedulerError = (error: PythonError, message: string): SchedulerError => ({
  _tag: 'SchedulerError',
  error,
  message,
})

/** Values computed for the groups, or the exception that stopped the computation. */
export type Values = E.Either<SchedulerError, ReadonlyArray<number>>

/**
 * Python's `a % n` (the result has the sign of `n`), where JS `%` keeps the
 * sign of `a` (spec §0).
 */
export const pyMod = (a: number, n: number): number => ((a % n) + n) % n

/** Thrown by {@link div} and turned into a `ZeroDivisionError` value by {@link guarded}; never escapes this package. */
class DivisionByZero {
  constructor(readonly message: string) {}
}

/** Python's float `/`: the same IEEE quotient, but dividing by zero is an error rather than ±Infinity or NaN. */
export const div = (a: number, b: number): number => {
  if (b === 0) throw new DivisionByZero('float division by zero')
  return a / b
}

/** Python's `float ** float` for the cases a schedule meets: `0.0 ** negative` is an error. */
export const pow = (base: number, exponent: number): number => {
  if (base === 0 && exponent < 0) throw new DivisionByZero('0.0 cannot be raised to a negative power')
  return base ** exponent
}

/** Run a value computation that uses {@link div}/{@link pow}, returning a division by zero as a `ZeroDivisionError`. */
export const guarded = (compute: () => Values): Values => {
  try {
    return compute()
  } catch (e) {
    if (e instanceof DivisionByZero) return E.left(schedulerError('ZeroDivisionError', e.message))
    throw e
  }
}

/** `group[key]` as a number: a missing key is MMEngine's KeyError, anything else but a number a TypeError. */
export const numberIn = (group: GroupValues, key: string, index: number): E.Either<SchedulerError, number> => {
  const v = group[key]
  if (v === undefined) return E.left(schedulerError('KeyError', `param_groups[${index}] has no '${key}'`))
  if (typeof v !== 'number')
    return E.left(
      schedulerError('TypeError', `param_groups[${index}]['${key}'] must be a number, got ${JSON.stringify(v)}`),
    )
  return E.right(v)
}

/** `[group[key] for group in groups]`, all numbers. */
export const numbersIn = (groups: Groups, key: string): Values => {
  const out: number[] = []
  for (let i = 0; i < groups.length; i++) {
    const v = numberIn(groups[i]!, key, i)
    if (v._tag === 'Left') return v
    out.push(v.right)
  }
  return E.right(out)
}

/** A scheduler (any of the catalogue) together with the groups it left behind. */
export interface Stepped<S> {
  readonly scheduler: S
  readonly groups: Groups
}
