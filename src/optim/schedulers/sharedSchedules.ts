/**
 * Param groups that every scheduler treats alike share one schedule: a move of the schedulers (one step, or a
 * jump over many) is computed once per *kind* of group and every group of a kind gets the same new object.
 *
 * A scheduler computes group `i`'s new value from group `i`'s own values, its per-group arrays at `i`
 * (`base_values`, `_last_value`, ReduceOnPlateau's `min_values`, OneCycle's `eta_max` list) and its scalar
 * fields, never from another group. So two groups with equal values (the same keys in the same order, numbers
 * equal by `Object.is`) and equal per-group entries get bit-identical values from every step, and stepping one
 * of them stands for both. MAE's and BEiT's param-wise groups (one per parameter, a few hundred) are of two
 * or three kinds; the move's cost then follows the kinds, and the groups cost one pointer each.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ParamScheduler } from './state.js'
import type { GroupValues, Groups } from './types.js'

/** What a scheduler move takes and gives: the schedulers and the groups they act on. */
export interface Scheduled {
  readonly schedulers: ReadonlyArray<ParamScheduler>
  readonly groups: Groups
}

/** Moves the schedulers over the groups (`stepAll`, `stepIterations`, `stepEpochs`), or fails. */
export type SchedulerMove<Err> = (schedulers: ReadonlyArray<ParamScheduler>, groups: Groups) => E.Either<Err, Scheduled>

/** The scheduler fields that hold one entry per group (the others are the same for every group). */
const perGroupFields = ['base_values', '_last_value', 'min_values', 'eta_max'] as const

type PerGroup = ReadonlyArray<ReadonlyArray<number>>

/** Every per-group array of the schedulers, or `undefined` when one does not have one entry per group. */
const perGroupArrays = (schedulers: ReadonlyArray<ParamScheduler>, n: number): PerGroup | undefined => {
  const out: Array<ReadonlyArray<number>> = []
  for (const s of schedulers) {
    for (const field of perGroupFields) {
      const values = (s as unknown as { readonly [k: string]: unknown })[field]
      if (!Array.isArray(values)) continue
      if (values.length !== n) return undefined
      out.push(values)
    }
  }
  return out
}

// -0, NaN and ±Infinity written so that no two different values read alike (JSON writes null for all of them
// but -0, which it writes as 0).
const exactNumbers = (_key: string, v: unknown): unknown =>
  typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `\u0000${Object.is(v, -0) ? '-0' : v}` : v

/** The kinds of the groups: `kindOf[i]` indexes `representatives`, the first group of each kind. */
export interface Kinds {
  readonly kindOf: ReadonlyArray<number>
  readonly representatives: ReadonlyArray<number>
}

/** Do the groups of each kind still agree (the same object, the same per-group scheduler entries)? */
const stillAlike = (kinds: Kinds, arrays: PerGroup, groups: Groups): boolean => {
  const { kindOf, representatives } = kinds
  if (kindOf.length !== groups.length) return false
  for (let i = 0; i < groups.length; i++) {
    const r = representatives[kindOf[i]!]!
    if (r === i) continue
    if (groups[i] !== groups[r]) return false
    for (let a = 0; a < arrays.length; a++) if (!Object.is(arrays[a]![i], arrays[a]![r])) return false
  }
  return true
}

/** The kinds of the groups, found by content (each distinct group object is written out once). */
const kindsByContent = (arrays: PerGroup, groups: Groups): Kinds => {
  const contentOf = new Map<GroupValues, number>()
  const contentIds = new Map<string, number>()
  // Per content, the kinds with that content (they differ in their per-group scheduler entries).
  const kindsWithContent: number[][] = []
  const kindOf: number[] = []
  const representatives: number[] = []
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!
    let content = contentOf.get(group)
    if (content === undefined) {
      const text = JSON.stringify(group, exactNumbers)
      content = contentIds.get(text)
      if (content === undefined) {
        content = contentIds.size
        contentIds.set(text, content)
        kindsWithContent.push([])
      }
      contentOf.set(group, content)
    }
    const candidates = kindsWithContent[content]!
    let kind = -1
    for (let c = 0; c < candidates.length && kind < 0; c++) {
      const r = representatives[candidates[c]!]!
      let same = true
      for (let a = 0; a < arrays.length && same; a++) same = Object.is(arrays[a]![i], arrays[a]![r])
      if (same) kind = candidates[c]!
    }
    if (kind < 0) {
      kind = representatives.length
      representatives.push(i)
      candidates.push(kind)
    }
    kindOf.push(kind)
  }
  return { kindOf, representatives }
}

// The kinds last found. A run moves the same groups again and again: checking that each group is still its
// kind's object (one comparison a group) is much cheaper than finding the kinds, and any change shows.
let lastKinds: Kinds | undefined

