/**
 * The whole config: one codec per top-level key of an MMEngine/MMSelfSup
 * config (spec §14.2), plus the rules that tie keys together (spec §1.2).
 *
 * @example
 * ```ts
 * import { Config } from 'loopwright'
 * const result = Config.decode({ train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 }, param_schedular: [] })
 * // Left: param_schedular: unknown key (did you mean 'param_scheduler'?)
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import * as Data from 'effect/Data'
import {
  boolean,
  expected,
  formatIssue,
  isDict,
  issuesOf,
  json,
  literal,
  nonEmptyString,
  nullable,
  plainDataProblem,
  record,
  string,
} from '../schema/codec.js'
import type { AnyCodec, Codec, Issue, Json } from '../schema/codec.js'
import { closest, editDistance } from '../schema/didYouMean.js'
import * as Registry from '../schema/registry.js'
import type { HookType } from '../hooks/HookType.js'
import { builtInDefaultHooks } from '../dsl/Program.js'
import { component, oneOrList } from './sections/component.js'
import type { Component } from './sections/component.js'
import { dataloader } from './sections/dataloader.js'
import type { DataloaderCfg } from './sections/dataloader.js'
import { customHooks, defaultHooks } from './sections/hooks.js'
import type { HookCfg } from './sections/hooks.js'
import { testCfg, trainCfg, valCfg } from './sections/loops.js'
import type { EvalCfg, TrainCfg } from './sections/loops.js'
import { optimWrapper } from './sections/optimWrapper.js'
import type { OptimWrapperCfg } from './sections/optimWrapper.js'
import { paramScheduler } from './sections/paramScheduler.js'
import type { ParamSchedulerCfg } from './sections/paramScheduler.js'
import * as Runtime from './sections/runtime.js'

/**
 * The registries a config is checked against: the hook types `default_hooks` and `custom_hooks` may name, and the
 * codec of `log_processor` (MMEngine's LOG_PROCESSORS). config/ decodes through these and never imports hook code;
 * the interpreters provide the built-in set (`defaultRegistries`).
 */
export interface Registries {
  readonly hooks: Registry.Registry<HookType<unknown>>
  readonly logProcessor: AnyCodec
  /** The `visualizer` dict: the visualizer types and vis backends loopwright provides. */
  readonly visualizer: AnyCodec
}

/** A decoded config. Known keys are typed; `variables` holds helper variables of code configs (`.py`, `.ts`, `.js`). */
export interface Config {
  readonly default_scope?: string
  readonly model?: Component
  readonly data_preprocessor?: { readonly [key: string]: Json }
  readonly train_dataloader?: DataloaderCfg | null
  readonly val_dataloader?: DataloaderCfg | null
  readonly test_dataloader?: DataloaderCfg | null
  readonly train_cfg?: TrainCfg | null
  readonly val_cfg?: EvalCfg | null
  readonly test_cfg?: EvalCfg | null
  readonly val_evaluator?: Component | ReadonlyArray<Component> | null
  readonly test_evaluator?: Component | ReadonlyArray<Component> | null
  readonly optim_wrapper?: OptimWrapperCfg | null
  readonly param_scheduler?: ParamSchedulerCfg | null
  readonly default_hooks?: { readonly [key: string]: HookCfg | null } | null
  readonly custom_hooks?: ReadonlyArray<HookCfg> | null
  readonly env_cfg?: { readonly [key: string]: Json }
  readonly randomness?: {
    readonly seed?: number | null
    readonly diff_rank_seed?: boolean
    readonly deterministic?: boolean
  }
  readonly log_processor?: { readonly [key: string]: Json }
  readonly load_from?: string | null
  readonly resume?: boolean
  readonly work_dir?: string
  readonly auto_scale_lr?: { readonly base_batch_size: number; readonly enable?: boolean }
  readonly visualizer?: Component | null
  readonly vis_backends?: ReadonlyArray<Component>
  readonly log_level?: string
  readonly launcher?: string
  readonly experiment_name?: string
  readonly non_finite?: 'stop' | 'skip' | 'warn'
  readonly [key: string]: unknown
}

