/**
 * Replays a recorded scenario against loopwright: a list of replayers, each
 * taking the scenarios of a shape it knows, then the coverage guard (every
 * field that no replayer checked is a FAIL). Another family of scenarios
 * (MMSelfSup's components) plugs in with one entry in {@link replayers}.
 *
 * The optimizer layer, replayed here:
 * - `param_groups`: built from `config.optim_wrapper` and the TinyRegressor's parameters;
 * - `per_iter.lr`, `final_lr`: the schedulers stepped as ParamSchedulerHook steps them;
 * - `per_iter.loss_factor`, `per_iter.stepped`: the accumulation rule;
 * - `per_iter.params`, `final_params`, `per_iter.grad_norm`: the recorded gradients
 *   (`grads_pre_clip` when clipping) replayed through the optimizer wrapper;
 * - `steps`, `scale_changes`, `final`: the loss scaler on the recorded finite/non-finite sequence.
 */
import * as tf from '@tensorflow/tfjs-core'
import * as OW from '../../src/optim/OptimWrapper.js'
import type { ParamGroup } from '../../src/optim/ParamGroups.js'
import * as Tree from '../../src/tensor/tree.js'
import { nextScale, scalerFromConfig } from '../../src/optim/transforms/lossScaling.js'
import type { ScalerState } from '../../src/optim/transforms/lossScaling.js'
import { firstTensorMismatch, hyperMismatch } from './compare.js'
import type { Check, PerIter, Scenario } from './scenario.js'
import { buildGroups, checkGroups, scheduleLr, wrapperConfigOf } from './optimParts.js'
import * as E from 'fp-ts/lib/Either.js'
import { isConstructorOnly, replayConstructor } from './constructorReplay.js'
import { uncovered } from './fields.js'
import { componentDescriptive, componentInputs, isComponentScenario, replayComponent } from './mmselfsup.js'
import { isTrainingRun, replayRun } from './runReplay.js'
import type { ReplayContext } from './runReplay.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })

/**
 * Replay the recorded step gradients through the optimizer (and clipping) and compare parameters after every
 * iteration.
 */
const checkParams = (
  scenario: Scenario,
  groups: ReadonlyArray<ParamGroup>,
  optimizerCfg: { readonly [key: string]: unknown },
  lrs: ReadonlyArray<ReadonlyArray<number>>,
  observe?: (it: PerIter, params: { readonly [name: string]: ReadonlyArray<number> }) => void,
): Check[] => {
  const perIter = scenario.per_iter ?? []
  const cfg = wrapperConfigOf(scenario, optimizerCfg)
  // Recorded gradients are what optimizer.step saw: already accumulated and unscaled.
  const built = OW.build({ ...cfg, type: 'OptimWrapper', accumulative_counts: 1, loss_scale: undefined }, groups)
  if (built._tag === 'Left')
    return [fail('per_iter.params', `optim_wrapper: ${built.left.map((i) => `${i.path}: ${i.message}`).join('; ')}`)]
  const { wrapper } = built.right
  let wrapperGroups = built.right.groups
  const shapes = Object.fromEntries(Object.entries(scenario.model ?? {}).map(([n, r]) => [n, r.shape]))
  const tensorsOf = (values: { readonly [name: string]: ReadonlyArray<number> }) =>
    Object.fromEntries(
      Object.entries(values).map(([n, v]) => [n, tf.tensor(v as number[], shapes[n] as number[], 'float32')]),
    ) as Tree.Tree
  let params = Tree.fromArrays(scenario.model ?? {})
  let state = OW.init(wrapper, params)
  const checks: Check[] = []
  let paramsBad: string | undefined
  let normBad: string | undefined
  const clipping = wrapper.clip?.type === 'norm'
  perIter.forEach((it, i) => {
    const lr = lrs[i]
    if (lr !== undefined)
      wrapperGroups = {
        ...wrapperGroups,
        real: wrapperGroups.real.map((g, gi) => ({ ...g, hyper: { ...g.hyper, lr: lr[gi] ?? g.hyper['lr'] ?? null } })),
      }
    const recorded = clipping && it.grads_pre_clip !== undefined ? it.grads_pre_clip : it.grads
    if (recorded !== undefined) {
      const grads = tensorsOf(recorded)
      const [updates, next] = OW.update(wrapper, grads, state, params, wrapperGroups)
      params = Tree.applyUpdates(params, updates)
      state = next
      if (clipping && it.grad_norm !== undefined && normBad === undefined) {
        const norm = OW.gradNorm(wrapper, state)?.dataSync()[0]
        if (norm === undefined || Math.abs(norm - it.grad_norm) > Math.max(1e-5, 1e-4 * Math.abs(it.grad_norm)))
          normBad = `iter ${it.iter}: ${norm} ≠ ${it.grad_norm}`
      }
    }
    if (observe !== undefined)
      observe(it, Object.fromEntries(Object.entries(Tree.toArrays(params)).map(([n, a]) => [n, a.values])))
    if (it.params !== undefined && paramsBad === undefined) {
      const current = Object.fromEntries(Object.entries(Tree.toArrays(params)).map(([n, a]) => [n, a.values]))
      const m = firstTensorMismatch(current, it.params)
      if (m !== undefined) paramsBad = `max |Δ| ${m.diff.toExponential(1)} at iter ${it.iter} ${m.name}[${m.index}]`
    }
  })
  const flat = Object.fromEntries(Object.entries(Tree.toArrays(params)).map(([n, a]) => [n, a.values]))
  if (perIter.some((p) => p.params !== undefined))
    checks.push(paramsBad === undefined ? pass('per_iter.params') : fail('per_iter.params', paramsBad))
  if (clipping && perIter.some((p) => p.grad_norm !== undefined))
    checks.push(normBad === undefined ? pass('per_iter.grad_norm') : fail('per_iter.grad_norm', normBad))
  if (scenario.final_params !== undefined) {
    const m = firstTensorMismatch(flat, scenario.final_params)
    checks.push(
      m === undefined
        ? pass('final_params')
        : fail('final_params', `max |Δ| ${m.diff.toExponential(1)} at ${m.name}[${m.index}]`),
    )
  }
  return checks
}

