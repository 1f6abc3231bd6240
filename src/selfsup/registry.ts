/**
 * The registry of MMSelfSup's components (necks, heads, losses) by config
 * `type`, and the codec that checks a nested `dict(type=..., ...)` against it,
 * so that an algorithm's whole config is decoded (with paths and
 * did-you-means) before anything is built.
 * @module
 */
import * as t from 'io-ts'
import type { AnyCodec } from '../schema/codec.js'
import { expected, isDict } from '../schema/codec.js'
import * as Registries from '../schema/registry.js'
import type { Component, LossComponent, Neck } from './Component.js'
import type { ComponentDescription, ComponentDict } from './ComponentDescription.js'

export type { ComponentDict } from './ComponentDescription.js'

/** A component type: its description (name, kind, argument codec, parameters) and builder (which may build parts). */
export interface ComponentType extends ComponentDescription {
  readonly build: (args: never, registry: Registry) => Component
}

export type Registry = Registries.Registry<ComponentType>

let defaults: (() => Registries.Registry<{ readonly name: string; readonly args: AnyCodec }>) | undefined

/**
 * Set by `./componentDescriptions.ts` (and `./components.ts`), which know every component; the codec resolves nested
 * types through it.
 */
export const setDefaultRegistry = (
  registry: () => Registries.Registry<{ readonly name: string; readonly args: AnyCodec }>,
): void => {
  defaults = registry
}

/** `dict(type=..., ...)` naming a registered component, its arguments decoded by that component's codec. */
export const componentDict: t.Type<ComponentDict, ComponentDict, unknown> = new t.Type<
  ComponentDict,
  ComponentDict,
  unknown
>(
  'a component dict with a `type`',
  (u): u is ComponentDict => isDict(u) && typeof u['type'] === 'string',
  (u, c) => {
    if (!isDict(u) || typeof u['type'] !== 'string')
      return expected(u, c, 'a dict with a `type` (a neck, head or loss)')
    if (defaults === undefined) return t.success(u as ComponentDict)
    const resolved = Registries.resolve(defaults(), u['type'])
    if (resolved._tag === 'Left')
      return t.failure(u['type'], t.appendContext(c, 'type', t.string, u['type']), resolved.left)
    const { type: _type, ...rest } = u
    const decoded = resolved.right.args.validate(rest, c)
    return decoded._tag === 'Left' ? decoded : t.success(u as ComponentDict)
  },
  t.identity,
)

const built = (registry: Registry, dict: ComponentDict, where: string): Component => {
  const resolved = Registries.resolve(registry, dict.type)
  if (resolved._tag === 'Left') throw new Error(`${where}: ${resolved.left}`)
  const { type: _type, ...rest } = dict
  const decoded = resolved.right.args.decode(rest)
  if (decoded._tag === 'Left') throw new Error(`${where}: invalid ${dict.type} arguments`)
  return resolved.right.build(decoded.right as never, registry)
}

/** Build a neck from its (already decoded) dict; `where` names it in errors. */
export const buildNeck = (registry: Registry, dict: ComponentDict, where: string): Neck => {
  const c = built(registry, dict, where)
  if (c.kind !== 'neck') throw new Error(`${where}: ${dict.type} is a head or loss, expected a neck`)
  return c
}

/** Build a head or loss from its (already decoded) dict. */
export const buildLoss = (registry: Registry, dict: ComponentDict, where: string): LossComponent => {
  const c = built(registry, dict, where)
  if (c.kind !== 'loss') throw new Error(`${where}: ${dict.type} is a neck, expected a head or loss`)
  return c
}

/** Build any component. */
export const buildComponent = built
