/**
 * `default_hooks` and `custom_hooks` (spec §2.2–2.4): each hook dict is
 * checked against its registered type — the type must exist, the priority
 * must be a priority, and every argument must be one the hook takes.
 * @module
 */
import * as t from 'io-ts'
import { array, expected, isDict, show } from '../../schema/codec.js'
import type { Codec, Json } from '../../schema/codec.js'
import * as Registry from '../../schema/registry.js'
import * as P from '../../dsl/Priority.js'
import type { HookType } from '../../hooks/HookType.js'

/**
 * A hook dict as written: `type` (optional for a default hook that merges into the built-in one), `priority`,
 * arguments.
 */
export type HookCfg = {
  readonly type?: string
  readonly priority?: string | number
  readonly [arg: string]: Json | undefined
}

/**
 * A hook dict. `requireType` is false for `default_hooks` entries, whose
 * missing `type` is filled from the built-in default of the same key.
 */
export const hookCfg = (
  hookTypes: Registry.Registry<HookType<unknown>>,
  requireType: boolean,
  typeOfKey?: string,
): Codec<HookCfg> =>
  new t.Type<HookCfg, HookCfg, unknown>(
    'a hook dict with a `type`',
    (u): u is HookCfg => hookCfg(hookTypes, requireType, typeOfKey).validate(u, [])._tag === 'Right',
    (u, c) => {
      if (!isDict(u)) return expected(u, c, 'a hook dict with a `type`')
      const errors: t.ValidationError[] = []
      const typeValue = u['type'] ?? typeOfKey
      if (typeValue === undefined) {
        return t.failure(
          undefined,
          t.appendContext(c, 'type', t.string, undefined),
          requireType
            ? 'required key missing (the hook type, e.g. "CheckpointHook")'
            : 'required key missing: a new default_hooks entry needs a `type`',
        )
      }
      if (typeof typeValue !== 'string')
        return t.failure(
          typeValue,
          t.appendContext(c, 'type', t.string, typeValue),
          `expected a hook type name, got ${show(typeValue)}`,
        )
      if (u['priority'] !== undefined) {
        const parsed = P.parse(u['priority'])
        if (parsed._tag === 'Left')
          errors.push({
            value: u['priority'],
            context: t.appendContext(c, 'priority', t.unknown, u['priority']),
            message: parsed.left.message,
          })
      }
      const resolved = Registry.resolve(hookTypes, typeValue)
      if (resolved._tag === 'Left') {
        errors.push({
          value: typeValue,
          context: t.appendContext(c, 'type', t.string, typeValue),
          message: resolved.left,
        })
        return t.failures(errors)
      }
      const { type: _type, priority: _priority, ...args } = u
      const r = resolved.right.args.validate(args, c)
      if (r._tag === 'Left') errors.push(...r.left)
      return errors.length > 0 ? t.failures(errors) : t.success(u as HookCfg)
    },
    t.identity,
  )

/** `default_hooks`: per key, `None` removes the built-in hook, a dict replaces or (without `type`) adjusts it. */
export const defaultHooks = (
  hookTypes: Registry.Registry<HookType<unknown>>,
  builtIn: ReadonlyMap<string, string>,
): Codec<{ readonly [key: string]: HookCfg | null }> =>
  new t.Type<{ readonly [key: string]: HookCfg | null }, { readonly [key: string]: HookCfg | null }, unknown>(
    'a default_hooks dict',
    (u): u is { readonly [key: string]: HookCfg | null } =>
      defaultHooks(hookTypes, builtIn).validate(u, [])._tag === 'Right',
    (u, c) => {
      if (!isDict(u)) return expected(u, c, 'a default_hooks dict (key → hook dict or None)')
      const errors: t.ValidationError[] = []
      for (const [key, value] of Object.entries(u)) {
        if (value === undefined) continue
        const context = t.appendContext(c, key, t.unknown, value)
        if (value === null) {
          if (!builtIn.has(key))
            errors.push({
              value,
              context,
              message: `None only removes a built-in default hook (${[...builtIn.keys()].join(', ')})`,
            })
          continue
        }
        const r = hookCfg(
          hookTypes,
          false,
          isDict(value) && value['type'] === undefined ? builtIn.get(key) : undefined,
        ).validate(value, context)
        if (r._tag === 'Left') errors.push(...r.left)
      }
      return errors.length > 0 ? t.failures(errors) : t.success(u as { readonly [key: string]: HookCfg | null })
    },
    t.identity,
  )

export const customHooks = (hookTypes: Registry.Registry<HookType<unknown>>): Codec<ReadonlyArray<HookCfg>> =>
  array(hookCfg(hookTypes, true), 'a list of hook dicts')
