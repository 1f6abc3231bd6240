/**
 * A persistent append-only sequence with amortised O(1) `append`.
 *
 * Versions share one backing array. Appending to the newest version writes in
 * place (no other version can see past its own length); appending to an older
 * version copies first. Every version therefore behaves as an immutable value
 * while the common case — a run that only ever extends its latest state —
 * costs no copying.
 * @module
 */

/** An immutable view: the first `length` items of a shared backing array. */
export interface AppendLog<A> {
  readonly _tag: 'AppendLog'
  /** @internal shared storage; never index past `length`. */
  readonly backing: A[]
  readonly length: number
}

/** The empty log. */
export const empty = <A>(): AppendLog<A> => ({ _tag: 'AppendLog', backing: [], length: 0 })

/** A log holding these items (copied). */
export const fromArray = <A>(items: ReadonlyArray<A>): AppendLog<A> => ({
  _tag: 'AppendLog',
  backing: items.slice(),
  length: items.length,
})

/** A new log with `item` at the end; `log` itself is unchanged. */
export const append = <A>(log: AppendLog<A>, item: A): AppendLog<A> => {
  if (log.backing.length === log.length) {
    log.backing.push(item)
    return { _tag: 'AppendLog', backing: log.backing, length: log.length + 1 }
  }
  const copy = log.backing.slice(0, log.length)
  copy.push(item)
  return { _tag: 'AppendLog', backing: copy, length: copy.length }
}

/** Keep only the last `max` items (MMEngine's HistoryBuffer `max_length`). */
export const takeLast = <A>(log: AppendLog<A>, max: number): AppendLog<A> =>
  log.length <= max ? log : fromArray(log.backing.slice(log.length - max, log.length))

/** The item at `index`, or `undefined` outside `[0, length)`. Negative indices count from the end. */
export const at = <A>(log: AppendLog<A>, index: number): A | undefined => {
  const i = index < 0 ? log.length + index : index
  return i >= 0 && i < log.length ? log.backing[i] : undefined
}

/** The last `count` items (all of them when `count` is undefined or larger than the length), as a fresh array. */
export const lastN = <A>(log: AppendLog<A>, count?: number): A[] => {
  const n = count === undefined ? log.length : Math.min(count, log.length)
  return log.backing.slice(log.length - n, log.length)
}

/** All items as a fresh array. */
export const toArray = <A>(log: AppendLog<A>): A[] => log.backing.slice(0, log.length)
