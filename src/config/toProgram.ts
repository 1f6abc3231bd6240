/**
 * From a decoded config to a `Program`, using the same combinators as the
 * TypeScript API, so both routes give equal programs for equal settings.
 * @module
 */
import { pipe } from 'fp-ts/lib/function.js'
import * as Loop from '../dsl/Loop.js'
import * as P from '../dsl/Priority.js'
import * as Program from '../dsl/Program.js'
import type { ComponentConfig, HookSpec, ParamSchedulers } from '../dsl/Program.js'
import type { Json } from '../schema/codec.js'
import { sectionNames } from './Config.js'
import type { Config } from './Config.js'
import type { HookCfg } from './sections/hooks.js'
import { isEpochBased } from './sections/loops.js'
import type { TrainCfg } from './sections/loops.js'

/** Keys that become dedicated `Program` fields; every other key is kept in `settings`. */
const structural = new Set([
  'model',
  'train_dataloader',
  'val_dataloader',
  'test_dataloader',
  'train_cfg',
  'val_cfg',
  'test_cfg',
  'val_evaluator',
  'test_evaluator',
  'optim_wrapper',
  'param_scheduler',
  'default_hooks',
  'custom_hooks',
  'randomness',
  'load_from',
  'resume',
  'work_dir',
])

const trainLoopOf = (cfg: TrainCfg): Loop.TrainLoop => {
  const options = {
    ...(cfg.val_begin === undefined ? {} : { val_begin: cfg.val_begin }),
    ...(cfg.val_interval === undefined ? {} : { val_interval: cfg.val_interval }),
    ...(cfg.dynamic_intervals === undefined ? {} : { dynamic_intervals: cfg.dynamic_intervals }),
  }
  return isEpochBased(cfg)
    ? Loop.EpochBasedTrainLoop({ max_epochs: cfg.max_epochs, ...options })
    : Loop.IterBasedTrainLoop({ max_iters: (cfg as { max_iters: number }).max_iters, ...options })
}

/** A hook dict as a spec; a type-less `default_hooks` entry adjusts the built-in default of its key. */
export const hookSpecOf = (cfg: HookCfg, builtIn?: HookSpec): HookSpec => {
  const { type, priority, ...rest } = cfg
  const args = Object.fromEntries(Object.entries(rest).filter((e): e is [string, Json] => e[1] !== undefined))
  const parsed = priority === undefined ? undefined : P.parse(priority)
  const explicit = parsed?._tag === 'Right' ? parsed.right : undefined
  if (type === undefined && builtIn !== undefined) {
    const priority = explicit ?? builtIn.priority
    return { type: builtIn.type, args: { ...builtIn.args, ...args }, ...(priority === undefined ? {} : { priority }) }
  }
  return { type: type!, args, ...(explicit === undefined ? {} : { priority: explicit }) }
}

const schedulersOf = (cfg: Config['param_scheduler']): ParamSchedulers => {
  if (cfg === undefined || cfg === null) return []
  if (Array.isArray(cfg)) return cfg as ReadonlyArray<ComponentConfig>
  if (typeof (cfg as { type?: unknown }).type === 'string') return [cfg as ComponentConfig]
  return Object.fromEntries(
    Object.entries(cfg as { readonly [k: string]: ComponentConfig | ReadonlyArray<ComponentConfig> }).map(([k, v]) => [
      k,
      Array.isArray(v) ? v : [v as ComponentConfig],
    ]),
  )
}

const orUndefined = <A>(value: A | null | undefined): A | undefined => (value === null ? undefined : value)

/** The program a decoded config describes. */
export const toProgram = (config: Config): Program.Program => {
  const builtIn = new Map(Program.builtInDefaultHooks)
  const overrides = Object.fromEntries(
    Object.entries(config.default_hooks ?? {}).map(([key, value]) => [
      key,
      value === null ? null : hookSpecOf(value, value.type === undefined ? builtIn.get(key) : undefined),
    ]),
  )
  let program = pipe(
    Program.empty,
    Program.withDefaultHooks(overrides),
    (p) => (config.custom_hooks ?? []).reduce((acc, hook) => Program.withCustomHook(hookSpecOf(hook))(acc), p),
    Program.withParamSchedulers(schedulersOf(config.param_scheduler)),
    Program.withRandomness({
      ...(config.randomness?.seed === undefined ? {} : { seed: config.randomness.seed }),
      ...(config.randomness?.diff_rank_seed === undefined ? {} : { diff_rank_seed: config.randomness.diff_rank_seed }),
      ...(config.randomness?.deterministic === undefined ? {} : { deterministic: config.randomness.deterministic }),
    }),
    Program.withCheckpointLoading({
      loadFrom: orUndefined(config.load_from),
      ...(config.resume === undefined ? {} : { resume: config.resume }),
    }),
  )
  if (config.train_cfg != null)
    program = Program.withTrainLoop(
      trainLoopOf(config.train_cfg),
      orUndefined(config.train_dataloader) as Program.DataloaderConfig | undefined,
    )(program)
  if (config.val_cfg != null)
    program = Program.withValLoop(
      Loop.ValLoop(config.val_cfg.fp16 === undefined ? {} : { fp16: config.val_cfg.fp16 }),
      orUndefined(config.val_dataloader) as Program.DataloaderConfig | undefined,
      orUndefined(config.val_evaluator) as Json | undefined,
    )(program)
  if (config.test_cfg != null)
    program = Program.withTestLoop(
      Loop.TestLoop(config.test_cfg.fp16 === undefined ? {} : { fp16: config.test_cfg.fp16 }),
      orUndefined(config.test_dataloader) as Program.DataloaderConfig | undefined,
      orUndefined(config.test_evaluator) as Json | undefined,
    )(program)
  if (config.model !== undefined) program = Program.withModel(config.model)(program)
  if (config.optim_wrapper != null)
    program = Program.withOptimWrapper(config.optim_wrapper as { readonly [k: string]: Json })(program)
  if (config.work_dir !== undefined) program = Program.withWorkDir(config.work_dir)(program)
  for (const [key, value] of Object.entries(config)) {
    // Helper variables of code configs are not settings of the run.
    if (!structural.has(key) && sectionNames.has(key) && value !== undefined)
      program = Program.withSetting(key, value as Json)(program)
  }
  return program
}
