/**
 * Bad input everywhere gets a one-line, path-precise error and a non-zero
 * exit, never an uncaught exception (docs/reliability.md, "Bad input").
 *
 * Each property below generates invalid configs of one category — wrong types
 * at every level, unknown keys, out-of-range numbers, unknown registry names,
 * broken files, `_base_` chains, `--cfg-options` — and checks that the result
 * is a value (ConfigError, DryRunError, TrainError), that every issue is one
 * line, and that an issue sits at the path that was broken. A sample goes
 * through the CLI (`main(['dry-run', file])`), which must exit non-zero
 * without a stack trace. The last block checks that checkpoints and data
 * configs are data: loading them runs nothing and pollutes no prototype, and
 * a broken checkpoint given to `--resume` is an error naming the file.
 *
 * Seeds are fixed: the suite is deterministic.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { createHash } from 'node:crypto'
import { Effect } from 'effect'
import fc from 'fast-check'
import * as YAML from 'yaml'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli/main.js'
import * as Config from '../../src/config/index.js'
import { load } from '../../src/config/load.js'
import { editDistance } from '../../src/config/didYouMean.js'
import * as Registry from '../../src/config/registry.js'
import type { Issue } from '../../src/config/codec.js'
import { defaultDatasetTypes } from '../../src/data/registry.js'
import { defaultMetricTypes } from '../../src/evaluation/registry.js'
import { dryRun } from '../../src/interpreters/dryRun.js'
import { train } from '../../src/interpreters/train.js'
import type { TrainOptions } from '../../src/interpreters/train.js'
import { defaultModelTypes } from '../../src/models/registry.js'
import { optimizerTypes } from '../../src/optim/optimizers/registry.js'
import { schedulerTypes } from '../../src/optim/schedulers/catalogue.js'
import * as Safetensors from '../../src/tensor/safetensors.js'
import { useCpu } from '../../src/tensor/cpu.js'
import { levels } from '../../src/dsl/Priority.js'
import { baseConfig as tinyRunConfig, datasets as tinyDatasets, programOf, run as tinyRun } from '../unit/interpreters/tensor/support.js'
import { invalid, misspelling, runnableConfig, unknownTypeName, validConfig } from './configArbitraries.js'

type Dict = { [key: string]: unknown }
type Key = string | number

// ---------------------------------------------------------------------------
// Bookkeeping: how many invalid configs each category generated.

const tally = new Map<string, number>()
const count = (category: string): void => void tally.set(category, (tally.get(category) ?? 0) + 1)

let dir = ''
let fileCounter = 0
const tempFile = (name: string, text: string | Uint8Array): string => {
  const file = nodePath.join(dir, name)
  fs.mkdirSync(nodePath.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}
const fresh = (prefix: string): string => `${prefix}${fileCounter++}`

beforeAll(async () => {
  await useCpu()
  dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-fuzz-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

// ---------------------------------------------------------------------------
// Paths, and what a good report looks like.

const pathText = (keys: ReadonlyArray<Key>): string => keys.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc === '' ? k : `${acc}.${k}`), '')

/** Set `value` at `keys`, creating dicts on the way. */
const setAt = (cfg: Dict, keys: ReadonlyArray<Key>, value: unknown): void => {
  let d = cfg as { [k: string]: unknown }
  for (const k of keys.slice(0, -1)) {
    const next = d[k as string]
    if (typeof next !== 'object' || next === null) d[k as string] = {}
    d = d[k as string] as { [k: string]: unknown }
  }
  d[keys.at(-1) as string] = value
}
const getAt = (cfg: Dict, keys: ReadonlyArray<Key>): unknown => keys.reduce<unknown>((d, k) => (typeof d === 'object' && d !== null ? (d as { [k: string]: unknown })[k as string] : undefined), cfg)

interface Failure {
  readonly stage: 'decode' | 'dry' | 'train'
  readonly issues: ReadonlyArray<Issue>
  readonly message: string
}

/** Every issue is one line, and so is every line of the rendered message; nothing looks like a stack frame. */
const expectOneLiners = (failure: Failure): void => {
  expect(failure.issues.length).toBeGreaterThan(0)
  for (const issue of failure.issues) {
    expect(issue.message).not.toContain('\n')
    expect(issue.message.trim()).not.toBe('')
  }
  expect(failure.message).not.toMatch(/\n\s+at /)
  for (const line of failure.message.split('\n')) expect(line.trim()).not.toBe('')
}

