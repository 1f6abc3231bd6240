/**
 * The fields of a run state (the vocabulary of `dsl/Touches.ts`), each with a
 * canonical value, so that what a hook really changed can be listed and held
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

const optimFields = (optim: State['optim'], refValue: RefValue): Array<[Field, string]> => {
  const o = Optim.read(optim)
  if (o === undefined) return Object.entries(optim).map(([k, v]) => [`optim.${k}`, canonical(v, refValue)])
  const hypers = new Set(
    o.slots.flatMap(({ slot }) => [
      ...slot.groups.real.flatMap((g) => Object.keys(g.hyper)),
      ...Object.keys(slot.groups.base ?? {}),
    ]),
  )
  const perSlot = (f: (slot: Optim.WrapperSlot) => unknown) =>
    canonical(
      o.slots.map(({ name, slot }) => [name ?? null, f(slot)]),
      refValue,
    )
  return [
    ...[...hypers].map((h): [Field, string] => [
      `optim.${h}`,
      perSlot((s) => [s.groups.real.map((g) => g.hyper[h]), s.groups.base?.[h]]),
    ]),
    ['optim.schedulers', perSlot((s) => s.schedulers)],
    ['optim.tensors', perSlot((s) => s.tensors)],
    ['optim.groups', perSlot((s) => s.groups.real.map((g) => g.names))],
  ]
}

/**
 * Every field of `state` with its canonical value. `ownKey` is the key of the
 * hook whose view this is: its state is `own`, every other hook's `hooks.<key>`.
 */
export const fieldValues = (state: State, ownKey: string, refValue: RefValue = byRef): ReadonlyMap<Field, string> => {
  const c = (x: unknown) => canonical(x, refValue)
  const { samplerEpoch, ...otherData } = state.data as State['data'] & { readonly [key: string]: unknown }
  const hub = state.messageHub
  const entries: Array<[Field, string]> = [
    ['counters', c(state.counters)],
    ['seed', c(state.seed)],
    ['rng', c(state.rng)],
    ['data.sampler.epoch', c(samplerEpoch)],
    ...Object.entries(otherData).map(([k, v]): [Field, string] => [`data.${k}`, c(v)]),
    ['model.params', c(state.model.params)],
    ['model.buffers', c(state.model.buffers)],
    ['model.training', c(state.model.training)],
    ...Object.entries(state.model.attributes).map(([k, v]): [Field, string] => [`model.${k}`, c(v)]),
    ...optimFields(state.optim, refValue),
    ...[...hub.scalars].map(([k, v]): [Field, string] => [
      `messageHub.scalars.${k}`,
      c({ history: v, resumed: hub.resumed.get(k) }),
    ]),
    ...[...hub.info].map(([k, v]): [Field, string] => [
      `messageHub.info.${k}`,
      c({ value: v, resumed: hub.resumed.get(k) }),
    ]),
    ['outputs', c(state.outputs)],
    ['metrics', c(state.metrics)],
    ['lastBatch', c(state.lastBatch)],
    ['stop', c(state.stopTraining)],
    ...Object.entries(state.hooks).map(([k, v]): [Field, string] => [k === ownKey ? 'own' : `hooks.${k}`, c(v)]),
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
  const a = fieldValues(before, ownKey, refValue)
  const b = fieldValues(after, ownKey, refValue)
  return [...new Set([...a.keys(), ...b.keys()])].filter((f) => a.get(f) !== b.get(f)).sort()
}
