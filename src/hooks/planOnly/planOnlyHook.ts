/**
 * Hook types the dry run can plan but loopwright cannot train with yet: they
 * decode their arguments strictly, take their class priority and act at the
 * stages their MMSelfSup/MMPretrain class overrides, and change no state.
 * `train` refuses them (see `buildHooks`), so a run never silently goes
 * without a hook its config asked for. The real hooks replace these entries
 * in the registry when they land.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../../dsl/Hook.js'
import type { Middleware } from '../../dsl/Hook.js'
import type { Priority } from '../../dsl/Priority.js'
import type { HookServices } from '../../dsl/Services.js'
import type { Stage } from '../../dsl/Stage.js'
import type { Touches } from '../../dsl/Touches.js'
import type { Codec } from '../../schema/codec.js'
import type { HookType } from '../HookType.js'

/** What a plan-only hook type says about itself. */
export interface PlanOnlySpec<Args> {
  readonly name: string
  readonly defaultPriority: Priority
  readonly args: Codec<Args>
  /** The stages the original class overrides (they appear in the hook table). */
  readonly stages: ReadonlyArray<Stage>
  /** Why it cannot train yet, for the error `train` gives. */
  readonly reason: string
  /** What the original class reads and writes at each stage. */
  readonly touches: Touches
}

/** A hook type whose hooks act at `spec.stages` without changing anything. */
export const planOnlyHook = <Args>(spec: PlanOnlySpec<Args>): HookType<Args> => ({
  name: spec.name,
  defaultPriority: spec.defaultPriority,
  args: spec.args,
  planOnly: spec.reason,
  touches: spec.touches,
  build: (_args, site) => {
    const unchanged: Middleware<HookServices> = (state) => Effect.succeed(state)
    const stages: { [K in Stage]?: Middleware<HookServices> } = {}
    for (const stage of spec.stages) stages[stage] = unchanged
    return Hook.make<HookServices>({ name: spec.name, key: site.key, priority: site.priority, stages })
  },
})
