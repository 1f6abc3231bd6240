/**
 * loopwright: MMEngine-style training runs for TensorFlow.js, as values.
 *
 * The public API. Deep modules are implementation details.
 * @module
 */
export * as Stage from './dsl/Stage.js'
export * as Priority from './dsl/Priority.js'
export * as Event from './dsl/Event.js'
export * as Loop from './dsl/Loop.js'
export * as Hook from './dsl/Hook.js'
export * as State from './dsl/State.js'
export * as MessageHub from './dsl/MessageHub.js'
export * as Rng from './dsl/Rng.js'
export * as Program from './dsl/Program.js'
export * as Services from './dsl/Services.js'
export { timeline } from './dsl/timeline.js'
export type { Timeline, Sizes, TimelineOptions, Control, Entry } from './dsl/timeline.js'
export * as Config from './config/index.js'
export * as Registry from './config/registry.js'
export * as LogProcessor from './hooks/logging/LogProcessor.js'
export { defaultHookTypes } from './hooks/registry.js'
export type { HookType, HookSite } from './hooks/HookType.js'
export * as DryRun from './interpreters/dryRun.js'
export { version } from './version.js'
