/**
 * Epoch cadences: how each hook type's records repeat across whole epochs of
 * an epoch-based train loop, so that the dry run can repeat a block of
 * interpreted epochs instead of interpreting the epochs after it (the
 * whole-epoch fast-forward, docs/dry-run.md).
 *
 * A *unit* is one train epoch with the validation after it, if any. A hook's
 * records repeat with a `period` (in units) inside a *regime*; `nextChange`
 * names the units where a new regime starts (a save that begins removing old
 * checkpoints, a threshold such as `SwAVHook`'s `epoch_queue_starts`, a new
 * validation interval). `advance` is the state the hook leaves after a run of
 * units, in closed form. A hook type acting at a train or val stage without
 * an epoch cadence makes the dry run interpret every epoch, as before.
 * @module
 */
import type { HookDecl, Program } from '../../dsl/Program.js'
import type { State } from '../../dsl/State.js'
import * as S from '../../dsl/State.js'
import * as Hub from '../../dsl/MessageHub.js'
import type * as Loop from '../../dsl/Loop.js'
import * as path from '../../dsl/path.js'
import * as Optim from '../../optim/OptimStateValues.js'
import * as Registry from '../../schema/registry.js'
import type { HookType } from '../../hooks/HookType.js'
import { CheckpointSchedule } from '../../hooks/CheckpointHook.js'
import type { CheckpointHookArgs } from '../../hooks/CheckpointHook.js'
import type { EMAHookArgs } from '../../hooks/EMAHook.js'
import type { LoggerHookArgs } from '../../hooks/LoggerHook.js'
import type { SimSiamHookArgs } from '../../hooks/SimSiamHook.js'
import type { SwAVHookArgs } from '../../hooks/SwAVHook.js'
import type { DenseCLHookArgs } from '../../hooks/DenseCLHook.js'
import type { DeepClusterHookArgs } from '../../hooks/DeepClusterHook.js'
import type { EmptyCacheHookArgs } from '../../hooks/EmptyCacheHook.js'
import { builtInCadences, quietWithoutModel } from './cadences.js'
import type { CadenceContext } from './cadences.js'
import { stepEpochs, stepsByIteration } from './schedulerSteps.js'

export interface EpochCadence {
  /** Units after which the hook's records repeat (≥ 1), inside a regime. */
  readonly period: number
  /** The first unit ≥ `unit` that starts a new regime, or Infinity. */
  readonly nextChange: (unit: number) => number
  /** The state after units `[from, to)`, or undefined when it cannot be told without interpreting them. */
  readonly advance?: (state: State, from: number, to: number) => State | undefined
}

/** An epoch cadence for one hook as configured; undefined when its epochs must all be interpreted. */
export type EpochCadenceOf = (args: unknown, key: string, context: CadenceContext) => EpochCadence | undefined

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** The least common multiple, or Infinity beyond exact integers. */
export const lcm = (a: number, b: number): number => {
  const m = (a / gcd(a, b)) * b
  return Number.isSafeInteger(m) ? m : Infinity
}

/** The period in units of something that happens every `every` iterations, with `batches` iterations per unit. */
const iterationPeriod = (every: number, batches: number): number => (every > 0 ? every / gcd(every, batches) : 1)

/** The first of `changes` ≥ `unit`. */
const firstFrom = (changes: ReadonlyArray<number>, unit: number): number =>
  Math.min(Infinity, ...changes.filter((c) => c >= unit))

const steady: EpochCadence = { period: 1, nextChange: () => Infinity }

/** Lines at batch positions repeat every epoch; `Exp name` lines every `interval_exp_name` iterations. */
const logger: EpochCadenceOf = (raw, _key, context) => {
  const a = raw as LoggerHookArgs
  return { period: iterationPeriod(a.interval_exp_name ?? 1000, context.trainLength), nextChange: () => Infinity }
}

const paramScheduler: EpochCadenceOf = (_raw, _key, context) => ({
  period: 1,
  nextChange: () => Infinity,
  advance: (state, from, to) => {
    const optim = Optim.read(state.optim)
    if (optim === undefined) return state
    const stepped = stepEpochs(optim, to - from, context.trainLength)
    // A failing step is left to the epochs that meet it, interpreted.
    if (stepped._tag === 'Left') return undefined
    return stepped.right === optim ? state : { ...state, optim: Optim.write(stepped.right) }
  },
})

/**
 * Saves every `interval` epochs (or iterations); once `max_keep_ckpts` are kept every save removes one, so the
 * save that first removes starts a regime. The message hub's `keep_ckpt_ids` and `last_ckpt` move in closed form.
 */
