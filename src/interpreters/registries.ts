/**
 * The registries configs are decoded against when the caller names none: every built-in hook type and
 * MMEngine's `LogProcessor`. They live here, above config/, so that config/ never imports hook code.
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

/** The built-in hook types and the `log_processor` codec. */
export const defaultRegistries: Registries = { hooks: defaultHookTypes, logProcessor: LogProcessor.codec }
