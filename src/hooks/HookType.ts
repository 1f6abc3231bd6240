/**
 * A hook type: what a config's `dict(type='LoggerHook', ...)` names. It knows
 * its class-default priority, decodes its constructor arguments (strictly:
 * an unknown argument is an error with a did-you-mean) and builds the hook.
 * @module
 */
import type { Codec } from '../schema/codec.js'
import type { Hook } from '../dsl/Hook.js'
import type { Priority } from '../dsl/Priority.js'
import type { Touches } from '../dsl/Touches.js'
import type { Program } from '../dsl/Program.js'
import type { HookServices } from '../dsl/Services.js'

/** Where a hook is registered: its unique key in the run and its effective priority. */
export interface HookSite {
  readonly key: string
  readonly priority: Priority
}

export interface HookType<Args = unknown> {
  /** The config `type` name, which is also the printed class name. */
  readonly name: string
  /** The class attribute priority (spec §2.1). */
  readonly defaultPriority: Priority
  /** Decodes the constructor arguments (everything in the hook's dict except `type` and `priority`). */
  readonly args: Codec<Args>
  /** Build the hook. `program` is the validated program it is part of (for settings such as `log_processor`). */
  readonly build: (args: Args, site: HookSite, program: Program) => Hook<HookServices>
  /** Set when the type can be planned but not trained with yet: why (see `planOnlyHook`). */
  readonly planOnly?: string
  /** What its hooks read and write at each stage, for the plan's ordering-hazard warnings. */
  readonly touches?: Touches
}

/** Erase the argument type so hook types of different arguments share one registry. */
export const erase = <Args>(hookType: HookType<Args>): HookType<unknown> => hookType as unknown as HookType<unknown>
