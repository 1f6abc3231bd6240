/**
 * The base mechanics every scheduler shares (spec §12.1): the
 * `initial_<param>` bookkeeping, the momentum mixin's `betas` mirror, and
 * `_ParamScheduler.step()` — count the step, and inside `[begin, end)`
 * advance `last_step` and write the family's value into every group.
 *
 * All functions are pure: groups go in, new groups come out.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import type { ChainableScheduler } from './state.js'
import { numbersIn, schedulerError } from './types.js'
import type { BuildContext, GroupValues, Groups, SchedulerError, Stepped, Values } from './types.js'

/** `[group[param] = value for group, value in zip(groups, values)]`: groups past the end of `values` keep theirs. */
export const assign = (groups: Groups, param: string, values: ReadonlyArray<number>): Groups =>
  groups.map((g, i) => (i < values.length ? { ...g, [param]: values[i]! } : g))

const isPair = (v: unknown): v is readonly [number, number] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number'

/**
 * `MomentumSchedulerMixin.__init__`: schedule `momentum` directly when the
 * optimizer has it, or else mirror Adam's `betas[0]` into a `momentum` key.
 *
 * MMEngine asks `optimizer.defaults`; given `context.defaults` so do we.
 * Otherwise the first group decides, `betas` first: after one momentum
 * scheduler an Adam group holds both keys, and the next one must still
 * keep `betas` in sync.
 */
export const momentumPrelude = (
  groups: Groups,
  context: BuildContext,
): E.Either<ReadonlyArray<Issue>, { readonly useBetas: boolean; readonly groups: Groups }> => {
  const probe = context.defaults ?? groups[0] ?? {}
  const useBetas =
    context.defaults !== undefined
      ? !Object.hasOwn(probe, 'momentum') && Object.hasOwn(probe, 'betas')
      : Object.hasOwn(probe, 'betas')
  if (!useBetas && !Object.hasOwn(probe, 'momentum'))
    return E.left([{ path: '', message: 'optimizer must support momentum when using momentum scheduler' }])
  if (!useBetas) return E.right({ useBetas, groups })
  const out: GroupValues[] = []
  for (let i = 0; i < groups.length; i++) {
    const betas = groups[i]!['betas']
    if (!isPair(betas))
      return E.left([
        { path: '', message: `param_groups[${i}]['betas'] must be a pair of numbers, got ${JSON.stringify(betas)}` },
      ])
    out.push({ ...groups[i]!, momentum: betas[0] })
  }
  return E.right({ useBetas, groups: out })
}

/** After every step of a momentum scheduler on Adam groups: `betas = (momentum, betas[1])`. */
export const syncBetas = (groups: Groups): E.Either<SchedulerError, Groups> => {
  const out: GroupValues[] = []
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!
    const betas = g['betas']
    if (!Array.isArray(betas) || betas.length !== 2)
      return E.left(
        schedulerError('ValueError', `param_groups[${i}]['betas'] must be a pair, got ${JSON.stringify(betas)}`),
      )
    out.push({ ...g, betas: [g['momentum'] ?? null, betas[1]!] })
  }
  return E.right(out)
}

/**
 * The constructor's bookkeeping: with `last_step == -1` every group does
 * `setdefault('initial_<param>', group[param])` — so the first scheduler on
 * a group fixes the initial value for all later ones; when resuming
 * (`last_step ≥ 0`) the key must already be there.
 */
export const recordInitial = (
  groups: Groups,
  param: string,
  lastStep: number,
): E.Either<ReadonlyArray<Issue>, Groups> => {
  const key = `initial_${param}`
  const out: GroupValues[] = []
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!
    if (Object.hasOwn(g, key)) {
      out.push(g)
      continue
    }
    if (lastStep !== -1)
      return E.left([
        {
          path: 'last_step',
          message: `param '${key}' is not specified in param_groups[${i}] when resuming an optimizer`,
        },
      ])
    const value = g[param]
    if (value === undefined) return E.left([{ path: '', message: `param_groups[${i}] has no '${param}' (KeyError)` }])
    out.push({ ...g, [key]: value })
  }
  return E.right(out)
}

/** `base_values = [group['initial_<param>'] for group in groups]`, which must be numbers. */
export const baseValuesOf = (groups: Groups, param: string): E.Either<ReadonlyArray<Issue>, ReadonlyArray<number>> =>
  E.mapLeft((e: SchedulerError): ReadonlyArray<Issue> => [{ path: '', message: e.message }])(
    numbersIn(groups, `initial_${param}`),
  )

/**
 * `_ParamScheduler.step()` (plus the momentum mixin's `betas` update):
 * `_global_step += 1`; inside `[begin, end)` also `last_step += 1` and every
 * group gets the family's value; `_last_value` records the group values.
 */
export const stepChainable = <S extends ChainableScheduler>(
  s: S,
  groups: Groups,
  value: (s: S, groups: Groups) => Values,
): E.Either<SchedulerError, Stepped<S>> => {
  const globalStep = s._global_step + 1
  let next: S = { ...s, _global_step: globalStep }
  let out = groups
  if (s.begin <= globalStep && globalStep < s.end) {
    next = { ...next, last_step: s.last_step + 1 }
    const values = value(next, groups)
    if (values._tag === 'Left') return values
    out = assign(groups, s.param_name, values.right)
  }
  const last = numbersIn(out, s.param_name)
  if (last._tag === 'Left') return last
  next = { ...next, _last_value: last.right }
  if (s.use_betas !== true) return E.right({ scheduler: next, groups: out })
  return E.map((synced: Groups) => ({ scheduler: next, groups: synced }))(syncBetas(out))
}