/** The loss scaler on the scripted sequence of finite and non-finite steps. */
const checkScaler = (scenario: Scenario): Check[] => {
  const steps = scenario.steps!
  const cfg = scenario.config['optim_wrapper'] as { readonly loss_scale?: unknown }
  const scaler = scalerFromConfig(cfg.loss_scale)
  const gs = scenario.config['grad_scaler'] as
    | { init_scale?: number; growth_factor?: number; backoff_factor?: number; growth_interval?: number }
    | undefined
  const config =
    gs === undefined
      ? scaler
      : {
          ...scaler,
          initScale: gs.init_scale ?? scaler.initScale,
          growthFactor: gs.growth_factor ?? scaler.growthFactor,
          backoffFactor: gs.backoff_factor ?? scaler.backoffFactor,
          growthInterval: gs.growth_interval ?? scaler.growthInterval,
        }
  const nonFinite = new Set(steps.nonfinite_steps)
  let state: Omit<ScalerState<null>, 'inner'> = {
    scale: Math.fround(config.initScale),
    growthTracker: 0,
    foundInf: false,
  }
  const bad: Record<string, string | undefined> = {}
  const changes: Array<{ step: number; scale_before: number; scale_after: number }> = []
  let skipped = 0
  steps.step.forEach((step, i) => {
    const used = state.scale
    const inf = nonFinite.has(step)
    const next = nextScale(config, state.scale, state.growthTracker, inf)
    if (inf) skipped++
    if (used !== next.scale) changes.push({ step, scale_before: used, scale_after: next.scale })
    const note = (field: string, got: unknown, want: unknown) => {
      if (got !== want && bad[field] === undefined) bad[field] = `step ${step}: ${String(got)} ≠ ${String(want)}`
    }
    note('steps.scale_used', used, steps.scale_used[i])
    note('steps.skipped', inf, steps.skipped[i])
    note('steps.scale_after', next.scale, steps.scale_after[i])
    note('steps.growth_tracker_after', next.growthTracker, steps.growth_tracker_after[i])
    state = { ...next, foundInf: inf }
  })
  const checks: Check[] = ['steps.scale_used', 'steps.skipped', 'steps.scale_after', 'steps.growth_tracker_after'].map(
    (f) => (bad[f] === undefined ? pass(f) : fail(f, bad[f]!)),
  )
  if (scenario.scale_changes !== undefined) {
    const same = JSON.stringify(changes) === JSON.stringify(scenario.scale_changes)
    checks.push(
      same
        ? pass('scale_changes')
        : fail(
            'scale_changes',
            `${JSON.stringify(changes).slice(0, 120)} ≠ ${JSON.stringify(scenario.scale_changes).slice(0, 120)}`,
          ),
    )
  }
  if (scenario.final !== undefined) {
    const got = { scale: state.scale, growth_tracker: state.growthTracker, n_skipped: skipped }
    checks.push(
      JSON.stringify(got) === JSON.stringify(scenario.final)
        ? pass('final')
        : fail('final', `${JSON.stringify(got)} ≠ ${JSON.stringify(scenario.final)}`),
    )
  }
  return checks
}

