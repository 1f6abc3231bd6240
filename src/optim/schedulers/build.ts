/**
 * Building schedulers from config dicts, as `Runner.build_param_scheduler`
 * and `build_scheduler_from_cfg` do (spec §1.3 step 5, §12.1): default
 * `end`, `convert_to_iter_based`, the constructor — which, except for
 * ReduceOnPlateau, applies the step-0 value at once.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { isDict, issuesOf, show } from '../../schema/codec.js'
import type { Issue, StructOf } from '../../schema/codec.js'
import { suggestion } from '../../schema/didYouMean.js'
import { unscoped } from '../../schema/registry.js'
import { fixedParam, lookup, schedulerTypes } from './catalogue.js'
import { argumentsCodec } from './codecs.js'
import { chainable } from './families/index.js'
import * as Plateau from './families/reduceOnPlateau.js'
import type { Env, FamilyDef, Props } from './family.js'
import { baseValuesOf, momentumPrelude, recordInitial, stepChainable } from './ParamScheduler.js'
import type { ChainableScheduler, ParamScheduler, ReduceOnPlateauScheduler } from './state.js'
import { INF, numbersIn } from './types.js'
import type { BuildContext, Groups, Stepped } from './types.js'

const left = (issues: ReadonlyArray<Issue>): E.Either<ReadonlyArray<Issue>, never> => E.left(issues)

/**
 * Build one scheduler from its config dict and apply its constructor to the
 * groups (`initial_<param>`, OneCycle's `max_lr`/`min_lr`, Adam's
 * `momentum`, and the step-0 value). Issue paths are relative to the dict.
 *
 * @example
 * ```ts
 * const built = build({ type: 'LinearLR', start_factor: 0.5, end: 5 }, [{ lr: 0.05 }], {})
 * // Right: groups [{ lr: 0.025, initial_lr: 0.05 }], scheduler.last_step 0
 * ```
 */
