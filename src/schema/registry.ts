/**
 * Registries: `type` strings to builders, as MMEngine's registries map config
 * `type` names to classes. Registries are immutable values; registering
 * returns a new registry, so a user's additions never leak into another run.
 *
 * @example
 * ```ts
 * import { Registry } from 'loopwright'
 * const hooks = Registry.register(Registry.defaultHookTypes, myHookType)
 * Registry.resolve(hooks, 'mmengine.CheckpointHook') // scope prefixes are accepted
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { suggestion } from './didYouMean.js'

/** Anything a registry holds: it is found by `name`. */
export interface Named {
  readonly name: string
}

export interface Registry<A extends Named> {
  /** What the registry holds, for messages: `'hook'`, `'optimizer'`, … */
  readonly kind: string
  readonly entries: ReadonlyMap<string, A>
  /** Names a user may know from MMEngine that are not provided (yet); looking one up says so plainly. */
  readonly notProvided: ReadonlyMap<string, string>
}

/** A registry holding `entries` (later entries with the same name win). */
export const make = <A extends Named>(
  kind: string,
  entries: ReadonlyArray<A>,
  notProvided: ReadonlyArray<readonly [string, string]> = [],
): Registry<A> => ({
  kind,
  entries: new Map(entries.map((entry) => [entry.name, entry])),
  notProvided: new Map(notProvided),
})

/** A new registry that also holds `entry` (replacing an entry of the same name). */
export const register = <A extends Named>(registry: Registry<A>, entry: A): Registry<A> => ({
  ...registry,
  entries: new Map(registry.entries).set(entry.name, entry),
})

/** The registered names, in registration order. */
export const names = <A extends Named>(registry: Registry<A>): ReadonlyArray<string> => [...registry.entries.keys()]

/**
 * Strip an MMEngine scope prefix: `'mmselfsup.LARS'` → `'LARS'`. Scopes name
 * the package a type comes from; loopwright has one namespace per registry.
 */
export const unscoped = (type: string): string => {
  const dot = type.lastIndexOf('.')
  return dot < 0 ? type : type.slice(dot + 1)
}

/** Find the entry for a config `type`, or say why there is none (with a did-you-mean). */
export const resolve = <A extends Named>(registry: Registry<A>, type: string): E.Either<string, A> => {
  const name = unscoped(type)
  const entry = registry.entries.get(name)
  if (entry !== undefined) return E.right(entry)
  const why = registry.notProvided.get(name)
  if (why !== undefined) return E.left(`${registry.kind} type '${type}' is not available in loopwright yet: ${why}`)
  return E.left(
    `unknown ${registry.kind} type ` +
      `'${type}'${suggestion(name, registry.entries.keys())}; known: ` +
      `${names(registry).join(', ')}`,
  )
}