const builtInTypes = new Map(builtInDefaultHooks.map(([key, spec]) => [key, spec.type]))

/** Every top-level key loopwright understands, with its codec. */
export const sections = (registries: Registries): { readonly [key: string]: AnyCodec } => ({
  default_scope: nonEmptyString,
  model: component('a model dict with a `type`'),
  data_preprocessor: record(json, 'a data_preprocessor dict'),
  train_dataloader: nullable(dataloader),
  val_dataloader: nullable(dataloader),
  test_dataloader: nullable(dataloader),
  train_cfg: nullable(trainCfg),
  val_cfg: nullable(valCfg),
  test_cfg: nullable(testCfg),
  val_evaluator: nullable(
    oneOrList(component('an evaluator (metric) dict with a `type`'), 'a metric dict or a list of metric dicts'),
  ),
  test_evaluator: nullable(
    oneOrList(component('an evaluator (metric) dict with a `type`'), 'a metric dict or a list of metric dicts'),
  ),
  optim_wrapper: nullable(optimWrapper),
  param_scheduler: nullable(paramScheduler),
  default_hooks: nullable(defaultHooks(registries.hooks, builtInTypes)),
  custom_hooks: nullable(customHooks(registries.hooks)),
  env_cfg: Runtime.envCfg,
  randomness: Runtime.randomness,
  log_processor: registries.logProcessor,
  load_from: nullable(Runtime.path),
  resume: boolean,
  work_dir: Runtime.path,
  auto_scale_lr: Runtime.autoScaleLr,
  visualizer: nullable(registries.visualizer),
  vis_backends: Runtime.visBackends,
  log_level: Runtime.logLevel,
  launcher: Runtime.launcher,
  experiment_name: nonEmptyString,
  // loopwright's own: what a NaN/Inf loss or gradient does without loss scaling (docs/reliability.md).
  non_finite: literal('stop', 'skip', 'warn'),
  find_unused_parameters: boolean,
  sync_bn: nullable(string),
  model_wrapper_cfg: nullable(component('a model wrapper dict with a `type`')),
  compile: Runtime.compileOption,
  activation_checkpointing: Runtime.stringList,
  efficient_conv_bn_eval: Runtime.stringList,
  runner_type: nonEmptyString,
})

/** A top-level name of a code config this close to a config key is an error, not a variable. */
const variableTolerance = 2

/** Names MMEngine reserves on its Config object; a config may not define them. */
const reserved = ['filename', 'text', 'pretty_text', 'env_variables']

const present = (cfg: { readonly [key: string]: unknown }, key: string): boolean =>
  cfg[key] !== undefined && cfg[key] !== null

/** The cross-key rules of `Runner.__init__` (spec §1.2). */
const crossKeyIssues = (cfg: { readonly [key: string]: unknown }): Issue[] => {
  const issues: Issue[] = []
  const triple = (keys: readonly [string, string, string]) => {
    const set = keys.filter((k) => present(cfg, k))
    if (set.length > 0 && set.length < 3) {
      const missing = keys.filter((k) => !present(cfg, k))
      issues.push({
        path: missing[0]!,
        message:
          `required key missing: ${keys.join(', ')} must be all set or all omitted ` +
          `(${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set)`,
      })
    }
  }
  triple(['train_dataloader', 'train_cfg', 'optim_wrapper'])
  triple(['val_dataloader', 'val_cfg', 'val_evaluator'])
  triple(['test_dataloader', 'test_cfg', 'test_evaluator'])
  if (present(cfg, 'param_scheduler') && !present(cfg, 'optim_wrapper')) {
    issues.push({ path: 'param_scheduler', message: 'param_scheduler needs an optim_wrapper to schedule' })
  }
  const autoScale = cfg['auto_scale_lr']
  if (isDict(autoScale) && autoScale['enable'] === true && !present(cfg, 'train_dataloader')) {
    issues.push({ path: 'auto_scale_lr', message: 'auto_scale_lr needs train_dataloader.batch_size' })
  }
  return issues
}

