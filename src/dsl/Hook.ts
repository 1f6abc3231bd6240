/**
 * Hooks: priority-ordered middlewares over the run's `State`.
 *
 * A hook is a name, a priority and one middleware per stage it acts at. A
 * middleware is `(state, event) => Effect<State, HookError, R>`: it returns
 * the next state and reaches the world only through the services in `R`.
 * The hooks of one stage compose left to right (Kleisli composition) in
 * priority order; equal priorities keep registration order, and default
 * hooks are registered before custom hooks (spec §2.3–2.4).
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * import { Hook, Priority, State } from 'loopwright'
 * const countEpochs = Hook.make({
 *   name: 'CountEpochs',
 *   priority: 'NORMAL', // or Priority.NORMAL, or 50
 *   stages: {
 *     after_train_epoch: (state) =>
 *       Effect.succeed(State.setHookState(state, 'CountEpochs', State.hookState(state, 'CountEpochs', 0) + 1)),
 *   },
 * })
 * ```
 * @module
 */
import * as Data from 'effect/Data'
import * as Effect from 'effect/Effect'
import * as RA from 'fp-ts/lib/ReadonlyArray.js'
import * as Ord from 'fp-ts/lib/Ord.js'
import * as N from 'fp-ts/lib/number.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { StageEvent } from './Event.js'
import * as P from './Priority.js'
import type { Priority, PriorityInput } from './Priority.js'
import * as S from './Stage.js'
import type { Stage } from './Stage.js'
import type { State } from './State.js'
import type { Touches } from './Touches.js'

/** A hook failed; `message` says what went wrong in the user's terms. */
export class HookError extends Data.TaggedError('HookError')<{
  readonly hook: string
  readonly stage: Stage
  readonly message: string
}> {}

/** One stage's behaviour of a hook. */
export type Middleware<R = never> = (state: State, event: StageEvent) => Effect.Effect<State, HookError, R>

export interface Hook<R = never> {
  /** The hook's type name as MMEngine prints it (`'CheckpointHook'`). */
  readonly name: string
  /**
   * Unique among the hooks of a run; keys the hook's own state. Defaults to
   * the `default_hooks` key (`'checkpoint'`) or `custom_hooks[i]`.
   */
  readonly key: string
  readonly priority: Priority
  readonly stages: { readonly [K in Stage]?: Middleware<R> }
  /** What it reads and writes per stage, as its type declares for its arguments (set when built from a config). */
  readonly touches?: Touches
}

/**
 * A hook definition that cannot be a hook (a priority that is no priority).
 * A programming error, caught by the type checker for typed callers; a run
 * that builds such a hook reports it as one line naming the hook.
 */
export class HookDefinitionError extends Error {
  override readonly name = 'HookDefinitionError'
  constructor(
    readonly hook: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`hook ${JSON.stringify(hook)}: ${field}: ${reason}`)
  }
}

/**
 * Build a hook; `key` defaults to `name`, `priority` to `'NORMAL'` (as
 * MMEngine's `Hook.priority`). The priority is decoded at run time too, so a
 * caller without a type checker gets a {@link HookDefinitionError} naming the
 * hook for `'LWO'` or `101`, never a silently misplaced hook.
 */
export const make = <R = never>(hook: {
  readonly name: string
  readonly key?: string
  readonly priority?: PriorityInput
  readonly stages: { readonly [K in Stage]?: Middleware<R> }
}): Hook<R> => {
  const priority = P.decode(hook.priority === undefined ? P.NORMAL : hook.priority)
  if (priority._tag === 'Left') throw new HookDefinitionError(hook.name, 'priority', priority.left.message)
  return { name: hook.name, key: hook.key ?? hook.name, priority: priority.right, stages: hook.stages }
}

/** Does the hook act at `stage`? (MMEngine: "its class overrides that method".) */
export const actsAt = <R>(hook: Hook<R>, stage: Stage): boolean => hook.stages[stage] !== undefined

/** The stages a hook acts at, in stage order. */
export const stagesOf = <R>(hook: Hook<R>): ReadonlyArray<Stage> => S.all.filter((stage) => actsAt(hook, stage))

/** A hook with its registration index (0 for the first hook registered). */
export interface Registered<R = never> {
  readonly hook: Hook<R>
  readonly index: number
}

/** Execution order: by priority value, then by registration index. */
export const ord: Ord.Ord<Registered<unknown>> = Ord.getMonoid<Registered<unknown>>().concat(
  pipe(
    P.ord,
    Ord.contramap((r: Registered<unknown>) => r.hook.priority),
  ),
  pipe(
    N.Ord,
    Ord.contramap((r: Registered<unknown>) => r.index),
  ),
)

/**
 * Put hooks, given in registration order, into execution order. Equivalent to
 * registering them one by one with {@link insert} (a law in the test suite).
 */
export const order = <R>(registrationOrder: ReadonlyArray<Hook<R>>): ReadonlyArray<Hook<R>> =>
  pipe(
    registrationOrder.map((hook, index): Registered<R> => ({ hook, index })),
    RA.sort(ord as Ord.Ord<Registered<R>>),
    RA.map((r) => r.hook),
  )

/**
 * MMEngine's `register_hook`: insert after the last hook whose priority is ≤
 * the new one's (scanning from the end), or at the front if there is none.
 */
export const insert = <R>(executionOrder: ReadonlyArray<Hook<R>>, hook: Hook<R>): ReadonlyArray<Hook<R>> => {
  for (let i = executionOrder.length - 1; i >= 0; i--) {
    if (executionOrder[i]!.priority.value <= hook.priority.value) {
      return [...executionOrder.slice(0, i + 1), hook, ...executionOrder.slice(i + 1)]
    }
  }
  return [hook, ...executionOrder]
}

/** The hooks (already in execution order) that act at `stage`. */
export const atStage = <R>(executionOrder: ReadonlyArray<Hook<R>>, stage: Stage): ReadonlyArray<Hook<R>> =>
  executionOrder.filter((hook) => actsAt(hook, stage))

/**
 * Kleisli composition of every middleware at `stage`, in execution order.
 * `around` wraps each call (the interpreters use it to trace calls).
 */
export const compose = <R, R2 = never>(
  executionOrder: ReadonlyArray<Hook<R>>,
  stage: Stage,
  around: (
    hook: Hook<R>,
    call: Effect.Effect<State, HookError, R>,
    event: StageEvent,
  ) => Effect.Effect<State, HookError, R | R2> = (_hook, call) => call,
): Middleware<R | R2> => {
  const acting = atStage(executionOrder, stage)
  return (state, event) =>
    acting.reduce<Effect.Effect<State, HookError, R | R2>>(
      (previous, hook) => Effect.flatMap(previous, (s) => around(hook, hook.stages[stage]!(s, event), event)),
      Effect.succeed(state),
    )
}