export const build = (
  config: unknown,
  groups: Groups,
  context: BuildContext = {},
): E.Either<ReadonlyArray<Issue>, Stepped<ParamScheduler>> => {
  if (!isDict(config))
    return left([{ path: '', message: `expected a scheduler dict with a \`type\`, got ${show(config)}` }])
  const rawType = config['type']
  if (rawType === undefined)
    return left([{ path: 'type', message: 'required key missing (the registered scheduler name)' }])
  if (typeof rawType !== 'string') return left([{ path: 'type', message: `expected a string, got ${show(rawType)}` }])
  const entry = lookup(rawType)
  if (entry === undefined)
    return left([
      { path: 'type', message: `unknown scheduler type '${rawType}'${suggestion(unscoped(rawType), schedulerTypes)}` },
    ])
  const decoded = argumentsCodec(entry.name, entry).decode(config)
  if (decoded._tag === 'Left') return left(issuesOf(decoded.left))
  const a = decoded.right
  const issues: Issue[] = []

  // The runner's default end: max_epochs when by_epoch (the default), else max_iters; outside a runner INF.
  let byEpoch = a.by_epoch ?? true
  let begin = a.begin ?? 0
  const defaultEnd = byEpoch ? context.maxEpochs : context.maxIters
  let end = a.end ?? defaultEnd ?? INF
  if (end <= begin)
    issues.push({
      path: 'end',
      message:
        a.end === undefined
          ? `end should be larger than begin, but got begin=${begin} and the default end ` +
            `${byEpoch ? 'max_epochs' : 'max_iters'}=${end}`
          : `end should be larger than begin, but got begin=${begin}, end=${end}`,
    })
  const lastStep = a.last_step ?? -1
  const paramName = fixedParam(entry.kind) ?? a.param_name ?? ''
  const plateau = entry.family === 'ReduceOnPlateau'
  const def =
    entry.family === 'ReduceOnPlateau'
      ? undefined
      : (chainable[entry.family] as FamilyDef<Props, Props, ChainableScheduler>)
  // The decoded arguments, typed by the family that reads them.
  let args: unknown = a

  if (a.convert_to_iter_based === true) {
    const L = context.epochLength
    if (!byEpoch)
      issues.push({
        path: 'convert_to_iter_based',
        message: 'only epoch-based schedulers (by_epoch=True) can be converted to iter-based',
      })
    else if (plateau)
      issues.push({
        path: 'convert_to_iter_based',
        message: `${entry.name} cannot be converted to iter-based: it only supports by_epoch=True`,
      })
    else if (L === undefined || !Number.isInteger(L) || L <= 0)
      issues.push({
        path: 'convert_to_iter_based',
        message: `needs the epoch length (len(train_dataloader)) as a positive integer, got ${show(L)}`,
      })
    else {
      // build_iter_from_epoch: by_epoch=False, begin·L, end·L unless INF, and the family's own lengths ·L.
      byEpoch = false
      begin = begin * L
      end = end === INF ? INF : end * L
      args = def!.toIterBased(args as StructOf<Props, Props>, L)
    }
  }
  if (plateau && !byEpoch) issues.push({ path: 'by_epoch', message: `${entry.name} only supports by_epoch=True` })
  if (issues.length > 0) return left(issues)

  let current = groups
  let useBetas: { readonly use_betas: boolean } | Record<never, never> = {}
  if (entry.kind === 'Momentum') {
    const prelude = momentumPrelude(groups, context)
    if (prelude._tag === 'Left') return prelude
    current = prelude.right.groups
    useBetas = { use_betas: prelude.right.useBetas }
  }
  const env: Env = { begin, end, paramName, lastStep, kind: entry.kind, groups: current, context }
  const base = { type: entry.name, param_name: paramName, begin, end, by_epoch: byEpoch, last_step: lastStep }

  if (def === undefined) {
    const own = Plateau.own(args as Plateau.Args, env)
    if (own._tag === 'Left') return own
    const recorded = recordInitial(current, paramName, lastStep)
    if (recorded._tag === 'Left') return recorded
    const values = numbersIn(recorded.right, paramName)
    if (values._tag === 'Left') return left([{ path: '', message: values.left.message }])
    const scheduler = {
      ...base,
      _global_step: 0,
      verbose: a.verbose ?? false,
      ...useBetas,
      _last_value: values.right,
      ...own.right,
    } as ReduceOnPlateauScheduler
    return E.right({ scheduler, groups: recorded.right })
  }

  const constructed = def.own(args as StructOf<Props, Props>, env)
  if (constructed._tag === 'Left') return constructed
  const recorded = recordInitial(constructed.right.groups, paramName, lastStep)
  if (recorded._tag === 'Left') return recorded
  const baseValues = baseValuesOf(recorded.right, paramName)
  if (baseValues._tag === 'Left') return baseValues
  const fresh = {
    ...base,
    base_values: baseValues.right,
    _global_step: -1,
    verbose: a.verbose ?? false,
    ...useBetas,
    _last_value: [],
    ...constructed.right.own,
  } as unknown as ChainableScheduler
  // The constructor ends with self.step(): the step-0 value is applied now.
  const first = stepChainable(fresh, recorded.right, def.value)
  return E.mapLeft(
    (e: { readonly error: string; readonly message: string }): ReadonlyArray<Issue> => [
      { path: '', message: `${e.error}: ${e.message}` },
    ],
  )(first)
}

/**
 * Build a list of schedulers in order on the same groups (each constructor
 * sees the groups the previous one left). A single dict counts as a list of
 * one. Issue paths are `[i].key` for a list.
 *
 * @example
 * ```ts
 * buildAll([{ type: 'ConstantLR', factor: 0.5 }, { type: 'ConstantLR', factor: 0.5, begin: 1 }], [{ lr: 0.1 }], {
 * maxEpochs: 3 })
 * ```
 */
export const buildAll = (
  configs: unknown,
  groups: Groups,
  context: BuildContext = {},
): E.Either<ReadonlyArray<Issue>, { readonly schedulers: ReadonlyArray<ParamScheduler>; readonly groups: Groups }> => {
  const list = Array.isArray(configs) ? configs : [configs]
  const prefix = (i: number, path: string): string =>
    !Array.isArray(configs) ? path : path === '' ? `[${i}]` : `[${i}].${path}`
  const issues: Issue[] = []
  const schedulers: ParamScheduler[] = []
  let current = groups
  list.forEach((config, i) => {
    const built = build(config, current, context)
    if (built._tag === 'Left')
      issues.push(...built.left.map((issue) => ({ path: prefix(i, issue.path), message: issue.message })))
    else {
      schedulers.push(built.right.scheduler)
      current = built.right.groups
    }
  })
  return issues.length > 0 ? E.left(issues) : E.right({ schedulers, groups: current })
}