const checkpoint: EpochCadenceOf = (raw, key, context) => {
  const a = raw as CheckpointHookArgs
  // The best checkpoints follow validation metrics, which the dry run does not have.
  if (a.save_best != null && (!Array.isArray(a.save_best) || a.save_best.length > 0)) return undefined
  const byEpoch = a.by_epoch ?? true
  const interval = a.interval ?? -1
  const begin = a.save_begin ?? 0
  const batches = context.trainLength
  const maxKeep = a.max_keep_ckpts ?? -1
  // Saves (steps: epochs or iterations counted from 1) at begin + k·interval for k ≥ 1 when begin = 0, k ≥ 0 else.
  const firstStep = interval > 0 ? begin + Math.max(0, Math.ceil((1 - begin) / interval)) * interval : Infinity
  const unitOfStep = (step: number): number => (byEpoch ? step - 1 : Math.floor((step - 1) / batches))
  const changes = [
    Math.max(0, unitOfStep(Math.max(1, begin))),
    ...(maxKeep > 0 && interval > 0 ? [unitOfStep(firstStep + maxKeep * interval)] : []),
  ]
  /** Steps saved by the interval in units `[from, to)`, the last `keep` of them. */
  const lastSteps = (from: number, to: number, keep: number): number[] => {
    if (interval <= 0) return []
    const lo = byEpoch ? from + 1 : from * batches + 1
    const hi = byEpoch ? to : to * batches
    const last = begin + Math.floor((hi - begin) / interval) * interval
    const steps: number[] = []
    for (let s = last; s >= Math.max(lo, firstStep) && steps.length < keep; s -= interval) steps.unshift(s)
    return steps
  }
  return {
    period: byEpoch ? Math.max(1, interval) : iterationPeriod(interval, batches),
    nextChange: (unit) => firstFrom(changes, unit),
    advance: (state, from, to) => {
      const steps = lastSteps(from, to, Math.max(1, maxKeep))
      if (steps.length === 0) return state
      const dir = S.hookState(state, key, { outDir: '' }).outDir
      let hub = Hub.updateInfo(
        state.messageHub,
        'last_ckpt',
        path.join(dir, CheckpointSchedule.filename(a, steps.at(-1)!)),
      )
      if (maxKeep > 0) {
        const kept = Hub.getInfo(hub, 'keep_ckpt_ids')
        const before = Array.isArray(kept) ? kept.filter((v): v is number => typeof v === 'number') : []
        hub = Hub.updateInfo(hub, 'keep_ckpt_ids', [...before, ...steps].slice(-maxKeep))
      }
      return { ...state, messageHub: hub }
    },
  }
}

/** Averages from `begin_epoch` (or `begin_iter`) on: its `steps` count moves as the iteration cadence says. */
const ema: EpochCadenceOf = (raw, key, context) => {
  const a = raw as EMAHookArgs
  const perIteration = builtInCadences['EMAHook']!(raw, key, context)!
  const start =
    (a.begin_epoch ?? 0) > 0
      ? a.begin_epoch! - 1
      : Math.floor(Math.max(0, (a.begin_iter ?? 0) - 1) / context.trainLength)
  return {
    period: 1,
    nextChange: (unit) => (unit <= start ? start : Infinity),
    advance: (state, from, to) =>
      perIteration.advance!(
        state,
        { iter: from * context.trainLength, epoch: from, batchIdx: 0 },
        to * context.trainLength,
      ),
  }
}

/**
 * Pins the predictor's lr at each epoch's start (re-pinned by the first interpreted epoch after a skip); pinned at
 * every iteration between iteration-based steps, which cannot be jumped.
 */
const simSiam: EpochCadenceOf = (raw) => {
  const a = raw as SimSiamHookArgs
  const everyIteration = !(a.adjust_by_epoch ?? true) && a.fix_pred_lr === true
  return {
    ...steady,
    advance: (state) => {
      const optim = Optim.read(state.optim)
      return everyIteration && optim !== undefined && stepsByIteration(optim) ? undefined : state
    },
  }
}

/** The queue starts at `epoch_queue_starts`; frozen layers thaw after their iteration counts. */
const swav: EpochCadenceOf = (raw, _key, context) => {
  const a = raw as SwAVHookArgs
  const changes = [
    a.epoch_queue_starts ?? 15,
    ...Object.values(a.frozen_layers_cfg ?? {}).map((n) => Math.floor(n / context.trainLength)),
  ]
  return { period: 1, nextChange: (unit) => firstFrom(changes, unit) }
}

