/**
 * The registries configs are decoded against when the caller names none: every built-in hook type,
 * MMEngine's `LogProcessor` and its `Visualizer` with the vis backends loopwright provides. They live here, above
 * config/, so that config/ never imports hook code.
 *
 * @example
 * ```ts
 * import { Config, Registry, defaultRegistries } from 'loopwright'
 * const registries = { ...defaultRegistries, hooks: Registry.register(defaultRegistries.hooks, myHookType) }
 * Config.decode(cfg, registries)
 * ```
 * @module
 */
import type { Registries } from '../config/Config.js'
import * as LogProcessor from '../hooks/logging/LogProcessor.js'
import { defaultHookTypes } from '../hooks/registry.js'
import { visualizer } from '../hooks/visualization/visualizerConfig.js'

/** The built-in hook types, the `log_processor` codec and the `visualizer` codec. */
export const defaultRegistries: Registries = { hooks: defaultHookTypes, logProcessor: LogProcessor.codec, visualizer }
