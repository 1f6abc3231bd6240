/**
 * Replays a recorded MMEngine scenario against loopwright and checks every
 * field it holds that loopwright's current layers can reproduce. Fields that
 * need parts not built yet are reported as SKIP with the reason.
 *
 * What is replayed here (the optimizer layer):
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
import { replayRun } from './runReplay.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })
const skip = (field: string, detail: string): Check => ({ status: 'SKIP', field, detail })

/** Fields no replay covers yet, listed so that nothing is silently ignored. */
const laterFields: ReadonlyArray<readonly [string, string]> = [
  ['trace', 'the trace field is covered by call_sequence; its own format is not replayed'],
  // ema_final_params, val_checks and checkpoint_epoch_* are checked by the end-to-end run (runReplay.ts).
]

/** The accumulation windows and loss divisors, from the wrapper's counting rule alone. */
const checkAccumulation = (scenario: Scenario, wrapper: OW.OptimWrapper, perIter: ReadonlyArray<PerIter>): Check[] => {
  const checks: Check[] = []
  let state = wrapper.accumulation.initializeCountStatus({ inner: undefined, sum: undefined, count: 0, maxCounts: -1, stepped: false }, 0, perIter.length)
  const factorBad: string[] = []
  const steppedBad: string[] = []
  for (const it of perIter) {
    const factor = wrapper.accumulation.lossFactor(state)
    const steps = wrapper.accumulation.closesWindow(state)
    if (it.loss_factor !== undefined && hyperMismatch(factor, it.loss_factor) !== undefined) factorBad.push(`iter ${it.iter}: ${factor} ≠ ${it.loss_factor}`)
    if (it.stepped !== undefined && steps !== it.stepped) steppedBad.push(`iter ${it.iter}: ${steps} ≠ ${it.stepped}`)
    state = { ...state, count: state.count + 1 }
  }
  if (perIter.some((p) => p.loss_factor !== undefined)) checks.push(factorBad.length === 0 ? pass('per_iter.loss_factor') : fail('per_iter.loss_factor', factorBad[0]!))
  if (perIter.some((p) => p.stepped !== undefined)) checks.push(steppedBad.length === 0 ? pass('per_iter.stepped') : fail('per_iter.stepped', steppedBad[0]!))
  void scenario
  return checks
}