/** `loss_lambda` is 0 before `start_iters` and the model's value from there on. */
const denseCL: EpochCadenceOf = (raw, _key, context) => {
  const start = Math.floor(((raw as DenseCLHookArgs).start_iters ?? 1000) / context.trainLength)
  return { period: 1, nextChange: (unit) => (unit <= start ? start : Infinity) }
}

/**
 * Clusters after every `interval`-th epoch (its `before_train` clustering comes before the units): a log line, and
 * labels, sampler weights and a new head from the model's features, which a plan's model does not hold. An interval
 * longer than the run (ODC's `9999999999`: it clusters only before training) never acts within it.
 */
const deepCluster: EpochCadenceOf = (raw, _key, context) => {
  const interval = (raw as DeepClusterHookArgs).interval ?? 1
  return { period: interval > context.maxEpochs ? 1 : interval, nextChange: () => Infinity, advance: quietWithoutModel }
}

/**
 * The epoch cadences of the built-in hook types that act at train or val stages. RuntimeInfoHook, IterTimerHook
 * (under the dry run's still clock), DistSamplerSeedHook and SyncBuffersHook set what the first interpreted epoch
 * after a skip sets again.
 */
export const builtInEpochCadences: { readonly [hookType: string]: EpochCadenceOf } = {
  RuntimeInfoHook: () => steady,
  IterTimerHook: () => steady,
  DistSamplerSeedHook: () => steady,
  SyncBuffersHook: () => steady,
  EmptyCacheHook: (raw) => ((raw as EmptyCacheHookArgs).after_iter === true ? undefined : steady),
  LoggerHook: logger,
  ParamSchedulerHook: paramScheduler,
  CheckpointHook: checkpoint,
  EMAHook: ema,
  SimSiamHook: simSiam,
  SwAVHook: swav,
  DenseCLHook: denseCL,
  DeepClusterHook: deepCluster,
  // Its label bank goes to a file every 10 epochs, from the model's memory, which a plan's model does not hold.
  ODCHook: () => ({ period: 10, nextChange: () => Infinity, advance: quietWithoutModel }),
  CollapseDetectionHook: (raw, key, context) => ({
    ...steady,
    advance: (state, from) =>
      builtInCadences['CollapseDetectionHook']!(raw, key, context)!.advance!(
        state,
        { iter: from * context.trainLength, epoch: from, batchIdx: 0 },
        from * context.trainLength,
      ),
  }),
}

/** Validation after unit `u` (`u + 1` epochs finished): every `val_interval`, from `val_begin`, as intervals change. */
export const validationCadence = (loop: Loop.TrainLoop, validates: boolean): EpochCadence => {
  if (!validates) return steady
  const changes = [
    Math.max(0, loop.val_begin - 1),
    ...loop.dynamic_intervals.flatMap(([milestone]) => [Math.max(0, milestone - 2), Math.max(0, milestone - 1)]),
  ]
  return {
    // A multiple of every regime's interval.
    period: [loop.val_interval, ...loop.dynamic_intervals.map(([, i]) => i)].reduce(
      (m, i) => lcm(m, Math.max(1, i)),
      1,
    ),
    nextChange: (unit) => firstFrom(changes, unit),
  }
}

/** A hook of the run with its epoch cadence, or why it has none. */
export type HookEpochCadence =
  | { readonly _tag: 'Cadence'; readonly key: string; readonly cadence: EpochCadence }
  | { readonly _tag: 'None'; readonly name: string }

/** The epoch cadence of every hook of `program` that `acts` (at a train or val stage). */
export const epochCadencesOf = (
  program: Program,
  hookTypes: Registry.Registry<HookType<unknown>>,
  acts: (decl: HookDecl) => boolean,
  context: CadenceContext,
  table: { readonly [hookType: string]: EpochCadenceOf } = builtInEpochCadences,
): ReadonlyArray<HookEpochCadence> =>
  program.hooks.filter(acts).map((decl): HookEpochCadence => {
    const resolved = Registry.resolve(hookTypes, decl.spec.type)
    if (resolved._tag === 'Left') return { _tag: 'None', name: decl.spec.type }
    const type = resolved.right
    if (type.planOnly !== undefined) return { _tag: 'Cadence', key: decl.key, cadence: steady }
    const of = table[type.name]
    const args = type.args.decode(decl.spec.args)
    const cadence = of === undefined || args._tag === 'Left' ? undefined : of(args.right, decl.key, context)
    return cadence === undefined ? { _tag: 'None', name: type.name } : { _tag: 'Cadence', key: decl.key, cadence }
  })
