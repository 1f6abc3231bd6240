/**
 * A hook type: what a config's `dict(type='LoggerHook', ...)` names. It knows
 * its class-default priority, decodes its constructor arguments (strictly:
 * an unknown argument is an error with a did-you-mean) and builds the hook.
 * @module
 */
import type { Codec } from '../schema/codec.js'
import type { Hook } from '../dsl/Hook.js'
import type { Priority, PriorityInput } from '../dsl/Priority.js'
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
  /** The class attribute priority (spec §2.1): `Priority.LOW`, `'LOW'` or `70`. */
  readonly defaultPriority: PriorityInput
  /** Decodes the constructor arguments (everything in the hook's dict except `type` and `priority`). */
  readonly args: Codec<Args>
  /** Build the hook. `program` is the validated program it is part of (for settings such as `log_processor`). */
  readonly build: (args: Args, site: HookSite, program: Program) => Hook<HookServices>
  /** Set when the type can be planned but not trained with yet: why (see `planOnlyHook`). */
  readonly planOnly?: string
  /**
   * What its hooks read and write at each stage (the fields of `dsl/Touches.ts`), for the plan's ordering-hazard
   * warnings; a function of the arguments where they decide it (a stage whose flag is off touches nothing).
   * `test/properties/touches.property.test.ts` holds every registered type to its declaration.
   */
  readonly touches: Touches | ((args: Args) => Touches)
}

/** A hook type's declaration for these arguments. */
export const touchesOf = <Args>(hookType: HookType<Args>, args: Args): Touches =>
  typeof hookType.touches === 'function' ? hookType.touches(args) : hookType.touches

/** Erase the argument type so hook types of different arguments share one registry. */
export const erase = <Args>(hookType: HookType<Args>): HookType<unknown> => hookType as unknown as HookType<unknown>