/** Replay the recorded step gradients through the optimizer (and clipping) and compare parameters after every iteration. */
const checkParams = (scenario: Scenario, groups: ReadonlyArray<ParamGroup>, optimizerCfg: { readonly [key: string]: unknown }, lrs: ReadonlyArray<ReadonlyArray<number>>): Check[] => {
  const perIter = scenario.per_iter ?? []
  const cfg = wrapperConfigOf(scenario, optimizerCfg)
  // Recorded gradients are what optimizer.step saw: already accumulated and unscaled.
  const built = OW.build({ ...cfg, type: 'OptimWrapper', accumulative_counts: 1, loss_scale: undefined }, groups)
  if (built._tag === 'Left') return [fail('per_iter.params', `optim_wrapper: ${built.left.map((i) => `${i.path}: ${i.message}`).join('; ')}`)]
  const { wrapper } = built.right
  let wrapperGroups = built.right.groups
  const shapes = Object.fromEntries(Object.entries(scenario.model ?? {}).map(([n, r]) => [n, r.shape]))
  const tensorsOf = (values: { readonly [name: string]: ReadonlyArray<number> }) =>
    Object.fromEntries(Object.entries(values).map(([n, v]) => [n, tf.tensor(v as number[], shapes[n] as number[], 'float32')])) as Tree.Tree
  let params = Tree.fromArrays(scenario.model ?? {})
  let state = OW.init(wrapper, params)
  const checks: Check[] = []
  let paramsBad: string | undefined
  let normBad: string | undefined
  const clipping = wrapper.clip?.type === 'norm'
  perIter.forEach((it, i) => {
    const lr = lrs[i]
    if (lr !== undefined) wrapperGroups = { ...wrapperGroups, real: wrapperGroups.real.map((g, gi) => ({ ...g, hyper: { ...g.hyper, lr: lr[gi] ?? g.hyper['lr'] ?? null } })) }
    const recorded = clipping && it.grads_pre_clip !== undefined ? it.grads_pre_clip : it.grads
    if (recorded !== undefined) {
      const grads = tensorsOf(recorded)
      const [updates, next] = OW.update(wrapper, grads, state, params, wrapperGroups)
      params = Tree.applyUpdates(params, updates)
      state = next
      if (clipping && it.grad_norm !== undefined && normBad === undefined) {
        const norm = OW.gradNorm(wrapper, state)?.dataSync()[0]
        if (norm === undefined || Math.abs(norm - it.grad_norm) > Math.max(1e-5, 1e-4 * Math.abs(it.grad_norm))) normBad = `iter ${it.iter}: ${norm} ≠ ${it.grad_norm}`
      }
    }
    if (it.params !== undefined && paramsBad === undefined) {
      const current = Object.fromEntries(Object.entries(Tree.toArrays(params)).map(([n, a]) => [n, a.values]))
      const m = firstTensorMismatch(current, it.params)
      if (m !== undefined) paramsBad = `max |Δ| ${m.diff.toExponential(1)} at iter ${it.iter} ${m.name}[${m.index}]`
    }
  })
  const flat = Object.fromEntries(Object.entries(Tree.toArrays(params)).map(([n, a]) => [n, a.values]))
  if (perIter.some((p) => p.params !== undefined)) checks.push(paramsBad === undefined ? pass('per_iter.params') : fail('per_iter.params', paramsBad))
  if (clipping && perIter.some((p) => p.grad_norm !== undefined)) checks.push(normBad === undefined ? pass('per_iter.grad_norm') : fail('per_iter.grad_norm', normBad))
  if (scenario.final_params !== undefined) {
    const m = firstTensorMismatch(flat, scenario.final_params)
    checks.push(m === undefined ? pass('final_params') : fail('final_params', `max |Δ| ${m.diff.toExponential(1)} at ${m.name}[${m.index}]`))
  }
  return checks
}

/** The loss scaler on the scripted sequence of finite and non-finite steps. */
const checkScaler = (scenario: Scenario): Check[] => {
  const steps = scenario.steps!
  const cfg = scenario.config['optim_wrapper'] as { readonly loss_scale?: unknown }
  const scaler = scalerFromConfig(cfg.loss_scale)
  const gs = scenario.config['grad_scaler'] as { init_scale?: number; growth_factor?: number; backoff_factor?: number; growth_interval?: number } | undefined
  const config = gs === undefined ? scaler : { ...scaler, initScale: gs.init_scale ?? scaler.initScale, growthFactor: gs.growth_factor ?? scaler.growthFactor, backoffFactor: gs.backoff_factor ?? scaler.backoffFactor, growthInterval: gs.growth_interval ?? scaler.growthInterval }
  const nonFinite = new Set(steps.nonfinite_steps)
  let state: Omit<ScalerState<null>, 'inner'> = { scale: Math.fround(config.initScale), growthTracker: 0, foundInf: false }
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
  const checks: Check[] = ['steps.scale_used', 'steps.skipped', 'steps.scale_after', 'steps.growth_tracker_after'].map((f) => (bad[f] === undefined ? pass(f) : fail(f, bad[f]!)))
  if (scenario.scale_changes !== undefined) {
    const same = JSON.stringify(changes) === JSON.stringify(scenario.scale_changes)
    checks.push(same ? pass('scale_changes') : fail('scale_changes', `${JSON.stringify(changes).slice(0, 120)} ≠ ${JSON.stringify(scenario.scale_changes).slice(0, 120)}`))
  }
  if (scenario.final !== undefined) {
    const got = { scale: state.scale, growth_tracker: state.growthTracker, n_skipped: skipped }
    checks.push(JSON.stringify(got) === JSON.stringify(scenario.final) ? pass('final') : fail('final', `${JSON.stringify(got)} ≠ ${JSON.stringify(scenario.final)}`))
  }
  return checks
}

