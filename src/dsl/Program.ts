/**
 * `Program`: the pure description of a training run.
 *
 * A program says which loops run, which hooks are registered (in
 * registration order, default hooks first), and carries the component
 * configs (model, data, optimizer wrapper, schedulers, evaluators) as
 * validated config dicts that the interpreters give meaning to. It is plain
 * data: it can be printed, compared and serialised.
 *
 * Build one with the pipeable combinators below, or decode one from an
 * MMEngine-style config with `Config.toProgram`; both routes give equal
 * programs for equal settings.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { Loop, Priority, Program } from 'loopwright'
 * const program = pipe(
 *   Program.empty,
 *   Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 })),
 *   Program.withDefaultHooks({ logger: { type: 'LoggerHook', args: { interval: 1 } }, timer: null }),
 *   Program.withCustomHook({ type: 'EMAHook', args: { momentum: 0.001 }, priority: Priority.HIGH }),
 * )
 * ```
 * @module
 */
import type { TestLoop, TrainLoop, ValLoop } from './Loop.js'
import type { Json } from './MessageHub.js'
import type { PriorityInput } from './Priority.js'

/** A component config: a registry `type` plus its keyword arguments, as in MMEngine's `dict(type=..., ...)`. */
export interface ComponentConfig {
  readonly type: string
  readonly [key: string]: Json
}

/** A hook as configured: its type, an explicit priority (else the type's default) and its constructor arguments. */
export interface HookSpec {
  readonly type: string
  /** `Priority.LOW`, `'LOW'` or `70`; decoded when the hook is built (a bad value is an error naming the hook). */
  readonly priority?: PriorityInput | undefined
  readonly args: { readonly [key: string]: Json }
}

/** A registered hook: where it came from and its unique key in the run. */
export interface HookDecl {
  /** `default_hooks` key (`'logger'`) or `custom_hooks[i]`. */
  readonly key: string
  readonly source: 'default' | 'custom'
  readonly spec: HookSpec
}

/** Schedulers for one optimizer wrapper, or per named wrapper of an `OptimWrapperDict`. */
export type ParamSchedulers =
  | ReadonlyArray<ComponentConfig>
  | { readonly [wrapper: string]: ReadonlyArray<ComponentConfig> }

/** A data loader config (`*_dataloader`), validated by the config layer. */
export type DataloaderConfig = { readonly [key: string]: Json }

/** MMEngine's `randomness` (spec §1.10). `seed: null` means "draw one". */
export interface Randomness {
  readonly seed: number | null
  readonly diff_rank_seed: boolean
  readonly deterministic: boolean
}

export interface Program {
  readonly trainLoop: TrainLoop | undefined
  readonly valLoop: ValLoop | undefined
  readonly testLoop: TestLoop | undefined
  /** Registered hooks in registration order: the default hooks, then the custom hooks. */
  readonly hooks: ReadonlyArray<HookDecl>
  readonly model: ComponentConfig | undefined
  readonly trainDataloader: DataloaderConfig | undefined
  readonly valDataloader: DataloaderConfig | undefined
  readonly testDataloader: DataloaderConfig | undefined
  readonly valEvaluator: Json | undefined
  readonly testEvaluator: Json | undefined
  /** The `optim_wrapper` section (its meaning belongs to the optimizer layer). */
  readonly optimWrapper: { readonly [key: string]: Json } | undefined
  /**
   * The `param_scheduler` section as a list (a single dict becomes a
   * one-element list), or lists per wrapper of an `OptimWrapperDict`.
   */
  readonly paramSchedulers: ParamSchedulers
  readonly randomness: Randomness
  readonly loadFrom: string | undefined
  readonly resume: boolean
  readonly workDir: string | undefined
  /**
   * Everything else that configures the run's environment, kept as given: `log_processor`, `env_cfg`, `visualizer`, …
   */
  readonly settings: { readonly [key: string]: Json }
}

/** The runner's built-in `default_hooks`, in MMEngine's order (spec §2.4). */
export const builtInDefaultHooks: ReadonlyArray<readonly [key: string, spec: HookSpec]> = [
  ['runtime_info', { type: 'RuntimeInfoHook', args: {} }],
  ['timer', { type: 'IterTimerHook', args: {} }],
  ['sampler_seed', { type: 'DistSamplerSeedHook', args: {} }],
  ['logger', { type: 'LoggerHook', args: {} }],
  ['param_scheduler', { type: 'ParamSchedulerHook', args: {} }],
  ['checkpoint', { type: 'CheckpointHook', args: { interval: 1 } }],
]