export interface DecodeOptions {
  /**
   * Accept top-level names that are not config keys as helper variables
   * (code configs: `.py`, `.ts`, `.js`). A name close to a config key is still
   * an error, so a misspelt `param_schedular` never passes silently.
   */
  readonly allowVariables?: boolean
}

/** A config could not be decoded: every problem, each with its path. */
export class ConfigError extends Data.TaggedError('ConfigError')<{
  readonly file: string | undefined
  readonly issues: ReadonlyArray<Issue>
}> {
  override get message(): string {
    const where = this.file === undefined ? '' : `${this.file}: `
    return this.issues.map((issue) => `${where}${formatIssue(issue)}`).join('\n')
  }
}

/** The top-level keys loopwright understands; they do not depend on the registries. */
export const sectionNames: ReadonlySet<string> = new Set(
  Object.keys(sections({ hooks: Registry.make('hook', []), logProcessor: t.unknown, visualizer: t.unknown })),
)

/** The top-level codec for these registries. */
export const codec = (registries: Registries, options: DecodeOptions = {}): Codec<Config> => {
  const known = sections(registries)
  const names = Object.keys(known)
  const validate = (u: unknown, c: t.Context): t.Validation<Config> => {
    if (!isDict(u)) return expected(u, c, 'a config dict')
    const errors: t.ValidationError[] = []
    for (const [key, value] of Object.entries(u)) {
      if (value === undefined) continue
      const context = t.appendContext(c, key, t.unknown, value)
      if (reserved.includes(key)) {
        errors.push({ value, context, message: `'${key}' is reserved by MMEngine's Config and cannot be a config key` })
        continue
      }
      if (key === '_base_') {
        errors.push({
          value,
          context,
          message: '_base_ is resolved when a config file is loaded; load the file with Config.load',
        })
        continue
      }
      const section = Object.hasOwn(known, key) ? known[key] : undefined
      if (section === undefined) {
        const near = closest(key, names)
        // As MMEngine does, a code config's other top-level names are its own variables (data_root, train_pipeline, …);
        // one within edit distance 2 of a config key is taken for a typo of it.
        if (options.allowVariables === true && !names.some((name) => editDistance(key, name) <= variableTolerance))
          continue
        const typoOf = near ?? names.find((name) => editDistance(key, name) <= variableTolerance)
        const hint = typoOf === undefined ? '' : ` (did you mean '${typoOf}'?)`
        errors.push({ value, context, message: `unknown key${hint}` })
        continue
      }
      const r = section.validate(value, context)
      if (r._tag === 'Left') errors.push(...r.left)
    }
    if (errors.length === 0) {
      for (const issue of crossKeyIssues(u))
        errors.push({
          value: u,
          context: issue.path === '' ? c : t.appendContext(c, issue.path, t.unknown, u[issue.path]),
          message: issue.message,
        })
    }
    return errors.length > 0 ? t.failures(errors) : t.success(u as Config)
  }
  return new t.Type<Config, Config, unknown>(
    'a config',
    (u): u is Config => validate(u, [])._tag === 'Right',
    validate,
    t.identity,
  )
}

/** Decode a plain config object. */
export const decode = (
  input: unknown,
  registries: Registries,
  options: DecodeOptions & { readonly file?: string } = {},
): E.Either<ConfigError, Config> => {
  // The codecs recurse: a cyclic or absurdly deep value is refused before they see it.
  const problem = plainDataProblem(input)
  if (problem !== undefined) return E.left(new ConfigError({ file: options.file, issues: [problem] }))
  const result = codec(registries, options).decode(input)
  return result._tag === 'Right'
    ? E.right(result.right)
    : E.left(new ConfigError({ file: options.file, issues: issuesOf(result.left) }))
}

/** The top-level names of a code config that are helper variables, not config keys. */
export const variablesOf = (config: Config, registries: Registries): ReadonlyArray<string> => {
  const known = sections(registries)
  return Object.keys(config).filter((k) => !Object.hasOwn(known, k))
}