/**
 * The optimizer-layer checks of one scenario: the recorded gradients replayed
 * through the constructors, schedulers and optimizer wrapper. Their fields are
 * prefixed `grads-replay.`; the end-to-end run (`runReplay.ts`) owns the bare names.
 */
export const replayOptimizer = (scenario: Scenario): ReadonlyArray<Check> => {
  const checks: Check[] = []
  if (scenario.steps !== undefined) checks.push(...checkScaler(scenario))
  const perIter = scenario.per_iter ?? []
  if (scenario.config['optim_wrapper'] !== undefined && scenario.model !== undefined) {
    const groups = buildGroups(scenario)
    if (groups._tag === 'Left') checks.push(fail('param_groups', groups.left))
    else {
      const lrs = scheduleLr(scenario, groups.right.groups, groups.right.optimizerCfg)
      if (lrs._tag === 'Left') checks.push(fail('param_scheduler', lrs.left))
      else {
        if (scenario.param_groups !== undefined) checks.push(checkGroups(scenario, lrs.right.constructed, groups.right.defaults))
        const lrBad = perIter.flatMap((it, i) => (it.lr === undefined ? [] : it.lr.flatMap((v, g) => (hyperMismatch(lrs.right.perIter[i]?.[g] ?? NaN, v) === undefined ? [] : [`iter ${it.iter} group ${g}: ${lrs.right.perIter[i]?.[g]} ≠ ${v}`]))))
        if (perIter.some((p) => p.lr !== undefined)) checks.push(lrBad.length === 0 ? pass('per_iter.lr') : fail('per_iter.lr', lrBad[0]!))
        if (scenario.final_lr !== undefined) {
          const bad = scenario.final_lr.findIndex((v, g) => hyperMismatch(lrs.right.final[g] ?? NaN, v) !== undefined)
          checks.push(bad < 0 ? pass('final_lr') : fail('final_lr', `group ${bad}: ${lrs.right.final[bad]} ≠ ${scenario.final_lr[bad]}`))
        }
      }
      const built = OW.build(wrapperConfigOf(scenario, groups.right.optimizerCfg), groups.right.groups)
      if (built._tag === 'Right') checks.push(...checkAccumulation(scenario, built.right.wrapper, perIter))
      if (lrs._tag === 'Left') {
        if (perIter.some((p) => p.params !== undefined)) checks.push(skip('per_iter.params', lrs.left))
        if (scenario.final_params !== undefined) checks.push(skip('final_params', lrs.left))
      } else {
        tf.tidy(() => {
          checks.push(...checkParams(scenario, groups.right.groups, groups.right.optimizerCfg, lrs.right.perIter))
        })
      }
    }
  }
  return checks
}

/** Fields the end-to-end run checks under their own names; the optimizer-layer replay reports them as `grads-replay.<field>`. */
const runFields = new Set(['per_iter.lr', 'final_lr', 'per_iter.stepped', 'per_iter.params', 'per_iter.grad_norm', 'final_params'])

/** Every check of one scenario: the optimizer layer on recorded gradients, then the whole run end to end. */
export const replay = async (scenario: Scenario): Promise<ReadonlyArray<Check>> => {
  const checks: Check[] = replayOptimizer(scenario).map((c) => (runFields.has(c.field) ? { ...c, field: `grads-replay.${c.field}` } : c))
  checks.push(...(await replayRun(scenario)))
  const perIter = scenario.per_iter ?? []
  for (const [field, reason] of laterFields) {
    const [top] = field.split('.')
    const present = field.startsWith('per_iter.') ? perIter.some((p) => (p as unknown as Record<string, unknown>)[field.slice('per_iter.'.length)] !== undefined) : scenario[top!] !== undefined
    if (present) checks.push(skip(field, reason))
  }
  return checks
}