/** A program with nothing configured but the runner's six default hooks. */
export const empty: Program = {
  trainLoop: undefined,
  valLoop: undefined,
  testLoop: undefined,
  hooks: builtInDefaultHooks.map(([key, spec]) => ({ key, source: 'default', spec })),
  model: undefined,
  trainDataloader: undefined,
  valDataloader: undefined,
  testDataloader: undefined,
  valEvaluator: undefined,
  testEvaluator: undefined,
  optimWrapper: undefined,
  paramSchedulers: [],
  randomness: { seed: null, diff_rank_seed: false, deterministic: false },
  loadFrom: undefined,
  resume: false,
  workDir: undefined,
  settings: {},
}

/** The training loop and its data loader. */
export const withTrainLoop =
  (loop: TrainLoop, dataloader?: DataloaderConfig) =>
  (program: Program): Program => ({
    ...program,
    trainLoop: loop,
    trainDataloader: dataloader ?? program.trainDataloader,
  })

/** The validation loop, its data loader and evaluator. */
export const withValLoop =
  (loop: ValLoop, dataloader?: DataloaderConfig, evaluator?: Json) =>
  (program: Program): Program => ({
    ...program,
    valLoop: loop,
    valDataloader: dataloader ?? program.valDataloader,
    valEvaluator: evaluator ?? program.valEvaluator,
  })

/** The test loop, its data loader and evaluator. */
export const withTestLoop =
  (loop: TestLoop, dataloader?: DataloaderConfig, evaluator?: Json) =>
  (program: Program): Program => ({
    ...program,
    testLoop: loop,
    testDataloader: dataloader ?? program.testDataloader,
    testEvaluator: evaluator ?? program.testEvaluator,
  })

/**
 * Merge `default_hooks` overrides into the registered default hooks, per key,
 * as the runner does (spec §2.4): `null` removes a hook, a spec replaces the
 * entry in its position, and new keys are appended. Custom hooks keep their
 * place after all default hooks.
 */
export const withDefaultHooks =
  (overrides: { readonly [key: string]: HookSpec | null }) =>
  (program: Program): Program => {
    const defaults = program.hooks.filter((h) => h.source === 'default')
    const customs = program.hooks.filter((h) => h.source === 'custom')
    const merged: HookDecl[] = []
    for (const decl of defaults) {
      if (!(decl.key in overrides)) merged.push(decl)
      else {
        const override = overrides[decl.key]
        if (override !== null && override !== undefined) merged.push({ ...decl, spec: override })
      }
    }
    const known = new Set(defaults.map((d) => d.key))
    for (const [key, spec] of Object.entries(overrides)) {
      if (!known.has(key) && spec !== null) merged.push({ key, source: 'default', spec })
    }
    return { ...program, hooks: [...merged, ...customs] }
  }

/** Register a custom hook after every hook registered so far. */
export const withCustomHook =
  (spec: HookSpec) =>
  (program: Program): Program => {
    const index = program.hooks.filter((h) => h.source === 'custom').length
    return { ...program, hooks: [...program.hooks, { key: `custom_hooks[${index}]`, source: 'custom', spec }] }
  }

/** The model config. */
export const withModel =
  (model: ComponentConfig) =>
  (program: Program): Program => ({ ...program, model })

/** The `optim_wrapper` section. */
export const withOptimWrapper =
  (optimWrapper: { readonly [key: string]: Json }) =>
  (program: Program): Program => ({ ...program, optimWrapper })

/** The `param_scheduler` list (replaces any earlier list). */
export const withParamSchedulers =
  (schedulers: ParamSchedulers) =>
  (program: Program): Program => ({ ...program, paramSchedulers: schedulers })

/** The `randomness` section; unspecified fields keep their values. */
export const withRandomness =
  (randomness: Partial<Randomness>) =>
  (program: Program): Program => ({ ...program, randomness: { ...program.randomness, ...randomness } })

/** `load_from`, `resume` (MMEngine's decision table, spec §3.6.5). */
export const withCheckpointLoading =
  (options: { readonly loadFrom?: string | undefined; readonly resume?: boolean }) =>
  (program: Program): Program => ({
    ...program,
    loadFrom: options.loadFrom ?? program.loadFrom,
    resume: options.resume ?? program.resume,
  })

/** The work directory for checkpoints and logs. */
export const withWorkDir =
  (workDir: string) =>
  (program: Program): Program => ({ ...program, workDir })

/** One environment setting (`log_processor`, `env_cfg`, `visualizer`, `log_level`, …). */
export const withSetting =
  (key: string, value: Json) =>
  (program: Program): Program => ({ ...program, settings: { ...program.settings, [key]: value } })

/** Does this program load a checkpoint before training (`after_load_checkpoint` fires)? */
export const loadsCheckpoint = (program: Program): boolean => program.loadFrom !== undefined
