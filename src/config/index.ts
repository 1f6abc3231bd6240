/**
 * Configs: decoding, loading, overrides, and the route to a `Program`.
 * @module
 */
export { ConfigError, codec, decode, sectionNames, sections, variablesOf } from './Config.js'
export type { Config, DecodeOptions, Registries } from './Config.js'
export { load, isCodeConfig } from './load.js'
export type { Loaded, LoadOptions } from './load.js'
export { applyCfgOptions, parseCfgOptions } from './cfgOptions.js'
export { mergeInto } from './merge.js'
export { toProgram } from './toProgram.js'
export { formatIssue } from '../schema/codec.js'
export type { Issue, Json } from '../schema/codec.js'
