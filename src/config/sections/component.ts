/**
 * Codecs shared by several sections: a component dict (`dict(type=..., ...)`)
 * and the "one dict or a list of dicts" shape.
 * @module
 */
import * as t from 'io-ts'
import { array, dispatch, expected, isDict, json, nonEmptyString } from '../../schema/codec.js'
import type { Codec, Json } from '../../schema/codec.js'

/** A component config: `type` plus arguments whose meaning belongs to the component. */
export type Component = { readonly type: string; readonly [key: string]: Json }

/** Any dict with a non-empty string `type`; the other keys must be plain values. */
export const component = (description = 'a dict with a `type`'): Codec<Component> =>
  new t.Type<Component, Component, unknown>(
    description,
    (u): u is Component => isDict(u) && typeof u['type'] === 'string' && json.is(u),
    (u, c) => {
      if (!isDict(u)) return expected(u, c, description)
      if (u['type'] === undefined)
        return t.failure(
          undefined,
          t.appendContext(c, 'type', nonEmptyString, undefined),
          'required key missing (the registry name of the component)',
        )
      const typeResult = nonEmptyString.validate(u['type'], t.appendContext(c, 'type', nonEmptyString, u['type']))
      if (typeResult._tag === 'Left') return typeResult
      const errors: t.ValidationError[] = []
      for (const [k, v] of Object.entries(u)) {
        if (k === 'type' || v === undefined) continue
        const r = json.validate(v, t.appendContext(c, k, json, v))
        if (r._tag === 'Left') errors.push(...r.left)
      }
      return errors.length > 0 ? t.failures(errors) : t.success(u as Component)
    },
    t.identity,
  )

/** One dict or a list of dicts of the same codec (e.g. `val_evaluator`, `param_scheduler`). */
export const oneOrList = <A>(item: Codec<A>, description: string): Codec<A | ReadonlyArray<A>> =>
  dispatch(description, [
    [(u) => Array.isArray(u), array(item)],
    [() => true, item],
  ])
