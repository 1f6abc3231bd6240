/**
 * What every optimizer constructor takes and gives back.
 * @module
 */
import type { Json } from '../../schema/codec.js'

/** A config dict as it comes from the config file (validated by the constructors themselves). */
export type CfgDict = { readonly [key: string]: unknown }

/**
 * One param group as a constructor builds it: the parameter names (in model
 * order) and only the keys the constructor sets (`lr`, `weight_decay`, keys
 * copied from a `custom_keys` entry, layer-decay keys, …). Keys it leaves
 * unset fall back to the optimizer defaults ({@link withDefaults}).
 */
export type GroupRecord = { readonly params: ReadonlyArray<string>; readonly [key: string]: Json }

export interface ConstructorResult {
  readonly groups: ReadonlyArray<GroupRecord>
  /** Decisions, as MMEngine logs them (`paramwise_options -- {name}:{key}={value}`, the layer-decay group table, …). */
  readonly log: ReadonlyArray<string>
  /**
   * Parameters skipped (frozen, duplicate), options that have no effect, `custom_keys` entries that matched nothing.
   */
  readonly warnings: ReadonlyArray<string>
  /**
   * The optimizer cfg to build the optimizer from: the input minus the keys the constructor pops (`model_type`,
   * `layer_decay_rate`).
   */
  readonly optimizerCfg: CfgDict
}

export interface ConstructorOptions {
  /** Where `optimizer` and `paramwise_cfg` sit in the config, for issue paths (default `'optim_wrapper'`). */
  readonly path?: string
}
