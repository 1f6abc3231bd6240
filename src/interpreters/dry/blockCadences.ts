/**
 * Block cadences: the epoch cadences of an `IterBasedTrainLoop`, whose one long epoch is cut into *blocks* of
 * `B` iterations (each with the validations inside it) that play the part of epochs in the whole-epoch
 * fast-forward (`epochForward.ts`, docs/dry-run.md "Blocks of iterations").
 *
 * `B` is the least common multiple of every hook's period in iterations and of `val_interval`, so that within a
 * regime each block records what the block before it recorded, its counters moved on by `B`. In an iteration-based
 * loop the epoch counter stays 0 and `after_train_epoch` comes once, after the last block: hooks that act only
 * there (a by-epoch `CheckpointHook`, `DeepClusterHook`, `ODCHook`'s file) are quiet in every block.
 * @module
 */
import type * as Loop from '../../dsl/Loop.js'
import * as Optim from '../../optim/OptimStateValues.js'
import type { CheckpointHookArgs } from '../../hooks/CheckpointHook.js'
import type { EMAHookArgs } from '../../hooks/EMAHook.js'
import type { LoggerHookArgs } from '../../hooks/LoggerHook.js'
import { builtInCadences, quietWithoutModel } from './cadences.js'
import type { CadenceContext } from './cadences.js'
import { builtInEpochCadences, lcm } from './epochCadences.js'
import type { EpochCadence, EpochCadenceOf } from './epochCadences.js'
import { stepIterations } from './schedulerSteps.js'

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** The period in blocks of something that happens every `every` iterations, with `block` iterations per block. */
const blocksPeriod = (every: number, block: number): number => (every > 0 ? every / gcd(every, block) : 1)

const quietInBlocks: EpochCadence = { period: 1, nextChange: () => Infinity, advance: quietWithoutModel }

/** The first of `changes` ≥ `unit`. */
const firstFrom = (changes: ReadonlyArray<number>, unit: number): number =>
  Math.min(Infinity, ...changes.filter((c) => c >= unit))

/**
 * Lines every `interval` iterations and `Exp name` every `interval_exp_name`; both also after iteration
 * `loaderLength − 1` (MMEngine passes the global iteration as the batch index, so "the end of the epoch" comes
 * once): the block holding it, and the one after, start regimes.
 */
const logger =
  (loaderLength: number): EpochCadenceOf =>
  (raw, _key, context) => {
    const a = raw as LoggerHookArgs
    const block = context.trainLength
    const special = Math.floor(Math.max(0, loaderLength - 1) / block)
    return {
      period: lcm(blocksPeriod(a.interval ?? 10, block), blocksPeriod(a.interval_exp_name ?? 1000, block)),
      nextChange: (unit) => firstFrom([special, special + 1], unit),
    }
  }

/** Only the iteration-based schedulers move within blocks; the by-epoch ones step once, after the last. */
const paramScheduler: EpochCadenceOf = (_raw, _key, context) => ({
  period: 1,
  nextChange: () => Infinity,
  advance: (state, from, to) => {
    const optim = Optim.read(state.optim)
    if (optim === undefined) return state
    const stepped = stepIterations(optim, (to - from) * context.trainLength)
    if (stepped._tag === 'Left') return undefined
    return stepped.right === optim ? state : { ...state, optim: Optim.write(stepped.right) }
  },
})

/** By iteration: as over epochs, one block for one epoch; by epoch it saves only after the last block. */
const checkpoint: EpochCadenceOf = (raw, key, context) =>
  ((raw as CheckpointHookArgs).by_epoch ?? true)
    ? quietInBlocks
    : builtInEpochCadences['CheckpointHook']!(raw, key, context)

/** Averages from `begin_iter` on (the epoch stays 0, so `begin_epoch` decides at once). */
const ema: EpochCadenceOf = (raw, key, context) => {
  const a = raw as EMAHookArgs
  const perIteration = builtInCadences['EMAHook']!(raw, key, context)!
  const block = context.trainLength
  const start = Math.floor(Math.max(0, (a.begin_iter ?? 0) - 1) / block)
  return {
    period: 1,
    nextChange: (unit) => (unit <= start ? start : Infinity),
    advance: (state, from, to) =>
      perIteration.advance!(state, { iter: from * block, epoch: 0, batchIdx: from * block }, to * block),
  }
}

/**
 * The block cadences of the built-in hook types, for a train loader of `loaderLength` batches: the epoch cadences
 * where blocks behave like epochs (counted in iterations: `DenseCLHook`'s `start_iters`, `SwAVHook`'s frozen
 * layers, the hooks that set what follows from the counters), and their own for the others.
 */
export const builtInBlockCadences = (loaderLength: number): { readonly [hookType: string]: EpochCadenceOf } => ({
  ...builtInEpochCadences,
  LoggerHook: logger(loaderLength),
  ParamSchedulerHook: paramScheduler,
  CheckpointHook: checkpoint,
  EMAHook: ema,
  DeepClusterHook: () => quietInBlocks,
  ODCHook: () => quietInBlocks,
})

/**
 * Validation every `val_interval` iterations from `val_begin` (blocks are multiples of the interval): the block
 * where `val_begin` falls and the one after it start regimes. Dynamic intervals are not planned in blocks.
 */
export const blockValidationCadence = (loop: Loop.TrainLoop, validates: boolean, block: number): EpochCadence => {
  if (!validates) return { period: 1, nextChange: () => Infinity }
  const begin = Math.floor(Math.max(0, loop.val_begin - 1) / block)
  return {
    period: blocksPeriod(Math.max(1, loop.val_interval), block),
    nextChange: (u) => firstFrom([begin, begin + 1], u),
  }
}

/** The context the block cadences see: `trainLength` is the block, `maxEpochs` the number of blocks. */
export const blockContext = (context: CadenceContext, block: number): CadenceContext => ({
  trainLength: block,
  maxIters: context.maxIters,
  maxEpochs: Math.ceil(context.maxIters / block),
})
