/**
 * Saving and restoring schedulers (spec §3.6.5 step 7, §15 item 11).
 * `state_dict()` is the scheduler value itself; `load_state_dict(sd)` is
 * `__dict__.update(sd)`: every saved field replaces the current one, so
 * schedule settings edited in the config since the checkpoint are ignored.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { isDict, issuesOf, nonEmptyString, show, struct } from '../../schema/codec.js'
import type { Issue } from '../../schema/codec.js'
import type { Json } from '../../dsl/MessageHub.js'
import { suggestion } from '../../schema/didYouMean.js'
import { lookup, schedulerTypes } from './catalogue.js'
import { stateProps } from './codecs.js'
import type { ParamScheduler } from './state.js'

/** A saved scheduler state: a JSON dict. */
export type StateDict = { readonly [key: string]: Json }

/**
 * `scheduler.state_dict()`: every field (MMEngine's `__dict__` minus the
 * optimizer), plus `type`. Safe to `JSON.stringify`.
 *
 * @example
 * ```ts
 * const saved = JSON.stringify(stateDict(scheduler))
 * ```
 */
export const stateDict = (s: ParamScheduler): StateDict => s as unknown as StateDict

/**
 * `scheduler.load_state_dict(saved)`: the saved fields replace the current
 * ones (a field absent from `saved` is kept, as with `dict.update`). Fields
 * are decoded strictly; a `type` other than the scheduler's own is an error.
 *
 * @example
 * ```ts
 * const resumed = loadStateDict(freshlyBuilt, JSON.parse(saved))
 * ```
 */
export const loadStateDict = (
  current: ParamScheduler,
  saved: unknown,
): E.Either<ReadonlyArray<Issue>, ParamScheduler> => {
  if (!isDict(saved)) return E.left([{ path: '', message: `expected a scheduler state dict, got ${show(saved)}` }])
  const savedType = saved['type']
  if (savedType !== undefined && savedType !== current.type)
    return E.left([
      { path: 'type', message: `the saved state is for ${show(savedType)}, this scheduler is '${current.type}'` },
    ])
  const entry = lookup(current.type)!
  const decoded = struct(`a ${current.type} state`, {}, { type: nonEmptyString, ...stateProps(entry) }).decode(saved)
  if (decoded._tag === 'Left') return E.left(issuesOf(decoded.left))
  const updates = Object.fromEntries(Object.entries(decoded.right).filter(([, v]) => v !== undefined))
  return E.right({ ...current, ...updates } as ParamScheduler)
}

/**
 * A scheduler from a complete saved state alone (every field required,
 * `type` included): for restoring without building from the config first.
 */
export const fromStateDict = (saved: unknown): E.Either<ReadonlyArray<Issue>, ParamScheduler> => {
  if (!isDict(saved)) return E.left([{ path: '', message: `expected a scheduler state dict, got ${show(saved)}` }])
  const type = saved['type']
  if (typeof type !== 'string')
    return E.left([{ path: 'type', message: `expected a registered scheduler name, got ${show(type)}` }])
  const entry = lookup(type)
  if (entry === undefined || entry.name !== type)
    return E.left([{ path: 'type', message: `unknown scheduler type '${type}'${suggestion(type, schedulerTypes)}` }])
  const decoded = struct(`a ${type} state`, { type: nonEmptyString, ...stateProps(entry) }).decode(saved)
  if (decoded._tag === 'Left') return E.left(issuesOf(decoded.left))
  return E.right(decoded.right as unknown as ParamScheduler)
}
