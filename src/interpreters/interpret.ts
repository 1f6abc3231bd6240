/**
 * The interpreter loop both interpreters share: walk the timeline, set the
 * runner's counters, thread the state through each stage's hooks in
 * priority order, and hand steps to the `Steps` service. The two
 * interpreters differ only in the Layers they provide.
 * @module
 */
import * as Effect from 'effect/Effect'
import type { StageEvent } from '../dsl/Event.js'
import * as Hook from '../dsl/Hook.js'
import type { HookError } from '../dsl/Hook.js'
import * as Loop from '../dsl/Loop.js'
import type { Program } from '../dsl/Program.js'
import { Steps } from '../dsl/Services.js'
import type { HookServices, StepError } from '../dsl/Services.js'
import * as Stage from '../dsl/Stage.js'
import * as S from '../dsl/State.js'
import type { State } from '../dsl/State.js'
import { timeline } from '../dsl/timeline.js'
import type { Control, Sizes, TimelineOptions } from '../dsl/timeline.js'
import { Trace } from './Trace.js'

/** Runs the hooks of one stage in order, recording each call at `depth`. */
export const runStage = (
  hooks: ReadonlyArray<Hook.Hook<HookServices>>,
  stage: Stage.Stage,
  depth: number,
): ((state: State, event: StageEvent) => Effect.Effect<State, HookError, HookServices | Trace>) => {
  const composed = Hook.compose<HookServices, Trace>(hooks, stage, (hook, call, event) =>
    Effect.flatMap(
      Trace.use((trace) =>
        trace.record({
          _tag: 'HookCall',
          stage,
          hook: hook.name,
          epoch: event.epoch,
          iter: event.iter,
          ...(event.batchIdx === undefined ? {} : { batchIdx: event.batchIdx }),
          depth,
        }),
      ),
      () => call,
    ),
  )
  // A nested call (from inside another hook) is a stage call of its own, as MMEngine's `call_hook` makes it.
  return depth === 0
    ? composed
    : (state, event) =>
        Effect.flatMap(
          Trace.use((trace) => trace.record({ _tag: 'Event', stage, epoch: event.epoch, iter: event.iter, depth })),
          () => composed(state, event),
        )
}

/** The counters a program runs with for these sizes. */
export const initialState = (program: Program, sizes: Sizes, seed: number): State => {
  const loop = program.trainLoop
  return S.initial({
    seed,
    maxEpochs: loop === undefined ? 0 : Loop.maxEpochs(loop),
    maxIters: loop === undefined ? 0 : Loop.maxIters(loop, sizes.train ?? 0),
  })
}

// Signals are delivered between turns of Node's event loop; a synchronous run must give it one to notice them.
const turnOfTheEventLoop = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Outside control of a run: a stop request (a signal) checked at every iteration boundary. */
export interface InterpretControl {
  /** Asked before each training iteration; `true` ends the interpretation there. */
  readonly interrupt?: () => boolean
  /** Receives the state at the boundary where the run was interrupted (counters = iterations finished). */
  readonly onInterrupt?: (state: State) => void
  /**
   * Asked after each stage's hooks ran: may move the train loop forward to iteration `skipTo` (or, after an epoch,
   * to the start of epoch `skipEpochsTo`, or an iteration-based one past blocks of iterations to `skipItersTo`),
   * with the state the iterations in between would leave (the dry run's
   * fast-forward over iterations that differ only in counters; see the timeline's {@link Control}).
   */
  readonly fastForward?: (
    state: State,
    event: StageEvent,
  ) =>
    | { readonly state: State; readonly skipTo?: number; readonly skipEpochsTo?: number; readonly skipItersTo?: number }
    | undefined
}

/**
 * Interpret `program` from `state`: every timeline event in order. A stop
 * requested through the state (`stopTraining`) is passed back to the
 * timeline, which ends training where MMEngine would.
 */
export const interpret = (
  program: Program,
  hooks: ReadonlyArray<Hook.Hook<HookServices>>,
  sizes: Sizes,
  state: State,
  options: TimelineOptions = {},
  control: InterpretControl = {},
): Effect.Effect<State, HookError | StepError, HookServices | Steps | Trace> =>
  Effect.gen(function* () {
    const stages = new Map(Stage.all.map((stage) => [stage, runStage(hooks, stage, 0)] as const))
    const steps = yield* Steps
    const trace = yield* Trace
    const events = timeline(program, sizes, options)
    let current = state
    let stopSent = false
    let next = events.next()
    while (next.done !== true) {
      const event = next.value
      // An interrupt takes effect between iterations, where a checkpoint resumes exactly.
      if (control.interrupt !== undefined && event._tag === 'StageEvent' && event.stage === 'before_train_iter') {
        yield* turnOfTheEventLoop
        if (control.interrupt()) {
          const atBoundary = S.atCounters(current, event.epoch, event.iter)
          control.onInterrupt?.(atBoundary)
          return atBoundary
        }
      }
      current = S.atCounters(current, event.epoch, event.iter)
      if (event._tag === 'StageEvent') {
        if (event.stage === 'after_val_epoch' || event.stage === 'after_test_epoch')
          current = yield* steps.evaluate(current, event.stage === 'after_val_epoch' ? 'val' : 'test')
        yield* trace.record({
          _tag: 'Event',
          stage: event.stage,
          epoch: event.epoch,
          iter: event.iter,
          ...(event.batchIdx === undefined ? {} : { batchIdx: event.batchIdx }),
        })
        current = yield* stages.get(event.stage)!(current, event)
      } else {
        yield* trace.record({
          _tag: 'Step',
          mode: event.mode,
          epoch: event.epoch,
          iter: event.iter,
          batchIdx: event.batchIdx,
        })
        current = yield* steps.run(current, event)
      }
      let feedback: Control | undefined = current.stopTraining && !stopSent ? { stopTraining: true } : undefined
      if (feedback !== undefined) stopSent = true
      else if (control.fastForward !== undefined && event._tag === 'StageEvent') {
        const jump = control.fastForward(current, event)
        if (jump !== undefined) {
          current = jump.state
          feedback = {
            ...(jump.skipTo === undefined ? {} : { skipTo: jump.skipTo }),
            ...(jump.skipEpochsTo === undefined ? {} : { skipEpochsTo: jump.skipEpochsTo }),
            ...(jump.skipItersTo === undefined ? {} : { skipItersTo: jump.skipItersTo }),
          }
        }
      }
      next = events.next(feedback)
    }
    return current
  })