/**
 * Group the groups by kind (values and per-group scheduler entries); `undefined` when a scheduler's per-group
 * field has not one entry per group.
 */
export const kindsOf = (schedulers: ReadonlyArray<ParamScheduler>, groups: Groups): Kinds | undefined => {
  const arrays = perGroupArrays(schedulers, groups.length)
  if (arrays === undefined) return undefined
  if (lastKinds !== undefined && stillAlike(lastKinds, arrays, groups)) return lastKinds
  lastKinds = kindsByContent(arrays, groups)
  return lastKinds
}

/** Each scheduler with its per-group arrays mapped by `pick` (the other fields kept). */
const mapPerGroup = (
  schedulers: ReadonlyArray<ParamScheduler>,
  pick: (values: ReadonlyArray<number>, scheduler: number, field: string) => ReadonlyArray<number> | undefined,
): ReadonlyArray<ParamScheduler> | undefined => {
  const out: ParamScheduler[] = []
  for (let j = 0; j < schedulers.length; j++) {
    let next = schedulers[j] as unknown as { readonly [k: string]: unknown }
    for (const field of perGroupFields) {
      const values = next[field]
      if (!Array.isArray(values)) continue
      const picked = pick(values, j, field)
      if (picked === undefined) return undefined
      if (picked !== values) next = { ...next, [field]: picked }
    }
    out.push(next as unknown as ParamScheduler)
  }
  return out
}

const field = (s: ParamScheduler | undefined, name: string): unknown =>
  (s as unknown as { readonly [k: string]: unknown } | undefined)?.[name]

/** `values[kindOf[i]]` for every group `i`. */
const expand = (values: ReadonlyArray<number>, kindOf: ReadonlyArray<number>): number[] => {
  const out = new Array<number>(kindOf.length)
  for (let i = 0; i < kindOf.length; i++) out[i] = values[kindOf[i]!]!
  return out
}

/** A move's result as {@link shared} gave it, with its kinds and the kinds' own schedulers and groups. */
interface Known {
  readonly schedulers: ReadonlyArray<ParamScheduler>
  readonly kinds: Kinds
  readonly few: Scheduled
}

// The results `shared` gave, by their groups: moving them on needs no search for their kinds.
const given = new WeakMap<Groups, Known>()

/**
 * `move`, computed once per kind of group: the same schedulers and groups as `move` gives (the groups of one
 * kind then share one object). A failure is the one `move` gives on all the groups, with its group index.
 * Moving on what it gave (the same groups array and schedulers array) costs a pointer per group.
 *
 * @example
 * ```ts
 * shared((schedulers, groups) => stepAll(schedulers, groups, { _tag: 'AfterTrainIter' }))(schedulers, groups)
 * ```
 */
export const shared =
  <Err>(move: SchedulerMove<Err>): SchedulerMove<Err> =>
  (schedulers, groups) => {
    const known = given.get(groups)
    let kinds: Kinds | undefined
    let few: Scheduled
    if (known !== undefined && known.schedulers === schedulers) ({ kinds, few } = known)
    else {
      kinds = groups.length < 2 ? undefined : kindsOf(schedulers, groups)
      if (kinds === undefined || kinds.representatives.length === groups.length) return move(schedulers, groups)
      const { representatives } = kinds
      few = {
        schedulers: mapPerGroup(schedulers, (values) => representatives.map((i) => values[i]!))!,
        groups: representatives.map((i) => groups[i]!),
      }
    }
    const moved = move(few.schedulers, few.groups)
    // The exact failure (its group index is an index into all the groups) comes from the move on all of them.
    if (moved._tag === 'Left') return move(schedulers, groups)
    const { kindOf, representatives } = kinds
    const m = representatives.length
    if (moved.right.groups.length !== m || moved.right.schedulers.length !== schedulers.length)
      return move(schedulers, groups)
    // A move that changed nothing (no scheduler steps on this trigger) gives back what it was given.
    if (
      moved.right.schedulers.every((s, j) => s === few.schedulers[j]) &&
      moved.right.groups.every((g, k) => g === few.groups[k])
    )
      return E.right({ schedulers, groups })
    // An array the move left as it was (a scheduler it did not step, `base_values`) is the one given.
    const all = mapPerGroup(moved.right.schedulers, (values, j, name) =>
      values === field(few.schedulers[j], name) && Array.isArray(field(schedulers[j], name))
        ? (field(schedulers[j], name) as ReadonlyArray<number>)
        : values.length === m
          ? expand(values, kindOf)
          : undefined,
    )
    if (all === undefined) return move(schedulers, groups)
    const kindGroups = moved.right.groups
    const out = new Array<GroupValues>(kindOf.length)
    for (let i = 0; i < kindOf.length; i++) out[i] = kindGroups[kindOf[i]!]!
    given.set(out, { schedulers: all, kinds, few: moved.right })
    return E.right({ schedulers: all, groups: out })
  }