/**
 * Does the record hold the gradients each optimizer step saw? Only then can the optimizer layer be replayed on them.
 */
const hasGradients = (scenario: Scenario): boolean =>
  (scenario.per_iter ?? []).some((p) => p.grads !== undefined || p.grads_pre_clip !== undefined)

/**
 * The optimizer-layer checks of a training scenario: param groups from the
 * constructors, the lr of every group from the schedulers and, where the
 * record holds gradients, the parameters those gradients give through the
 * optimizer wrapper (fields prefixed `grads-replay.`; the end-to-end run
 * owns the bare names).
 */
export const replayOptimizer = (scenario: Scenario): ReadonlyArray<Check> => {
  const checks: Check[] = []
  const perIter = scenario.per_iter ?? []
  const groups = buildGroups(scenario)
  if (groups._tag === 'Left') return [fail('param_groups', groups.left)]
  const lrs = scheduleLr(scenario, groups.right.groups, groups.right.optimizerCfg)
  if (lrs._tag === 'Left') return [fail('param_scheduler', lrs.left)]
  if (scenario.param_groups !== undefined)
    checks.push(checkGroups(scenario, lrs.right.constructed, groups.right.defaults))
  const lrBad = perIter.flatMap((it, i) =>
    it.lr === undefined
      ? []
      : it.lr.flatMap((v, g) =>
          hyperMismatch(lrs.right.perIter[i]?.[g] ?? NaN, v) === undefined
            ? []
            : [`iter ${it.iter} group ${g}: ${lrs.right.perIter[i]?.[g]} ≠ ${v}`],
        ),
  )
  if (perIter.some((p) => p.lr !== undefined))
    checks.push(lrBad.length === 0 ? pass('grads-replay.per_iter.lr') : fail('grads-replay.per_iter.lr', lrBad[0]!))
  if (scenario.final_lr !== undefined) {
    const bad = scenario.final_lr.findIndex((v, g) => hyperMismatch(lrs.right.final[g] ?? NaN, v) !== undefined)
    checks.push(
      bad < 0
        ? pass('grads-replay.final_lr')
        : fail('grads-replay.final_lr', `group ${bad}: ${lrs.right.final[bad]} ≠ ${scenario.final_lr[bad]}`),
    )
  }
  if (hasGradients(scenario)) {
    tf.tidy(() => {
      checks.push(
        ...checkParams(scenario, groups.right.groups, groups.right.optimizerCfg, lrs.right.perIter).map((c) => ({
          ...c,
          field: `grads-replay.${c.field}`,
        })),
      )
    })
  }
  return checks
}

/** The loss scaler's config: the wrapper loopwright builds, and `grad_scaler` (torch's GradScaler arguments). */
const checkScalerConfig = (scenario: Scenario): Check => {
  const built = OW.build(scenario.config['optim_wrapper'] as OW.WrapperConfig, [{ names: ['p'], hyper: {} }])
  if (built._tag === 'Left')
    return fail('config', `optim_wrapper: ${built.left.map((i) => `${i.path}: ${i.message}`).join('; ')}`)
  const known = new Set(['optim_wrapper', 'grad_scaler'])
  const unknown = Object.keys(scenario.config).filter((k) => !known.has(k))
  // `grad_scaler.source` says where the generator read torch's defaults: prose.
  const scalerKeys = Object.keys((scenario.config['grad_scaler'] ?? {}) as object).filter(
    (k) => !['init_scale', 'growth_factor', 'backoff_factor', 'growth_interval', 'source'].includes(k),
  )
  if (unknown.length > 0 || scalerKeys.length > 0)
    return fail(
      'config',
      `not replayed for a loss-scaler scenario: ` +
        `${[...unknown, ...scalerKeys.map((k) => `grad_scaler.${k}`)].join(', ')}`,
    )
  return pass('config', 'optim_wrapper built; grad_scaler read')
}

