/**
 * `param_scheduler` (spec §12): one scheduler dict, a list of them, or — for
 * an `OptimWrapperDict` — a dict of lists keyed by wrapper name. The common
 * keys are checked here; each scheduler type's own arguments belong to the
 * optimizer layer.
 * @module
 */
import * as t from 'io-ts'
import { boolean, check, dispatch, isDict, nonNegativeInt, positiveInt, record } from '../../schema/codec.js'
import type { Codec } from '../../schema/codec.js'
import { component, oneOrList } from './component.js'
import type { Component } from './component.js'

const common = { by_epoch: boolean, begin: nonNegativeInt, end: positiveInt, convert_to_iter_based: boolean }

/** One scheduler dict: a `type`, checked common keys, and the scheduler's own arguments. */
export const scheduler: Codec<Component> = check(
  new t.Type<Component, Component, unknown>(
    'a scheduler dict with a `type`',
    (u): u is Component => scheduler.validate(u, [])._tag === 'Right',
    (u, c) => {
      const base = component('a scheduler dict with a `type`').validate(u, c)
      if (base._tag === 'Left') return base
      const errors: t.ValidationError[] = []
      for (const [key, codec] of Object.entries(common)) {
        const value = base.right[key]
        if (value === undefined) continue
        const r = (codec as Codec<unknown>).validate(value, t.appendContext(c, key, codec, value))
        if (r._tag === 'Left') errors.push(...r.left)
      }
      return errors.length > 0 ? t.failures(errors) : base
    },
    t.identity,
  ),
  (s) => {
    const begin = typeof s['begin'] === 'number' ? s['begin'] : 0
    if (typeof s['end'] === 'number' && s['end'] <= begin)
      return `end (${s['end']}) must be greater than begin (${begin})`
    if (s['convert_to_iter_based'] === true && s['by_epoch'] === false)
      return 'convert_to_iter_based needs by_epoch=True'
    return undefined
  },
)

const list = oneOrList(scheduler, 'a scheduler dict or a list of scheduler dicts')

export type ParamSchedulerCfg =
  | Component
  | ReadonlyArray<Component>
  | { readonly [wrapper: string]: Component | ReadonlyArray<Component> }

export const paramScheduler: Codec<ParamSchedulerCfg> = dispatch(
  'a scheduler dict, a list of them, or a dict of lists per optimizer wrapper',
  [
    [(u) => Array.isArray(u) || (isDict(u) && u['type'] !== undefined), list],
    [isDict, record(list, 'a dict of scheduler lists per optimizer wrapper')],
  ],
)
