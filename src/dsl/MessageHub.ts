/**
 * The message hub: scalar histories and runtime info shared between hooks
 * (MMEngine `MessageHub`, spec §13), as an immutable value inside `State`.
 *
 * @example
 * ```ts
 * import { MessageHub } from 'loopwright'
 * let hub = MessageHub.empty
 * hub = MessageHub.updateScalar(hub, 'train/loss', 0.5)
 * hub = MessageHub.updateInfo(hub, 'epoch', 0)
 * MessageHub.current(hub, 'train/loss') // 0.5
 * ```
 * @module
 */
import * as Log from './AppendLog.js'
import type { AppendLog } from './AppendLog.js'

/** A JSON value: what runtime info may hold, and what a checkpoint stores. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** MMEngine's HistoryBuffer: values and their counts, newest last, at most {@link maxLength} entries. */
export interface ScalarHistory {
  readonly values: AppendLog<number>
  readonly counts: AppendLog<number>
}

/** HistoryBuffer's `max_length`. */
export const maxLength = 1_000_000

export interface MessageHub {
  /** Scalar histories, in first-update order (the order log lines and `scalars.json` use). */
  readonly scalars: ReadonlyMap<string, ScalarHistory>
  /** Runtime info, in first-update order. */
  readonly info: ReadonlyMap<string, Json>
  /** Whether each key is saved in checkpoints (fixed at first use, as in MMEngine). */
  readonly resumed: ReadonlyMap<string, boolean>
}

export const empty: MessageHub = { scalars: new Map(), info: new Map(), resumed: new Map() }

const withResumed = (hub: MessageHub, key: string, resumed: boolean): ReadonlyMap<string, boolean> => {
  const known = hub.resumed.get(key)
  if (known === resumed) return hub.resumed
  // MMEngine asserts here; a differing later flag keeps the first one, which is what it would have used.
  if (known !== undefined) return hub.resumed
  return new Map(hub.resumed).set(key, resumed)
}

/** Append `value` (with `count`, default 1) to the history of `key`. */
export const updateScalar = (hub: MessageHub, key: string, value: number, count = 1, resumed = true): MessageHub => {
  const previous = hub.scalars.get(key) ?? { values: Log.empty<number>(), counts: Log.empty<number>() }
  let values = Log.append(previous.values, value)
  let counts = Log.append(previous.counts, count)
  if (values.length > maxLength) {
    values = Log.takeLast(values, maxLength)
    counts = Log.takeLast(counts, maxLength)
  }
  return { ...hub, scalars: new Map(hub.scalars).set(key, { values, counts }), resumed: withResumed(hub, key, resumed) }
}

/** Set runtime info `key`. */
export const updateInfo = (hub: MessageHub, key: string, value: Json, resumed = true): MessageHub => ({
  ...hub,
  info: new Map(hub.info).set(key, value),
  resumed: withResumed(hub, key, resumed),
})

/** Remove runtime info `key` (MMEngine `pop_info`). */
export const popInfo = (hub: MessageHub, key: string): MessageHub => {
  if (!hub.info.has(key)) return hub
  const info = new Map(hub.info)
  info.delete(key)
  return { ...hub, info }
}

/** Runtime info `key`, or `undefined`. */
export const getInfo = (hub: MessageHub, key: string): Json | undefined => hub.info.get(key)

/** The latest value of scalar `key`, or `undefined` when it has none. */
export const current = (hub: MessageHub, key: string): number | undefined => {
  const history = hub.scalars.get(key)
  return history === undefined ? undefined : Log.at(history.values, -1)
}

/**
 * The hub as a checkpoint stores it (MMEngine's `state_dict`): the keys marked `resumed`, with their full histories.
 */
export interface HubData {
  readonly scalars: ReadonlyArray<readonly [key: string, values: ReadonlyArray<number>, counts: ReadonlyArray<number>]>
  readonly info: ReadonlyArray<readonly [key: string, value: Json]>
}

/** What a checkpoint keeps of `hub`: only keys whose `resumed` flag is set, as MMEngine saves them. */
export const toData = (hub: MessageHub): HubData => ({
  scalars: [...hub.scalars]
    .filter(([k]) => hub.resumed.get(k) !== false)
    .map(([k, h]) => [k, Log.toArray(h.values), Log.toArray(h.counts)] as const),
  info: [...hub.info].filter(([k]) => hub.resumed.get(k) !== false),
})

/** The hub a checkpoint describes (the inverse of {@link toData} on resumed keys). */
export const fromData = (data: HubData): MessageHub => ({
  scalars: new Map(
    data.scalars.map(([k, values, counts]) => [k, { values: Log.fromArray(values), counts: Log.fromArray(counts) }]),
  ),
  info: new Map(data.info),
  resumed: new Map([...data.scalars.map(([k]) => [k, true] as const), ...data.info.map(([k]) => [k, true] as const)]),
})