/** A family of scenarios: which it takes, and its checks. */
export interface Replayer {
  readonly name: string
  /** Fields of this family's records that describe and are never checked (its README's descriptive list). */
  readonly descriptive?: ReadonlyArray<string>
  readonly accepts: (scenario: Scenario) => boolean
  readonly replay: (scenario: Scenario, context: ReplayContext) => Promise<ReadonlyArray<Check>> | ReadonlyArray<Check>
}

/** Every replayer, in the order their checks are printed. MMSelfSup's component replay plugs in here. */
export const replayers: ReadonlyArray<Replayer> = [
  {
    name: 'MMSelfSup component',
    descriptive: [...componentDescriptive, ...componentInputs],
    accepts: isComponentScenario,
    replay: (s) => replayComponent(s),
  },
  {
    name: 'loss scaler',
    accepts: (s) => s.steps !== undefined && !isTrainingRun(s) && !isComponentScenario(s),
    replay: (s) => [checkScalerConfig(s), ...checkScaler(s)],
  },
  { name: 'layer-decay constructor', accepts: isConstructorOnly, replay: replayConstructor },
  {
    name: 'optimizer layer',
    accepts: (s) => isTrainingRun(s) && s.config['optim_wrapper'] !== undefined,
    replay: replayOptimizer,
  },
  { name: 'training run', accepts: isTrainingRun, replay: replayRun },
]

const noSiblings: ReplayContext = {
  finalParamsOf: async (name) => E.left(`scenario ${name} is not among those replayed`),
}

/** Every check of one scenario: the replayers that take it, then the coverage guard. */
export const replay = async (
  scenario: Scenario,
  context: ReplayContext = noSiblings,
): Promise<ReadonlyArray<Check>> => {
  // A scenario of another family may have no config at all; the replayers read it as empty.
  const hasConfig = typeof scenario.config === 'object' && scenario.config !== null
  const read: Scenario = hasConfig ? scenario : { ...scenario, config: {} }
  const checks: Check[] = []
  const taken = replayers.filter((r) => r.accepts(read))
  if (taken.length === 0)
    checks.push(
      fail(
        'scenario',
        'no replayer takes a scenario of this shape ' +
          '(a training run, a constructor-only model_kind scenario, or a loss-scaler steps scenario)',
      ),
    )
  for (const r of taken) {
    try {
      checks.push(...(await r.replay(read, context)))
    } catch (e) {
      // A record of an unexpected shape is a failure of this scenario, never a crash of the whole replay.
      checks.push(fail('scenario', `the ${r.name} replay stopped: ${e instanceof Error ? e.message : String(e)}`))
    }
  }
  return [...checks, ...uncovered(scenario, checks, new Set(taken.flatMap((r) => r.descriptive ?? [])))]
}

/**
 * The parameters after every iteration of the recorded-gradient replay
 * (the optimizer layer alone, from the recorded initial weights), for
 * measuring how far loopwright's float32 arithmetic is from torch's.
 */
export const gradientReplayTrajectory = (
  scenario: Scenario,
): ReadonlyArray<{ readonly it: PerIter; readonly params: { readonly [name: string]: ReadonlyArray<number> } }> => {
  const groups = buildGroups(scenario)
  if (groups._tag === 'Left') throw new Error(groups.left)
  const lrs = scheduleLr(scenario, groups.right.groups, groups.right.optimizerCfg)
  if (lrs._tag === 'Left') throw new Error(lrs.left)
  const out: Array<{ it: PerIter; params: { readonly [name: string]: ReadonlyArray<number> } }> = []
  tf.tidy(
    () =>
      void checkParams(
        scenario,
        groups.right.groups,
        groups.right.optimizerCfg,
        lrs.right.perIter,
        (it, params) => void out.push({ it, params }),
      ),
  )
  return out
}
