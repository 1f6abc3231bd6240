/**
 * Strict io-ts codecs for scheduler configs and saved scheduler states.
 *
 * A config is decoded against the keys its `type` accepts: the common keys,
 * `param_name` for the generic `*ParamScheduler` classes, and the family's
 * own arguments. An unknown key is an error with a did-you-mean; a wrong
 * value reads `path: expected …, got …`.
 * @module
 */
import {
  array,
  boolean,
  int,
  nonEmptyString,
  nonNegativeInt,
  number,
  positiveInt,
  refine,
  struct,
} from '../../schema/codec.js'
import type { Codec, Json, StructOf } from '../../schema/codec.js'
import type { Entry, SchedulerType } from './catalogue.js'
import { chainable } from './families/index.js'
import * as Plateau from './families/reduceOnPlateau.js'
import type { Props } from './family.js'

/** `last_step`: an int ≥ −1 (−1: a fresh schedule; more: resume without a state dict). */
export const lastStep = refine('an integer ≥ -1', (u): u is number => Number.isInteger(u) && (u as number) >= -1)

/** The keys every scheduler dict may hold (spec §12.1, plus the config-only `convert_to_iter_based`). */
export const commonKeys = {
  by_epoch: boolean,
  begin: nonNegativeInt,
  end: positiveInt,
  last_step: lastStep,
  verbose: boolean,
  convert_to_iter_based: boolean,
}

export type CommonArgs = StructOf<{ readonly type: Codec<string> }, typeof commonKeys> & {
  readonly param_name?: string
}

/** The family's own argument codecs: required and optional. */
const ownArguments = (entry: Entry): { readonly required: Props; readonly optional: Props } =>
  entry.family === 'ReduceOnPlateau'
    ? { required: Plateau.required, optional: Plateau.optional }
    : chainable[entry.family]

/** The codec of one scheduler dict of the given registered type. */
export const argumentsCodec = (
  name: SchedulerType,
  entry: Entry,
): Codec<CommonArgs & { readonly [key: string]: Json | undefined }> => {
  const own = ownArguments(entry)
  const required = {
    type: nonEmptyString,
    ...(entry.kind === 'ParamScheduler' ? { param_name: nonEmptyString } : {}),
    ...own.required,
  }
  return struct(`${name} arguments`, required, { ...commonKeys, ...own.optional }) as unknown as Codec<
    CommonArgs & { readonly [key: string]: Json | undefined }
  >
}

/** The codecs of the base state fields. */
const baseState = {
  param_name: nonEmptyString,
  begin: int,
  end: int,
  by_epoch: boolean,
  last_step: lastStep,
  _global_step: int,
  verbose: boolean,
  _last_value: array(number),
}

/** The codecs of every state field of a scheduler of this type, except `type`. */
export const stateProps = (entry: Entry): Props => {
  const own =
    entry.family === 'ReduceOnPlateau'
      ? Plateau.state
      : { base_values: array(number), ...chainable[entry.family].state }
  const momentum = entry.kind === 'Momentum' ? { use_betas: boolean } : {}
  return { ...baseState, ...momentum, ...own }
}