/** An issue at `path` exactly, or (with `under`) at a path inside it. */
const expectIssueAt = (failure: Failure, path: string, under = false): Issue => {
  expectOneLiners(failure)
  const paths = failure.issues.map((i) => i.path)
  const found = failure.issues.find((i) => i.path === path || (under && (i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`))))
  if (found === undefined) throw new Error(`expected an issue at ${path}, got ${JSON.stringify(paths)}: ${failure.message}`)
  expect(failure.message).toContain(path)
  return found
}

const jsonCopy = <A>(a: A): A => JSON.parse(JSON.stringify(a)) as A

/** Decode, then (stage 'dry') dry-run, or (stage 'train') train: the first failure, or undefined when all accept. */
const diagnose = async (cfg: Dict, stage: Failure['stage'], options: Partial<TrainOptions> = {}): Promise<Failure | undefined> => {
  const decoded = Config.decode(cfg)
  if (decoded._tag === 'Left') return { stage: 'decode', issues: decoded.left.issues, message: decoded.left.message }
  if (stage === 'decode') return undefined
  const program = Config.toProgram(decoded.right)
  if (stage === 'dry') {
    const planned = await Effect.runPromise(Effect.result(dryRun(program, { datasetSizes: { train: 4, val: 4 } })))
    return planned._tag === 'Failure' ? { stage: 'dry', issues: planned.failure.issues, message: planned.failure.message } : undefined
  }
  const trained = await Effect.runPromise(Effect.result(train(program, { print: () => {}, writeCheckpoints: false, workDir: nodePath.join(dir, 'runs'), timestamp: 'fuzz', ...options })))
  return trained._tag === 'Failure' ? { stage: 'train', issues: trained.failure.issues, message: trained.failure.message } : undefined
}

const rejected = async (cfg: Dict, stage: Failure['stage'], options: Partial<TrainOptions> = {}): Promise<Failure> => {
  const failure = await diagnose(jsonCopy(cfg), stage, options)
  if (failure === undefined) throw new Error(`expected the config to be rejected (${stage}): ${JSON.stringify(cfg).slice(0, 400)}`)
  return failure
}

/** `unknown key (did you mean 'x'?)` where x is a known key no farther from the slip than the original. */
const expectDidYouMean = (issue: Issue, slip: string, original: string, known: ReadonlyArray<string>): void => {
  const m = /unknown key \(did you mean '([^']+)'\?\)/.exec(issue.message)
  if (m === null) throw new Error(`expected a did-you-mean for '${slip}' (from '${original}'), got: ${issue.message}`)
  expect(known).toContain(m[1])
  expect(editDistance(slip, m[1]!)).toBeLessThanOrEqual(editDistance(slip, original))
}

// ---------------------------------------------------------------------------
// Mutations of the decoded sections (validConfig: MMEngine/MMSelfSup configs).

interface Slot {
  readonly category: 'wrong type' | 'out of range' | 'registry type'
  /** Where the bad value goes (may depend on the config); `prepare` makes the place exist. */
  readonly at: (cfg: Dict) => ReadonlyArray<Key>
  readonly prepare?: (cfg: Dict) => void
  readonly bad: fc.Arbitrary<unknown>
  /** The issue may sit under the path (list elements of a bad list). */
  readonly under?: boolean
}

const fixed = (keys: ReadonlyArray<Key>) => () => keys
const ensureHook = (key: string, type: string) => (cfg: Dict) => {
  const hooks = (cfg['default_hooks'] ??= {}) as Dict
  const entry = hooks[key]
  if (typeof entry !== 'object' || entry === null || (entry as Dict)['type'] !== type) hooks[key] = { type }
}
const pushHook = (hook: Dict) => (cfg: Dict) => void (cfg['custom_hooks'] = [...((cfg['custom_hooks'] as Dict[] | undefined) ?? []), hook])
const lastHook = (cfg: Dict): number => (cfg['custom_hooks'] as Dict[]).length - 1
const normClip = (cfg: Dict) => void ((cfg['optim_wrapper'] as Dict)['clip_grad'] = { max_norm: 1 })
const ensureScheduler = (cfg: Dict) => {
  const list = cfg['param_scheduler']
  if (!Array.isArray(list) || list.length === 0) cfg['param_scheduler'] = [{ type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 10 }]
}
const priorityNames = Object.keys(levels)
const badPriority = fc.oneof(
  fc.integer({ min: 101, max: 1e6 }),
  fc.integer({ min: -1e6, max: -1 }),
  fc.double({ min: 0.01, max: 99.99, noNaN: true }).filter((x) => !Number.isInteger(x)),
  fc.string({ maxLength: 8 }).filter((s) => !priorityNames.includes(s.toUpperCase())),
  fc.boolean(),
)
const badSeed = fc.oneof(fc.integer({ min: -1e6, max: -1 }), fc.integer({ min: 2 ** 32, max: 2 ** 40 }), invalid.int)

const slots: ReadonlyArray<Slot> = [
  { category: 'wrong type', at: fixed(['train_dataloader']), bad: invalid.dict },
  { category: 'out of range', at: fixed(['train_dataloader', 'batch_size']), bad: invalid.positiveInt },
  { category: 'out of range', at: fixed(['train_dataloader', 'num_workers']), bad: invalid.nonNegativeInt },
  { category: 'wrong type', at: fixed(['train_dataloader', 'drop_last']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['train_dataloader', 'persistent_workers']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['train_dataloader', 'sampler']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['train_dataloader', 'sampler', 'shuffle']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['train_dataloader', 'sampler', 'seed']), bad: invalid.int },
  { category: 'registry type', at: fixed(['train_dataloader', 'sampler', 'type']), bad: fc.oneof(unknownTypeName(['DefaultSampler', 'InfiniteSampler']), fc.integer(), fc.boolean()) },
  { category: 'wrong type', at: fixed(['train_dataloader', 'dataset']), bad: fc.oneof(fc.constant(''), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })) },
  { category: 'wrong type', at: fixed(['train_dataloader', 'dataset', 'type']), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['train_dataloader', 'num_batch_per_epoch']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['train_cfg']), bad: invalid.dict },
  { category: 'out of range', at: (c) => ['train_cfg', 'max_iters' in (c['train_cfg'] as Dict) ? 'max_iters' : 'max_epochs'], bad: invalid.positiveInt },
  { category: 'out of range', at: fixed(['train_cfg', 'val_interval']), bad: invalid.positiveInt },
  { category: 'out of range', at: fixed(['train_cfg', 'val_begin']), bad: invalid.nonNegativeInt },
  { category: 'wrong type', at: fixed(['optim_wrapper']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'optimizer']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'optimizer', 'type']), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['optim_wrapper', 'accumulative_counts']), bad: invalid.positiveInt },
  { category: 'out of range', at: fixed(['optim_wrapper', 'clip_grad', 'max_norm']), prepare: normClip, bad: invalid.positiveNumber },
  { category: 'out of range', at: fixed(['optim_wrapper', 'clip_grad', 'norm_type']), prepare: normClip, bad: invalid.positiveNumber.filter((v) => v !== 'inf') },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'clip_grad', 'error_if_nonfinite']), prepare: normClip, bad: invalid.boolean },
  { category: 'out of range', at: fixed(['optim_wrapper', 'clip_grad', 'clip_value']), prepare: (c) => void ((c['optim_wrapper'] as Dict)['clip_grad'] = { type: 'value', clip_value: 1 }), bad: invalid.positiveNumber },
  { category: 'out of range', at: fixed(['optim_wrapper', 'paramwise_cfg', 'bias_decay_mult']), bad: invalid.nonNegativeNumber },
  { category: 'out of range', at: fixed(['optim_wrapper', 'paramwise_cfg', 'layer_decay_rate']), bad: invalid.positiveNumber },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'paramwise_cfg', 'bypass_duplicate']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'paramwise_cfg', 'custom_keys']), bad: invalid.dict },
  { category: 'out of range', at: fixed(['default_hooks', 'logger', 'interval']), prepare: ensureHook('logger', 'LoggerHook'), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['default_hooks', 'logger', 'ignore_last']), prepare: ensureHook('logger', 'LoggerHook'), bad: invalid.boolean },
  { category: 'out of range', at: fixed(['default_hooks', 'logger', 'priority']), prepare: ensureHook('logger', 'LoggerHook'), bad: badPriority },
  { category: 'wrong type', at: fixed(['default_hooks', 'checkpoint', 'interval']), prepare: ensureHook('checkpoint', 'CheckpointHook'), bad: invalid.int },
  { category: 'wrong type', at: fixed(['default_hooks', 'checkpoint', 'by_epoch']), prepare: ensureHook('checkpoint', 'CheckpointHook'), bad: invalid.boolean },
  { category: 'out of range', at: fixed(['default_hooks', 'checkpoint', 'save_begin']), prepare: ensureHook('checkpoint', 'CheckpointHook'), bad: invalid.nonNegativeInt },
  { category: 'registry type', at: fixed(['default_hooks', 'checkpoint', 'type']), prepare: ensureHook('checkpoint', 'CheckpointHook'), bad: unknownTypeName(Registry.names(Config.defaultRegistries.hooks), [...Config.defaultRegistries.hooks.notProvided.keys()]) },
  { category: 'wrong type', at: fixed(['custom_hooks']), bad: invalid.list },
  { category: 'registry type', at: (c) => ['custom_hooks', lastHook(c), 'type'], prepare: pushHook({ type: 'LoggerHook' }), bad: unknownTypeName(Registry.names(Config.defaultRegistries.hooks), [...Config.defaultRegistries.hooks.notProvided.keys()]) },
  { category: 'out of range', at: (c) => ['custom_hooks', lastHook(c), 'priority'], prepare: pushHook({ type: 'LoggerHook' }), bad: badPriority },
  { category: 'out of range', at: (c) => ['custom_hooks', lastHook(c), 'interval'], prepare: pushHook({ type: 'LoggerHook' }), bad: invalid.positiveInt },
  { category: 'out of range', at: (c) => ['custom_hooks', lastHook(c), 'momentum'], prepare: pushHook({ type: 'EMAHook' }), bad: invalid.openUnit },
  { category: 'out of range', at: (c) => ['custom_hooks', lastHook(c), 'patience'], prepare: pushHook({ type: 'EarlyStoppingHook', monitor: 'loss' }), bad: invalid.nonNegativeInt },
  { category: 'wrong type', at: (c) => ['custom_hooks', lastHook(c), 'monitor'], prepare: pushHook({ type: 'EarlyStoppingHook', monitor: 'loss' }), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['randomness', 'seed']), bad: badSeed },
  { category: 'wrong type', at: fixed(['randomness', 'deterministic']), bad: invalid.boolean },
  { category: 'out of range', at: fixed(['log_processor', 'window_size']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['log_processor', 'by_epoch']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['work_dir']), bad: invalid.nonEmptyString },
  { category: 'wrong type', at: fixed(['resume']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['load_from']), bad: invalid.nonEmptyString },
  { category: 'wrong type', at: fixed(['log_level']), bad: invalid.oneOf('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL') },
  { category: 'wrong type', at: fixed(['launcher']), bad: invalid.oneOf('none', 'pytorch', 'slurm', 'mpi') },
  { category: 'wrong type', at: fixed(['non_finite']), bad: invalid.oneOf('stop', 'skip', 'warn') },
  { category: 'wrong type', at: fixed(['default_scope']), bad: invalid.nonEmptyString },
  { category: 'wrong type', at: fixed(['experiment_name']), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['auto_scale_lr', 'base_batch_size']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['auto_scale_lr', 'enable']), prepare: (c) => void (c['auto_scale_lr'] = { base_batch_size: 256 }), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['env_cfg', 'cudnn_benchmark']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['env_cfg', 'mp_cfg', 'mp_start_method']), bad: invalid.oneOf('fork', 'spawn', 'forkserver') },
  { category: 'out of range', at: fixed(['env_cfg', 'resource_limit']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['val_cfg', 'fp16']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['model']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['model', 'type']), bad: invalid.nonEmptyString },
  { category: 'wrong type', at: fixed(['val_evaluator']), bad: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()) },
  { category: 'wrong type', at: fixed(['vis_backends']), bad: invalid.list },
  { category: 'wrong type', at: fixed(['data_preprocessor']), bad: invalid.dict },
  { category: 'out of range', at: fixed(['param_scheduler', 0, 'begin']), prepare: ensureScheduler, bad: invalid.nonNegativeInt },
  { category: 'out of range', at: fixed(['param_scheduler', 0, 'end']), prepare: ensureScheduler, bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['param_scheduler', 0, 'by_epoch']), prepare: ensureScheduler, bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['param_scheduler', 0, 'type']), prepare: ensureScheduler, bad: invalid.nonEmptyString },
]

/** A valid config with one slot broken: the config and the path of the broken key. */
const brokenConfig: fc.Arbitrary<{ readonly cfg: Dict; readonly path: string; readonly slot: Slot }> = fc
  .tuple(validConfig, fc.constantFrom(...slots))
  .chain(([valid, slot]) =>
    slot.bad.map((bad) => {
      const cfg = structuredClone(valid)
      slot.prepare?.(cfg)
      const keys = slot.at(cfg)
      setAt(cfg, keys, bad)
      return { cfg, path: pathText(keys), slot }
    }),
  )

// ---------------------------------------------------------------------------
// Strict dicts of the decoded sections, and the keys each one knows.

const topLevelKeys = Object.keys(Config.sections(Config.defaultRegistries))
const dataloaderKeys = ['batch_size', 'dataset', 'num_workers', 'persistent_workers', 'pin_memory', 'drop_last', 'sampler', 'batch_sampler', 'collate_fn', 'num_batch_per_epoch', 'prefetch_factor', 'worker_init_fn']
const loggerKeys = ['interval', 'ignore_last', 'interval_exp_name', 'out_dir', 'out_suffix', 'keep_local', 'file_client_args', 'log_metric_by_epoch', 'backend_args']
const checkpointKeys = ['interval', 'by_epoch', 'save_optimizer', 'save_param_scheduler', 'out_dir', 'max_keep_ckpts', 'save_last', 'save_best', 'rule', 'greater_keys', 'less_keys', 'file_client_args', 'filename_tmpl', 'backend_args', 'published_keys', 'save_begin']
const strictDicts: ReadonlyArray<{ readonly keys: ReadonlyArray<Key>; readonly known: ReadonlyArray<string>; readonly skip?: ReadonlyArray<string> }> = [
  { keys: [], known: topLevelKeys },
  { keys: ['train_dataloader'], known: dataloaderKeys },
  { keys: ['train_dataloader', 'sampler'], known: ['type', 'shuffle', 'seed', 'round_up'] },
  { keys: ['train_cfg'], known: ['type', 'by_epoch', 'max_epochs', 'max_iters', 'val_begin', 'val_interval', 'dynamic_intervals'] },
  { keys: ['optim_wrapper'], known: ['type', 'optimizer', 'paramwise_cfg', 'constructor', 'accumulative_counts', 'clip_grad', 'loss_scale', 'dtype', 'use_fsdp'] },
  { keys: ['optim_wrapper', 'clip_grad'], known: ['type', 'max_norm', 'norm_type', 'error_if_nonfinite', 'foreach', 'clip_value'] },
  { keys: ['optim_wrapper', 'paramwise_cfg'], known: ['custom_keys', 'bias_lr_mult', 'bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult', 'flat_decay_mult', 'dcn_offset_lr_mult', 'bypass_duplicate', 'layer_decay_rate'] },
  { keys: ['default_hooks', 'logger'], known: loggerKeys, skip: ['type', 'priority'] },
  { keys: ['default_hooks', 'checkpoint'], known: checkpointKeys, skip: ['type', 'priority'] },
  { keys: ['randomness'], known: ['seed', 'diff_rank_seed', 'deterministic'] },
  { keys: ['log_processor'], known: ['window_size', 'by_epoch', 'custom_cfg', 'num_digits', 'log_with_hierarchy', 'mean_pattern'] },
  { keys: ['auto_scale_lr'], known: ['base_batch_size', 'enable'] },
]

/** A valid config with a misspelt key added to one of its strict dicts. */
const misspeltKey: fc.Arbitrary<{ readonly cfg: Dict; readonly path: string; readonly slip: string; readonly original: string; readonly known: ReadonlyArray<string> }> = fc
  .tuple(validConfig, fc.constantFrom(...strictDicts))
  .chain(([valid, target]) => {
    const dict = getAt(valid, target.keys)
    const present = typeof dict === 'object' && dict !== null && !Array.isArray(dict) ? Object.keys(dict).filter((k) => !(target.skip ?? []).includes(k)) : []
    // An absent or empty dict: misspell one of its known keys instead.
    const names = present.length > 0 ? present : target.known.filter((k) => !(target.skip ?? []).includes(k))
    const known = [...new Set([...target.known, ...present])]
    return fc.constantFrom(...names).chain((original) =>
      misspelling(original, [...known, ...(target.keys.length === 0 ? ['_base_', 'filename', 'text', 'pretty_text', 'env_variables'] : [])]).map((slip) => {
        const cfg = structuredClone(valid)
        if (target.keys.length > 0 && typeof getAt(cfg, target.keys) !== 'object') setAt(cfg, target.keys, target.keys.join('.') === 'optim_wrapper.clip_grad' ? { max_norm: 1 } : {})
        const holder = target.keys.length === 0 ? cfg : (getAt(cfg, target.keys) as Dict)
        if (target.keys.join('.') === 'auto_scale_lr') holder['base_batch_size'] ??= 256
        if (target.keys.join('.') === 'default_hooks.logger') holder['type'] ??= 'LoggerHook'
        if (target.keys.join('.') === 'default_hooks.checkpoint') holder['type'] ??= 'CheckpointHook'
        holder[slip] = holder[original] ?? 1
        return { cfg, path: pathText([...target.keys, slip]), slip, original, known }
      }),
    )
  })

// ---------------------------------------------------------------------------
// Run-level checks: what the optimizer layer (dry run) and the tensor
// interpreter (train) check when they build the run.

interface RunSlot {
  readonly category: 'wrong type' | 'out of range' | 'registry type' | 'unknown key'
  readonly stage: 'dry' | 'train'
  /** Whether in-memory datasets replace the configured ones (not for dataset mutations). */
  readonly inMemory?: boolean
  readonly mutate: (cfg: Dict) => fc.Arbitrary<{ readonly keys: ReadonlyArray<Key>; readonly value: unknown; readonly slip?: { readonly original: string; readonly known: ReadonlyArray<string> } }>
  readonly under?: boolean
  /** What the message must say (besides the path). */
  readonly says?: RegExp
}

const optimizerNames = Registry.names(optimizerTypes)
const optimizerNotProvided = [...optimizerTypes.notProvided.keys()]
const argNames = (type: string): ReadonlyArray<string> => ['type', 'lr', ...Object.keys(optimizerTypes.entries.get(type)!.args)]
const scheduler0 = (cfg: Dict): Dict => (cfg['param_scheduler'] as Dict[])[0]!
const constant = <A>(keys: ReadonlyArray<Key>, bad: fc.Arbitrary<A>) => (): fc.Arbitrary<{ keys: ReadonlyArray<Key>; value: unknown }> => bad.map((value) => ({ keys, value }))
const schedulerArg = (type: string, arg: string, bad: fc.Arbitrary<unknown>) => (cfg: Dict) =>
  scheduler0(cfg)['type'] === type ? bad.map((value) => ({ keys: ['param_scheduler', 0, arg] as ReadonlyArray<Key>, value })) : bad.map((value) => ({ keys: ['optim_wrapper', 'optimizer', 'lr'] as ReadonlyArray<Key>, value: typeof value === 'number' ? -1 - Math.abs(value) : String(value) }))
const misspeltArg = (keys: ReadonlyArray<Key>, known: (cfg: Dict) => ReadonlyArray<string>, skip: ReadonlyArray<string> = ['type']) => (cfg: Dict) => {
  const holder = getAt(cfg, keys) as Dict
  const names = Object.keys(holder).filter((k) => !skip.includes(k))
  const all = [...new Set([...known(cfg), ...Object.keys(holder)])]
  return fc.constantFrom(...names).chain((original) => misspelling(original, all).map((slip) => ({ keys: [...keys, slip], value: holder[original], slip: { original, known: all } })))
}

const runSlots: ReadonlyArray<RunSlot> = [
  // The optimizer layer, reached by the dry run.
  { category: 'registry type', stage: 'dry', mutate: constant(['optim_wrapper', 'optimizer', 'type'], fc.oneof(unknownTypeName(optimizerNames, optimizerNotProvided), fc.constantFrom(...optimizerNotProvided))), says: /(unknown optimizer type|not available in loopwright yet)/ },
  { category: 'out of range', stage: 'dry', mutate: constant(['optim_wrapper', 'optimizer', 'lr'], invalid.nonNegativeNumber) },
  { category: 'out of range', stage: 'dry', mutate: constant(['optim_wrapper', 'optimizer', 'weight_decay'], invalid.nonNegativeNumber) },
  {
    category: 'out of range',
    stage: 'dry',
    mutate: (cfg) => ((cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] === 'SGD' ? constant(['optim_wrapper', 'optimizer', 'momentum'], invalid.nonNegativeNumber)() : constant(['optim_wrapper', 'optimizer', 'betas'], invalid.betas)()),
  },
  { category: 'out of range', stage: 'dry', mutate: (cfg) => constant(['optim_wrapper', 'optimizer', (cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] === 'SGD' ? 'dampening' : 'eps'], (cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] === 'SGD' ? invalid.number : invalid.nonNegativeNumber)() },
  { category: 'unknown key', stage: 'dry', mutate: misspeltArg(['optim_wrapper', 'optimizer'], (cfg) => argNames((cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] as string)) },
  { category: 'registry type', stage: 'dry', mutate: constant(['param_scheduler', 0, 'type'], unknownTypeName(schedulerTypes)), says: /unknown scheduler type/ },
  { category: 'out of range', stage: 'dry', mutate: schedulerArg('LinearLR', 'start_factor', invalid.unitInterval) },
  { category: 'out of range', stage: 'dry', mutate: schedulerArg('LinearLR', 'end_factor', invalid.unitInterval) },
  { category: 'out of range', stage: 'dry', mutate: schedulerArg('CosineAnnealingLR', 'T_max', invalid.positiveInt) },
  { category: 'wrong type', stage: 'dry', mutate: schedulerArg('CosineAnnealingLR', 'eta_min', invalid.number) },
  { category: 'out of range', stage: 'dry', mutate: schedulerArg('StepLR', 'step_size', invalid.positiveInt) },
  { category: 'wrong type', stage: 'dry', mutate: schedulerArg('StepLR', 'gamma', invalid.number) },
  { category: 'unknown key', stage: 'dry', mutate: misspeltArg(['param_scheduler', 0], () => ['type', 'by_epoch', 'begin', 'end', 'last_step', 'verbose', 'convert_to_iter_based', 'param_name', 'start_factor', 'end_factor', 'T_max', 'eta_min', 'eta_min_ratio', 'step_size', 'gamma', 'milestones', 'factor', 'power', 'total_steps'], ['type', 'by_epoch', 'begin', 'end']) },
  { category: 'registry type', stage: 'dry', mutate: constant(['optim_wrapper', 'type'], fc.stringMatching(/^[A-Z][a-z]{2,8}(Optim)?Wrapper$/).filter((s) => s !== 'OptimWrapper' && s !== 'AmpOptimWrapper')) },
  { category: 'registry type', stage: 'dry', mutate: constant(['optim_wrapper', 'constructor'], unknownTypeName(['DefaultOptimWrapperConstructor', 'LearningRateDecayOptimWrapperConstructor', 'LayerDecayOptimWrapperConstructor'])), says: /unknown optimizer wrapper constructor/ },
  // The tensor interpreter: model, datasets, metrics and the data preprocessor are built by train().
  { category: 'registry type', stage: 'train', inMemory: true, mutate: constant(['model', 'type'], unknownTypeName(Registry.names(defaultModelTypes))), says: /unknown model type/ },
  { category: 'out of range', stage: 'train', inMemory: true, mutate: (cfg) => fc.constantFrom('in_features', 'hidden', 'out_features').chain((k) => invalid.positiveInt.map((value) => ({ keys: ['model', k] as ReadonlyArray<Key>, value }))) },
  { category: 'unknown key', stage: 'train', inMemory: true, mutate: misspeltArg(['model'], () => ['type', 'in_features', 'hidden', 'out_features', 'data_preprocessor']) },
  { category: 'registry type', stage: 'train', mutate: constant(['train_dataloader', 'dataset', 'type'], fc.oneof(unknownTypeName(Registry.names(defaultDatasetTypes), [...defaultDatasetTypes.notProvided.keys()]), fc.constantFrom(...defaultDatasetTypes.notProvided.keys()))), says: /(unknown dataset type|not available in loopwright yet)/ },
  { category: 'wrong type', stage: 'train', mutate: constant(['train_dataloader', 'dataset', 'task'], invalid.oneOf('class', 'values')) },
  { category: 'out of range', stage: 'train', mutate: constant(['train_dataloader', 'dataset', 'num_classes'], invalid.positiveInt) },
  { category: 'unknown key', stage: 'train', mutate: misspeltArg(['train_dataloader', 'dataset'], () => ['type', 'x', 'y', 'task', 'num_classes']) },
  { category: 'wrong type', stage: 'train', mutate: constant(['val_dataloader', 'dataset', 'type'], fc.constantFrom('MNIST', 'mmpretrain.MNIST')).bind(null) as never },
  { category: 'registry type', stage: 'train', inMemory: true, mutate: constant(['val_evaluator', 'type'], unknownTypeName(Registry.names(defaultMetricTypes))), says: /unknown metric type/ },
  { category: 'unknown key', stage: 'train', inMemory: true, mutate: constant(['val_evaluator', 'topk'], fc.integer({ min: 1, max: 5 })) },
  { category: 'wrong type', stage: 'train', inMemory: true, under: true, mutate: constant(['data_preprocessor', 'mean'], fc.oneof(invalid.list, fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 2 }))) },
  { category: 'out of range', stage: 'train', inMemory: true, under: true, mutate: constant(['data_preprocessor', 'std'], fc.array(fc.double({ min: -10, max: 0, noNaN: true }), { minLength: 1, maxLength: 1 })) },
]

const brokenRun = fc.tuple(runnableConfig, fc.constantFrom(...runSlots.filter((s) => s.mutate.length <= 1 && !String(s.mutate).includes('bind')))).chain(([valid, slot]) =>
  slot.mutate(valid).map(({ keys, value, slip }) => {
    const cfg = structuredClone(valid)
    setAt(cfg, keys, value)
    if (keys[0] === 'data_preprocessor') setAt(cfg, [keys[0], keys[1] === 'mean' ? 'std' : 'mean'], [1])
    return { cfg, path: pathText(keys), slot, slip }
  }),
)

// ---------------------------------------------------------------------------

describe('bad configs are values with one-line, path-precise issues', () => {
  it('a wrong type or an out-of-range value anywhere in a decoded section (700 configs)', () => {
    fc.assert(
      fc.property(brokenConfig, ({ cfg, path, slot }) => {
        const decoded = Config.decode(cfg)
        if (decoded._tag === 'Right') throw new Error(`accepted ${path} = ${JSON.stringify(getAt(cfg, path.split('.')))}`)
        expectIssueAt({ stage: 'decode', issues: decoded.left.issues, message: decoded.left.message }, path, slot.under)
        count(slot.category)
      }),
      { numRuns: 700, seed: 20261127 },
    )
  })

  it('an unknown key in any strict dict, with a did-you-mean (400 configs)', () => {
    fc.assert(
      fc.property(misspeltKey, ({ cfg, path, slip, original, known }) => {
        const decoded = Config.decode(cfg)
        if (decoded._tag === 'Right') throw new Error(`accepted the misspelt key ${path}`)
        const issue = expectIssueAt({ stage: 'decode', issues: decoded.left.issues, message: decoded.left.message }, path)
        expectDidYouMean(issue, slip, original, known)
        count('unknown key')
      }),
      { numRuns: 400, seed: 1127 },
    )
  })

  it('reserved names and _base_ in a decoded dict are errors at that key (40 configs)', () => {
    fc.assert(
      fc.property(validConfig, fc.constantFrom('filename', 'text', 'pretty_text', 'env_variables', '_base_'), fc.jsonValue({ maxDepth: 1 }), (valid, key, value) => {
        fc.pre(value !== null)
        const decoded = Config.decode({ ...valid, [key]: value })
        if (decoded._tag === 'Right') throw new Error(`accepted ${key}`)
        expectIssueAt({ stage: 'decode', issues: decoded.left.issues, message: decoded.left.message }, key)
        count('unknown key')
      }),
      { numRuns: 40, seed: 7 },
    )
  })

  it('optimizer, scheduler, wrapper, constructor, model, dataset and metric mistakes are found when the run is built (300 configs)', async () => {
    await fc.assert(
      fc.asyncProperty(brokenRun, async ({ cfg, path, slot, slip }) => {
        const failure = await rejected(cfg, slot.stage, slot.inMemory === true ? { datasets: tinyDatasets } : {})
        const issue = expectIssueAt(failure, path, slot.under)
        if (slot.says !== undefined) expect(issue.message).toMatch(slot.says)
        if (slip !== undefined) expectDidYouMean(issue, path.slice(path.lastIndexOf('.') + 1), slip.original, slip.known)
        if (slot.category === 'unknown key') expect(issue.message).toMatch(/^unknown key/)
        count(slot.category)
      }),
      { numRuns: 300, seed: 42 },
    )
  })
})
