/**
 * Runs hooks over a program's timeline with the dry services, for hook tests.
 */
import { Effect } from 'effect'
import type { Program } from '../../src/dsl/Program.js'
import type { RunFacts } from '../../src/dsl/Services.js'
import type { State } from '../../src/dsl/State.js'
import type { Sizes, TimelineOptions } from '../../src/dsl/timeline.js'
import { defaultHookTypes } from '../../src/hooks/registry.js'
import * as Registry from '../../src/schema/registry.js'
import { struct } from '../../src/schema/codec.js'
import * as Hook from '../../src/dsl/Hook.js'
import * as Hub from '../../src/dsl/MessageHub.js'
import * as P from '../../src/dsl/Priority.js'
import * as S from '../../src/dsl/State.js'
import type { Json } from '../../src/dsl/MessageHub.js'
import type { HookType } from '../../src/hooks/HookType.js'
import * as Stage from '../../src/dsl/Stage.js'
import { buildHooks } from '../../src/interpreters/buildHooks.js'
import * as Dry from '../../src/interpreters/dry/layers.js'
import { initialState, interpret } from '../../src/interpreters/interpret.js'
import type { InterpretControl } from '../../src/interpreters/interpret.js'

/** A clock that advances by 1 on every read (MMEngine's IterTimerHook test patches time this way). */
export const tickingClock = () => {
  let t = 0
  return { now: Effect.sync(() => ++t) }
}

export const facts = (sizes: Sizes, workDir = 'work'): RunFacts => ({
  workDir,
  logDir: `${workDir}/ts`,
  timestamp: 'ts',
  experimentName: 'exp_ts',
  configText: '{}',
  sizes,
  datasetMeta: undefined,
})

/**
 * `ProbeHook` (LOWEST, acts at every stage): appends the runtime info `eta`
 * and the event's stage and counters to its own state, so tests can observe
 * what the other hooks did at each point.
 */
export const ProbeHook: HookType<unknown> = {
  name: 'ProbeHook',
  defaultPriority: P.LOWEST,
  args: struct('ProbeHook arguments', {}) as HookType<unknown>['args'],
  touches: Object.fromEntries(
    Stage.all.map((stage) => [
      stage,
      { reads: ['messageHub.info.eta', 'messageHub.info.loop_stage'], writes: ['own'] },
    ]),
  ),
  build: (_args, site) =>
    Hook.make({
      name: 'ProbeHook',
      key: site.key,
      priority: site.priority,
      stages: Object.fromEntries(
        Stage.all.map((stage) => [
          stage,
          (state: State, event: { readonly epoch: number; readonly iter: number; readonly batchIdx?: number }) =>
            Effect.succeed(
              S.setHookState(state, site.key, [
                ...S.hookState<ReadonlyArray<Json>>(state, site.key, []),
                {
                  stage,
                  epoch: event.epoch,
                  iter: event.iter,
                  batchIdx: event.batchIdx ?? null,
                  eta: Hub.getInfo(state.messageHub, 'eta') ?? null,
                  loopStage: Hub.getInfo(state.messageHub, 'loop_stage') ?? null,
                },
              ]),
            ),
        ]),
      ),
    }),
}

export const testHookTypes = Registry.register(defaultHookTypes, ProbeHook)

/** Interpret `program` with its hooks; returns the final state and what the services recorded. */
export const runHooks = async (
  program: Program,
  sizes: Sizes,
  options: {
    readonly clock?: { readonly now: Effect.Effect<number> }
    readonly timeline?: TimelineOptions
    readonly state?: State
    readonly control?: InterpretControl
  } = {},
): Promise<{ readonly state: State; readonly recording: Dry.Recording }> => {
  const built = buildHooks(program, testHookTypes)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  const hooks = built.right
  const recording = Dry.emptyRecording()
  const state = await Effect.runPromise(
    interpret(
      program,
      hooks,
      sizes,
      options.state ?? initialState(program, sizes, 0),
      options.timeline,
      options.control,
    ).pipe(
      Effect.provide(
        Dry.layer(recording, facts(sizes), () => hooks, {
          traceLimit: 1_000_000,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        }),
      ),
    ),
  )
  return { state, recording }
}
