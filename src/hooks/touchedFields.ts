/**
 * The fields of a run state (the vocabulary of `dsl/Touches.ts`), each with
 * its value, so that what a hook really changed can be listed and held
 * against what its type declares. Values are compared structurally: a new
 * object with equal contents is no change, and tensors compare by what
 * `refValue` says about them (by default their ref: id, shape and dtype).
 *
 * @example
 * ```ts
 * changedFields(before, after, 'custom_hooks[0]') // ['model.loss_lambda', 'own']
 * ```
 * @module
 */
import * as Log from '../dsl/AppendLog.js'
import type { Field } from '../dsl/Touches.js'
import type { State, TensorRef } from '../dsl/State.js'
import * as Optim from '../optim/OptimState.js'

/** What a tensor ref stands for in a comparison (its values, where a test can read them). */
export type RefValue = (ref: TensorRef) => unknown

const byRef: RefValue = (ref) => ({ id: ref.id, shape: ref.shape, dtype: ref.dtype })

const isTagged = (x: object, tag: string): boolean => (x as { _tag?: unknown })._tag === tag

/** A JSON-able stand-in for `x` with sorted keys, so equal contents give equal text. */
const normal = (x: unknown, refValue: RefValue): unknown => {
  if (x === undefined) return { $undefined: true }
  if (typeof x === 'number') return Number.isFinite(x) ? x : { $number: String(x) }
  if (typeof x !== 'object' || x === null) return x
  if (x instanceof Map)
    return { $map: [...x.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, normal(v, refValue)]) }
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>)
  if (Array.isArray(x)) return x.map((v) => normal(v, refValue))
  if (isTagged(x, 'AppendLog')) return { $log: normal(Log.toArray(x as Log.AppendLog<unknown>), refValue) }
  if (isTagged(x, 'TensorRef')) return { $tensor: normal(refValue(x as TensorRef), refValue) }
  return Object.fromEntries(
    Object.keys(x)
      .sort()
      .map((k) => [k, normal((x as { [k: string]: unknown })[k], refValue)]),
  )
}

/** `x` as canonical text: equal for structurally equal values. */
export const canonical = (x: unknown, refValue: RefValue = byRef): string => JSON.stringify(normal(x, refValue))

/** Structural equality, with tensors compared through `refValue`; shared subtrees are equal at once. */
export const sameValue = (a: unknown, b: unknown, refValue: RefValue = byRef): boolean => {
  if (a === b || Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false
    for (const [k, v] of a) if (!b.has(k) || !sameValue(v, b.get(k), refValue)) return false
    return true
  }
  if (isTagged(a, 'TensorRef') || isTagged(b, 'TensorRef'))
    return (
      isTagged(a, 'TensorRef') &&
      isTagged(b, 'TensorRef') &&
      sameValue(refValue(a as TensorRef), refValue(b as TensorRef), refValue)
    )
  if (isTagged(a, 'AppendLog') || isTagged(b, 'AppendLog'))
    return (
      isTagged(a, 'AppendLog') &&
      isTagged(b, 'AppendLog') &&
      sameValue(Log.toArray(a as Log.AppendLog<unknown>), Log.toArray(b as Log.AppendLog<unknown>), refValue)
    )
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || Array.isArray(a) || Array.isArray(b)) {
    const x = ArrayBuffer.isView(a) ? Array.from(a as unknown as ArrayLike<number>) : a
    const y = ArrayBuffer.isView(b) ? Array.from(b as unknown as ArrayLike<number>) : b
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false
    return x.every((v, i) => sameValue(v, y[i], refValue))
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) &&
      sameValue((a as { [k: string]: unknown })[k], (b as { [k: string]: unknown })[k], refValue),
  )
}

const optimFields = (optim: State['optim']): Array<[Field, unknown]> => {
  const o = Optim.read(optim)
  if (o === undefined) return Object.entries(optim).map(([k, v]) => [`optim.${k}`, v])
  const hypers = new Set(
    o.slots.flatMap(({ slot }) => [
      ...slot.groups.real.flatMap((g) => Object.keys(g.hyper)),
      ...Object.keys(slot.groups.base ?? {}),
    ]),
  )
  const perSlot = (f: (slot: Optim.WrapperSlot) => unknown) => o.slots.map(({ name, slot }) => [name ?? null, f(slot)])
  return [
    ...[...hypers].map((h): [Field, unknown] => [
      `optim.${h}`,
      perSlot((s) => [s.groups.real.map((g) => g.hyper[h]), s.groups.base?.[h]]),
    ]),
    ['optim.schedulers', perSlot((s) => s.schedulers)],
    ['optim.tensors', perSlot((s) => s.tensors)],
    ['optim.groups', perSlot((s) => s.groups.real.map((g) => g.names))],
  ]
}

/**
 * Every field of `state` with its value (compare values with {@link sameValue}, print them with {@link canonical}).
 * `ownKey` is the key of the hook whose view this is: its state is `own`, every other hook's `hooks.<key>`.
 */
export const fieldValues = (state: State, ownKey: string): ReadonlyMap<Field, unknown> => {
  const { samplerEpoch, ...otherData } = state.data as State['data'] & { readonly [key: string]: unknown }
  const hub = state.messageHub
  const entries: Array<[Field, unknown]> = [
    ['counters', state.counters],
    ['seed', state.seed],
    ['rng', state.rng],
    ['data.sampler.epoch', samplerEpoch],
    ...Object.entries(otherData).map(([k, v]): [Field, unknown] => [`data.${k}`, v]),
    ['model.params', state.model.params],
    ['model.buffers', state.model.buffers],
    ['model.training', state.model.training],
    ...Object.entries(state.model.attributes).map(([k, v]): [Field, unknown] => [`model.${k}`, v]),
    ...optimFields(state.optim),
    ...[...hub.scalars].map(([k, v]): [Field, unknown] => [`messageHub.scalars.${k}`, [v, hub.resumed.get(k)]]),
    ...[...hub.info].map(([k, v]): [Field, unknown] => [`messageHub.info.${k}`, [v, hub.resumed.get(k)]]),
    ['outputs', state.outputs],
    ['metrics', state.metrics],
    ['lastBatch', state.lastBatch],
    ['stop', state.stopTraining],
    ...Object.entries(state.hooks).map(([k, v]): [Field, unknown] => [k === ownKey ? 'own' : `hooks.${k}`, v]),
  ]
  return new Map(entries)
}

/** The fields whose values differ between two states (present in one only counts), in name order. */
export const changedFields = (
  before: State,
  after: State,
  ownKey: string,
  refValue: RefValue = byRef,
): ReadonlyArray<Field> => {
  const a = fieldValues(before, ownKey)
  const b = fieldValues(after, ownKey)
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((f) => !(a.has(f) && b.has(f) && sameValue(a.get(f), b.get(f), refValue)))
    .sort()
}
