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
import { Effect } from 'effect'
import fc from 'fast-check'
import * as YAML from 'yaml'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli/main.js'
import * as Config from '../../src/config/index.js'
import { load } from '../../src/config/load.js'
import { editDistance } from '../../src/schema/didYouMean.js'
import * as Registry from '../../src/schema/registry.js'
import type { Issue } from '../../src/schema/codec.js'
import { defaultDatasetTypes } from '../../src/data/registry.js'
import { defaultMetricTypes } from '../../src/evaluation/registry.js'
import { dryRun } from '../../src/interpreters/dry/dryRun.js'
import { train } from '../../src/interpreters/tensor/train.js'
import type { TrainOptions } from '../../src/interpreters/tensor/train.js'
import { defaultModelTypes } from '../../src/models/registry.js'
import { optimizerTypes } from '../../src/optim/optimizers/registry.js'
import { schedulerTypes } from '../../src/optim/schedulers/catalogue.js'
import { checksumOf } from '../../src/interpreters/tensor/checkpoint.js'
import * as Safetensors from '../../src/tensor/safetensors.js'
import { useCpu } from '../../src/tensor/cpu.js'
import { levels } from '../../src/dsl/Priority.js'
import {
  baseConfig as tinyRunConfig,
  datasets as tinyDatasets,
  programOf,
  run as tinyRun,
} from '../unit/interpreters/tensor/support.js'
import { invalid, misspelling, runnableConfig, unknownTypeName, validConfig } from './configArbitraries.js'
import { defaultRegistries } from '../../src/interpreters/registries.js'

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

const pathText = (keys: ReadonlyArray<Key>): string =>
  keys.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc === '' ? k : `${acc}.${k}`), '')

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
const getAt = (cfg: Dict, keys: ReadonlyArray<Key>): unknown =>
  keys.reduce<unknown>(
    (d, k) => (typeof d === 'object' && d !== null ? (d as { [k: string]: unknown })[k as string] : undefined),
    cfg,
  )

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
  const found = failure.issues.find(
    (i) => i.path === path || (under && (i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`))),
  )
  if (found === undefined)
    throw new Error(`expected an issue at ${path}, got ${JSON.stringify(paths)}: ${failure.message}`)
  expect(failure.message).toContain(path)
  return found
}

const jsonCopy = <A>(a: A): A => JSON.parse(JSON.stringify(a)) as A

/** Decode, then (stage 'dry') dry-run, or (stage 'train') train: the first failure, or undefined when all accept. */
const diagnose = async (
  cfg: Dict,
  stage: Failure['stage'],
  options: Partial<TrainOptions> = {},
): Promise<Failure | undefined> => {
  const decoded = Config.decode(cfg, defaultRegistries)
  if (decoded._tag === 'Left') return { stage: 'decode', issues: decoded.left.issues, message: decoded.left.message }
  if (stage === 'decode') return undefined
  const program = Config.toProgram(decoded.right)
  if (stage === 'dry') {
    const planned = await Effect.runPromise(Effect.result(dryRun(program, { datasetSizes: { train: 4, val: 4 } })))
    return planned._tag === 'Failure'
      ? { stage: 'dry', issues: planned.failure.issues, message: planned.failure.message }
      : undefined
  }
  const trained = await Effect.runPromise(
    Effect.result(
      train(program, {
        print: () => {},
        writeCheckpoints: false,
        workDir: nodePath.join(dir, 'runs'),
        timestamp: 'fuzz',
        ...options,
      }),
    ),
  )
  return trained._tag === 'Failure'
    ? { stage: 'train', issues: trained.failure.issues, message: trained.failure.message }
    : undefined
}

const rejected = async (cfg: Dict, stage: Failure['stage'], options: Partial<TrainOptions> = {}): Promise<Failure> => {
  const failure = await diagnose(jsonCopy(cfg), stage, options)
  if (failure === undefined)
    throw new Error(`expected the config to be rejected (${stage}): ${JSON.stringify(cfg).slice(0, 400)}`)
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
  cfg['default_hooks'] ??= {}
  const hooks = cfg['default_hooks'] as Dict
  const entry = hooks[key]
  if (typeof entry !== 'object' || entry === null || (entry as Dict)['type'] !== type) hooks[key] = { type }
}
const pushHook = (hook: Dict) => (cfg: Dict) => {
  cfg['custom_hooks'] = [...((cfg['custom_hooks'] as Dict[] | undefined) ?? []), hook]
}
const lastHook = (cfg: Dict): number => (cfg['custom_hooks'] as Dict[]).length - 1
const ensureSampler = (cfg: Dict) => {
  const loader = cfg['train_dataloader'] as Dict
  if (typeof loader['sampler'] !== 'object' || loader['sampler'] === null)
    loader['sampler'] = { type: 'DefaultSampler' }
}
const normClip = (cfg: Dict) => {
  ;(cfg['optim_wrapper'] as Dict)['clip_grad'] = { max_norm: 1 }
}
const ensureScheduler = (cfg: Dict) => {
  const list = cfg['param_scheduler']
  if (!Array.isArray(list) || list.length === 0)
    cfg['param_scheduler'] = [{ type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 10 }]
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
  {
    category: 'wrong type',
    at: fixed(['train_dataloader', 'sampler', 'shuffle']),
    bad: invalid.boolean,
    prepare: ensureSampler,
  },
  {
    category: 'wrong type',
    at: fixed(['train_dataloader', 'sampler', 'seed']),
    bad: invalid.int,
    prepare: ensureSampler,
  },
  {
    category: 'registry type',
    at: fixed(['train_dataloader', 'sampler', 'type']),
    bad: fc.oneof(unknownTypeName(['DefaultSampler', 'InfiniteSampler']), fc.integer(), fc.boolean()),
  },
  {
    category: 'wrong type',
    at: fixed(['train_dataloader', 'dataset']),
    bad: fc.oneof(fc.constant(''), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })),
  },
  { category: 'wrong type', at: fixed(['train_dataloader', 'dataset', 'type']), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['train_dataloader', 'num_batch_per_epoch']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['train_cfg']), bad: invalid.dict },
  {
    category: 'out of range',
    at: (c) => ['train_cfg', 'max_iters' in (c['train_cfg'] as Dict) ? 'max_iters' : 'max_epochs'],
    bad: invalid.positiveInt,
  },
  { category: 'out of range', at: fixed(['train_cfg', 'val_interval']), bad: invalid.positiveInt },
  { category: 'out of range', at: fixed(['train_cfg', 'val_begin']), bad: invalid.nonNegativeInt },
  { category: 'wrong type', at: fixed(['optim_wrapper']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'optimizer']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'optimizer', 'type']), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['optim_wrapper', 'accumulative_counts']), bad: invalid.positiveInt },
  {
    category: 'out of range',
    at: fixed(['optim_wrapper', 'clip_grad', 'max_norm']),
    prepare: normClip,
    bad: invalid.positiveNumber,
  },
  {
    category: 'out of range',
    at: fixed(['optim_wrapper', 'clip_grad', 'norm_type']),
    prepare: normClip,
    bad: invalid.positiveNumber.filter((v) => v !== 'inf'),
  },
  {
    category: 'wrong type',
    at: fixed(['optim_wrapper', 'clip_grad', 'error_if_nonfinite']),
    prepare: normClip,
    bad: invalid.boolean,
  },
  {
    category: 'out of range',
    at: fixed(['optim_wrapper', 'clip_grad', 'clip_value']),
    prepare: (c) => {
      ;(c['optim_wrapper'] as Dict)['clip_grad'] = { type: 'value', clip_value: 1 }
    },
    bad: invalid.positiveNumber,
  },
  {
    category: 'out of range',
    at: fixed(['optim_wrapper', 'paramwise_cfg', 'bias_decay_mult']),
    bad: invalid.nonNegativeNumber,
  },
  {
    category: 'out of range',
    at: fixed(['optim_wrapper', 'paramwise_cfg', 'layer_decay_rate']),
    bad: invalid.positiveNumber,
  },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'paramwise_cfg', 'bypass_duplicate']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['optim_wrapper', 'paramwise_cfg', 'custom_keys']), bad: invalid.dict },
  {
    category: 'out of range',
    at: fixed(['default_hooks', 'logger', 'interval']),
    prepare: ensureHook('logger', 'LoggerHook'),
    bad: invalid.positiveInt,
  },
  {
    category: 'wrong type',
    at: fixed(['default_hooks', 'logger', 'ignore_last']),
    prepare: ensureHook('logger', 'LoggerHook'),
    bad: invalid.boolean,
  },
  {
    category: 'out of range',
    at: fixed(['default_hooks', 'logger', 'priority']),
    prepare: ensureHook('logger', 'LoggerHook'),
    bad: badPriority,
  },
  {
    category: 'wrong type',
    at: fixed(['default_hooks', 'checkpoint', 'interval']),
    prepare: ensureHook('checkpoint', 'CheckpointHook'),
    bad: invalid.int,
  },
  {
    category: 'wrong type',
    at: fixed(['default_hooks', 'checkpoint', 'by_epoch']),
    prepare: ensureHook('checkpoint', 'CheckpointHook'),
    bad: invalid.boolean,
  },
  {
    category: 'out of range',
    at: fixed(['default_hooks', 'checkpoint', 'save_begin']),
    prepare: ensureHook('checkpoint', 'CheckpointHook'),
    bad: invalid.nonNegativeInt,
  },
  {
    category: 'registry type',
    at: fixed(['default_hooks', 'checkpoint', 'type']),
    prepare: ensureHook('checkpoint', 'CheckpointHook'),
    bad: unknownTypeName(Registry.names(defaultRegistries.hooks), [...defaultRegistries.hooks.notProvided.keys()]),
  },
  { category: 'wrong type', at: fixed(['custom_hooks']), bad: invalid.list },
  {
    category: 'registry type',
    at: (c) => ['custom_hooks', lastHook(c), 'type'],
    prepare: pushHook({ type: 'LoggerHook' }),
    bad: unknownTypeName(Registry.names(defaultRegistries.hooks), [...defaultRegistries.hooks.notProvided.keys()]),
  },
  {
    category: 'out of range',
    at: (c) => ['custom_hooks', lastHook(c), 'priority'],
    prepare: pushHook({ type: 'LoggerHook' }),
    bad: badPriority,
  },
  {
    category: 'out of range',
    at: (c) => ['custom_hooks', lastHook(c), 'interval'],
    prepare: pushHook({ type: 'LoggerHook' }),
    bad: invalid.positiveInt,
  },
  {
    category: 'out of range',
    at: (c) => ['custom_hooks', lastHook(c), 'momentum'],
    prepare: pushHook({ type: 'EMAHook' }),
    bad: invalid.openUnit,
  },
  {
    category: 'out of range',
    at: (c) => ['custom_hooks', lastHook(c), 'patience'],
    prepare: pushHook({ type: 'EarlyStoppingHook', monitor: 'loss' }),
    bad: invalid.nonNegativeInt,
  },
  {
    category: 'wrong type',
    at: (c) => ['custom_hooks', lastHook(c), 'monitor'],
    prepare: pushHook({ type: 'EarlyStoppingHook', monitor: 'loss' }),
    bad: invalid.nonEmptyString,
  },
  { category: 'out of range', at: fixed(['randomness', 'seed']), bad: badSeed },
  { category: 'wrong type', at: fixed(['randomness', 'deterministic']), bad: invalid.boolean },
  { category: 'out of range', at: fixed(['log_processor', 'window_size']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['log_processor', 'by_epoch']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['work_dir']), bad: invalid.nonEmptyString },
  { category: 'wrong type', at: fixed(['resume']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['load_from']), bad: invalid.nonEmptyString },
  {
    category: 'wrong type',
    at: fixed(['log_level']),
    bad: invalid.oneOf('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'),
  },
  { category: 'wrong type', at: fixed(['launcher']), bad: invalid.oneOf('none', 'pytorch', 'slurm', 'mpi') },
  { category: 'wrong type', at: fixed(['non_finite']), bad: invalid.oneOf('stop', 'skip', 'warn') },
  { category: 'wrong type', at: fixed(['default_scope']), bad: invalid.nonEmptyString },
  { category: 'wrong type', at: fixed(['experiment_name']), bad: invalid.nonEmptyString },
  { category: 'out of range', at: fixed(['auto_scale_lr', 'base_batch_size']), bad: invalid.positiveInt },
  {
    category: 'wrong type',
    at: fixed(['auto_scale_lr', 'enable']),
    prepare: (c) => {
      c['auto_scale_lr'] = { base_batch_size: 256 }
    },
    bad: invalid.boolean,
  },
  { category: 'wrong type', at: fixed(['env_cfg', 'cudnn_benchmark']), bad: invalid.boolean },
  {
    category: 'wrong type',
    at: fixed(['env_cfg', 'mp_cfg', 'mp_start_method']),
    bad: invalid.oneOf('fork', 'spawn', 'forkserver'),
  },
  { category: 'out of range', at: fixed(['env_cfg', 'resource_limit']), bad: invalid.positiveInt },
  { category: 'wrong type', at: fixed(['val_cfg', 'fp16']), bad: invalid.boolean },
  { category: 'wrong type', at: fixed(['model']), bad: invalid.dict },
  { category: 'wrong type', at: fixed(['model', 'type']), bad: invalid.nonEmptyString },
  {
    category: 'wrong type',
    at: fixed(['val_evaluator']),
    bad: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()),
  },
  { category: 'wrong type', at: fixed(['vis_backends']), bad: invalid.list },
  { category: 'wrong type', at: fixed(['data_preprocessor']), bad: invalid.dict },
  {
    category: 'out of range',
    at: fixed(['param_scheduler', 0, 'begin']),
    prepare: ensureScheduler,
    bad: invalid.nonNegativeInt,
  },
  {
    category: 'out of range',
    at: fixed(['param_scheduler', 0, 'end']),
    prepare: ensureScheduler,
    bad: invalid.positiveInt,
  },
  {
    category: 'wrong type',
    at: fixed(['param_scheduler', 0, 'by_epoch']),
    prepare: ensureScheduler,
    bad: invalid.boolean,
  },
  {
    category: 'wrong type',
    at: fixed(['param_scheduler', 0, 'type']),
    prepare: ensureScheduler,
    bad: invalid.nonEmptyString,
  },
]

/** A valid config with one slot broken: the config and the path of the broken key. */
const brokenConfig: fc.Arbitrary<{ readonly cfg: Dict; readonly path: string; readonly slot: number }> = fc
  .tuple(validConfig, fc.nat({ max: slots.length - 1 }))
  .chain(([valid, index]) => {
    const slot = slots[index]!
    return slot.bad.map((bad) => {
      const cfg = structuredClone(valid)
      slot.prepare?.(cfg)
      const keys = slot.at(cfg)
      setAt(cfg, keys, bad)
      return { cfg, path: pathText(keys), slot: index }
    })
  })

// ---------------------------------------------------------------------------
// Strict dicts of the decoded sections, and the keys each one knows.

const topLevelKeys = Object.keys(Config.sections(defaultRegistries))
const dataloaderKeys = [
  'batch_size',
  'dataset',
  'num_workers',
  'persistent_workers',
  'pin_memory',
  'drop_last',
  'sampler',
  'batch_sampler',
  'collate_fn',
  'num_batch_per_epoch',
  'prefetch_factor',
  'worker_init_fn',
]
const loggerKeys = [
  'interval',
  'ignore_last',
  'interval_exp_name',
  'out_dir',
  'out_suffix',
  'keep_local',
  'file_client_args',
  'log_metric_by_epoch',
  'backend_args',
]
const checkpointKeys = [
  'interval',
  'by_epoch',
  'save_optimizer',
  'save_param_scheduler',
  'out_dir',
  'max_keep_ckpts',
  'save_last',
  'save_best',
  'rule',
  'greater_keys',
  'less_keys',
  'file_client_args',
  'filename_tmpl',
  'backend_args',
  'published_keys',
  'save_begin',
]
const strictDicts: ReadonlyArray<{
  readonly keys: ReadonlyArray<Key>
  readonly known: ReadonlyArray<string>
  readonly skip?: ReadonlyArray<string>
}> = [
  { keys: [], known: topLevelKeys },
  { keys: ['train_dataloader'], known: dataloaderKeys },
  { keys: ['train_dataloader', 'sampler'], known: ['type', 'shuffle', 'seed', 'round_up'] },
  {
    keys: ['train_cfg'],
    known: ['type', 'by_epoch', 'max_epochs', 'max_iters', 'val_begin', 'val_interval', 'dynamic_intervals'],
  },
  {
    keys: ['optim_wrapper'],
    known: [
      'type',
      'optimizer',
      'paramwise_cfg',
      'constructor',
      'accumulative_counts',
      'clip_grad',
      'loss_scale',
      'dtype',
      'use_fsdp',
    ],
  },
  {
    keys: ['optim_wrapper', 'clip_grad'],
    known: ['type', 'max_norm', 'norm_type', 'error_if_nonfinite', 'foreach', 'clip_value'],
  },
  {
    keys: ['optim_wrapper', 'paramwise_cfg'],
    known: [
      'custom_keys',
      'bias_lr_mult',
      'bias_decay_mult',
      'norm_decay_mult',
      'dwconv_decay_mult',
      'flat_decay_mult',
      'dcn_offset_lr_mult',
      'bypass_duplicate',
      'layer_decay_rate',
    ],
  },
  { keys: ['default_hooks', 'logger'], known: loggerKeys, skip: ['type', 'priority'] },
  { keys: ['default_hooks', 'checkpoint'], known: checkpointKeys, skip: ['type', 'priority'] },
  { keys: ['randomness'], known: ['seed', 'diff_rank_seed', 'deterministic'] },
  {
    keys: ['log_processor'],
    known: ['window_size', 'by_epoch', 'custom_cfg', 'num_digits', 'log_with_hierarchy', 'mean_pattern'],
  },
  { keys: ['auto_scale_lr'], known: ['base_batch_size', 'enable'] },
]

/** Defaults for strict dicts a generated config may lack. */
const defaultDict = (keys: ReadonlyArray<Key>): Dict =>
  ({
    'optim_wrapper.clip_grad': { max_norm: 1 },
    'train_dataloader.sampler': { type: 'DefaultSampler' },
    auto_scale_lr: { base_batch_size: 256 },
    'default_hooks.logger': { type: 'LoggerHook' },
    'default_hooks.checkpoint': { type: 'CheckpointHook' },
  })[keys.join('.')] ?? {}

/** A valid config with a misspelt key added to one of its strict dicts. */
const misspeltKey: fc.Arbitrary<{
  readonly cfg: Dict
  readonly path: string
  readonly slip: string
  readonly original: string
  readonly known: ReadonlyArray<string>
}> = fc.tuple(validConfig, fc.constantFrom(...strictDicts)).chain(([valid, target]) => {
  const base = structuredClone(valid)
  const existing = getAt(base, target.keys)
  if (target.keys.length > 0 && (typeof existing !== 'object' || existing === null || Array.isArray(existing)))
    setAt(base, target.keys, defaultDict(target.keys))
  const holder = (target.keys.length === 0 ? base : getAt(base, target.keys)) as Dict
  const present = Object.keys(holder).filter((k) => !(target.skip ?? []).includes(k))
  // An empty dict: misspell one of the keys it could hold.
  const names = present.length > 0 ? present : target.known.filter((k) => !(target.skip ?? []).includes(k))
  const known = [...new Set([...target.known, ...Object.keys(holder)])]
  const taken = [
    ...known,
    ...(target.keys.length === 0 ? ['_base_', 'filename', 'text', 'pretty_text', 'env_variables'] : []),
  ]
  return fc.constantFrom(...names).chain((original) =>
    misspelling(original, taken).map((slip) => {
      const cfg = structuredClone(base)
      const dict = (target.keys.length === 0 ? cfg : getAt(cfg, target.keys)) as Dict
      dict[slip] = dict[original] ?? 1
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
  readonly prepare?: (cfg: Dict) => void
  readonly mutate: (cfg: Dict) => fc.Arbitrary<{
    readonly keys: ReadonlyArray<Key>
    readonly value: unknown
    readonly slip?: { readonly original: string; readonly known: ReadonlyArray<string> }
  }>
  readonly under?: boolean
  /** What the message must say (besides the path). */
  readonly says?: RegExp
}

const optimizerNames = Registry.names(optimizerTypes)
const optimizerNotProvided = [...optimizerTypes.notProvided.keys()]
const argNames = (type: string): ReadonlyArray<string> => [
  'type',
  'lr',
  ...Object.keys(optimizerTypes.entries.get(type)!.args),
]
const constant =
  <A>(keys: ReadonlyArray<Key>, bad: fc.Arbitrary<A>) =>
  (): fc.Arbitrary<{ keys: ReadonlyArray<Key>; value: unknown }> =>
    bad.map((value) => ({ keys, value }))
const schedulers: { readonly [type: string]: Dict } = {
  LinearLR: { type: 'LinearLR', start_factor: 0.1, end_factor: 1, by_epoch: false, begin: 0, end: 2 },
  CosineAnnealingLR: { type: 'CosineAnnealingLR', T_max: 2, eta_min: 0, by_epoch: false, begin: 0, end: 2 },
  StepLR: { type: 'StepLR', step_size: 1, gamma: 0.5, by_epoch: false },
}
/** A scheduler of `type` first in the list, with `arg` broken. */
const schedulerArg = (type: string, arg: string, bad: fc.Arbitrary<unknown>): Pick<RunSlot, 'prepare' | 'mutate'> => ({
  prepare: (cfg) => {
    cfg['param_scheduler'] = [{ ...schedulers[type] }]
  },
  mutate: constant(['param_scheduler', 0, arg], bad),
})
const misspeltArg =
  (keys: ReadonlyArray<Key>, known: (cfg: Dict) => ReadonlyArray<string>, skip: ReadonlyArray<string> = ['type']) =>
  (cfg: Dict) => {
    const holder = getAt(cfg, keys) as Dict
    const names = Object.keys(holder).filter((k) => !skip.includes(k))
    const all = [...new Set([...known(cfg), ...Object.keys(holder)])]
    return fc.constantFrom(...names).chain((original) =>
      misspelling(original, all).map((slip) => ({
        keys: [...keys, slip],
        value: holder[original],
        slip: { original, known: all },
      })),
    )
  }

const runSlots: ReadonlyArray<RunSlot> = [
  // The optimizer layer, reached by the dry run.
  {
    category: 'registry type',
    stage: 'dry',
    mutate: constant(
      ['optim_wrapper', 'optimizer', 'type'],
      fc.oneof(unknownTypeName(optimizerNames, optimizerNotProvided), fc.constantFrom(...optimizerNotProvided)),
    ),
    says: /(unknown optimizer type|not available in loopwright yet)/,
  },
  {
    category: 'out of range',
    stage: 'dry',
    mutate: constant(['optim_wrapper', 'optimizer', 'lr'], invalid.nonNegativeNumber),
  },
  {
    category: 'out of range',
    stage: 'dry',
    mutate: constant(['optim_wrapper', 'optimizer', 'weight_decay'], invalid.nonNegativeNumber),
  },
  {
    category: 'out of range',
    stage: 'dry',
    mutate: (cfg) =>
      (cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] === 'SGD'
        ? constant(['optim_wrapper', 'optimizer', 'momentum'], invalid.nonNegativeNumber)()
        : constant(['optim_wrapper', 'optimizer', 'betas'], invalid.betas)(),
  },
  {
    category: 'out of range',
    stage: 'dry',
    mutate: (cfg) =>
      constant(
        [
          'optim_wrapper',
          'optimizer',
          (cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] === 'SGD' ? 'dampening' : 'eps',
        ],
        (cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] === 'SGD'
          ? invalid.number
          : invalid.nonNegativeNumber,
      )(),
  },
  {
    category: 'unknown key',
    stage: 'dry',
    mutate: misspeltArg(['optim_wrapper', 'optimizer'], (cfg) =>
      argNames((cfg['optim_wrapper'] as { optimizer: Dict }).optimizer['type'] as string),
    ),
  },
  {
    category: 'registry type',
    stage: 'dry',
    mutate: constant(['param_scheduler', 0, 'type'], unknownTypeName(schedulerTypes)),
    says: /unknown scheduler type/,
  },
  { category: 'out of range', stage: 'dry', ...schedulerArg('LinearLR', 'start_factor', invalid.unitInterval) },
  { category: 'out of range', stage: 'dry', ...schedulerArg('LinearLR', 'end_factor', invalid.unitInterval) },
  { category: 'out of range', stage: 'dry', ...schedulerArg('CosineAnnealingLR', 'T_max', invalid.positiveInt) },
  { category: 'wrong type', stage: 'dry', ...schedulerArg('CosineAnnealingLR', 'eta_min', invalid.number) },
  { category: 'out of range', stage: 'dry', ...schedulerArg('StepLR', 'step_size', invalid.positiveInt) },
  { category: 'wrong type', stage: 'dry', ...schedulerArg('StepLR', 'gamma', invalid.number) },
  {
    category: 'unknown key',
    stage: 'dry',
    mutate: misspeltArg(
      ['param_scheduler', 0],
      () => [
        'type',
        'by_epoch',
        'begin',
        'end',
        'last_step',
        'verbose',
        'convert_to_iter_based',
        'param_name',
        'start_factor',
        'end_factor',
        'T_max',
        'eta_min',
        'eta_min_ratio',
        'step_size',
        'gamma',
        'milestones',
        'factor',
        'power',
        'total_steps',
      ],
      ['type', 'by_epoch', 'begin', 'end'],
    ),
  },
  {
    category: 'registry type',
    stage: 'dry',
    mutate: constant(
      ['optim_wrapper', 'type'],
      fc
        .stringMatching(/^[A-Z][a-z]{2,8}(Optim)?Wrapper$/)
        .filter((s) => s !== 'OptimWrapper' && s !== 'AmpOptimWrapper'),
    ),
  },
  {
    category: 'registry type',
    stage: 'dry',
    mutate: constant(
      ['optim_wrapper', 'constructor'],
      unknownTypeName([
        'DefaultOptimWrapperConstructor',
        'LearningRateDecayOptimWrapperConstructor',
        'LayerDecayOptimWrapperConstructor',
      ]),
    ),
    says: /unknown optimizer wrapper constructor/,
  },
  // The tensor interpreter: model, datasets, metrics and the data preprocessor are built by train().
  {
    category: 'registry type',
    stage: 'train',
    inMemory: true,
    mutate: constant(['model', 'type'], unknownTypeName(Registry.names(defaultModelTypes))),
    says: /unknown model type/,
  },
  {
    category: 'out of range',
    stage: 'train',
    inMemory: true,
    mutate: () =>
      fc
        .constantFrom('in_features', 'hidden', 'out_features')
        .chain((k) => invalid.positiveInt.map((value) => ({ keys: ['model', k] as ReadonlyArray<Key>, value }))),
  },
  {
    category: 'unknown key',
    stage: 'train',
    inMemory: true,
    mutate: misspeltArg(['model'], () => ['type', 'in_features', 'hidden', 'out_features', 'data_preprocessor']),
  },
  {
    category: 'registry type',
    stage: 'train',
    mutate: constant(
      ['train_dataloader', 'dataset', 'type'],
      fc.oneof(
        unknownTypeName(Registry.names(defaultDatasetTypes), [...defaultDatasetTypes.notProvided.keys()]),
        fc.constantFrom(...defaultDatasetTypes.notProvided.keys()),
      ),
    ),
    says: /(unknown dataset type|not available in loopwright yet)/,
  },
  {
    category: 'wrong type',
    stage: 'train',
    mutate: constant(['train_dataloader', 'dataset', 'task'], invalid.oneOf('class', 'values')),
  },
  {
    category: 'out of range',
    stage: 'train',
    mutate: constant(['train_dataloader', 'dataset', 'num_classes'], invalid.positiveInt),
  },
  {
    category: 'unknown key',
    stage: 'train',
    mutate: misspeltArg(['train_dataloader', 'dataset'], () => ['type', 'x', 'y', 'task', 'num_classes']),
  },
  {
    category: 'registry type',
    stage: 'train',
    inMemory: true,
    mutate: constant(['val_evaluator', 'type'], unknownTypeName(Registry.names(defaultMetricTypes))),
    says: /unknown metric type/,
  },
  {
    category: 'unknown key',
    stage: 'train',
    inMemory: true,
    mutate: constant(['val_evaluator', 'topk'], fc.integer({ min: 1, max: 5 })),
  },
  {
    category: 'wrong type',
    stage: 'train',
    inMemory: true,
    under: true,
    mutate: constant(
      ['data_preprocessor', 'mean'],
      fc.oneof(invalid.list, fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 2 })),
    ),
  },
  {
    category: 'out of range',
    stage: 'train',
    inMemory: true,
    under: true,
    mutate: constant(
      ['data_preprocessor', 'std'],
      fc.array(fc.double({ min: -10, max: 0, noNaN: true }), { minLength: 1, maxLength: 1 }),
    ),
  },
]

const brokenRun = fc.tuple(runnableConfig, fc.nat({ max: runSlots.length - 1 })).chain(([valid, index]) => {
  const slot = runSlots[index]!
  const base = structuredClone(valid)
  slot.prepare?.(base)
  return slot.mutate(base).map(({ keys, value, slip }) => {
    const cfg = structuredClone(base)
    setAt(cfg, keys, value)
    if (keys[0] === 'data_preprocessor') setAt(cfg, [keys[0], keys[1] === 'mean' ? 'std' : 'mean'], [1])
    return { cfg, path: pathText(keys), slot: index, slip }
  })
})

// ---------------------------------------------------------------------------

describe('bad configs are values with one-line, path-precise issues', () => {
  it('a wrong type or an out-of-range value anywhere in a decoded section (700 configs)', () => {
    fc.assert(
      fc.property(brokenConfig, ({ cfg, path, slot }) => {
        const decoded = Config.decode(cfg, defaultRegistries)
        if (decoded._tag === 'Right') throw new Error(`accepted the broken ${path}`)
        expectIssueAt(
          { stage: 'decode', issues: decoded.left.issues, message: decoded.left.message },
          path,
          slots[slot]!.under,
        )
        count(slots[slot]!.category)
      }),
      { numRuns: 700, seed: 20261127 },
    )
  })

  it('an unknown key in any strict dict, with a did-you-mean (400 configs)', () => {
    fc.assert(
      fc.property(misspeltKey, ({ cfg, path, slip, original, known }) => {
        const decoded = Config.decode(cfg, defaultRegistries)
        if (decoded._tag === 'Right') throw new Error(`accepted the misspelt key ${path}`)
        const issue = expectIssueAt(
          { stage: 'decode', issues: decoded.left.issues, message: decoded.left.message },
          path,
        )
        expectDidYouMean(issue, slip, original, known)
        count('unknown key')
      }),
      { numRuns: 400, seed: 1127 },
    )
  })

  it('reserved names and _base_ in a decoded dict are errors at that key (40 configs)', () => {
    fc.assert(
      fc.property(
        validConfig,
        fc.constantFrom('filename', 'text', 'pretty_text', 'env_variables', '_base_'),
        fc.jsonValue({ maxDepth: 1 }),
        (valid, key, value) => {
          fc.pre(value !== null)
          const decoded = Config.decode({ ...valid, [key]: value }, defaultRegistries)
          if (decoded._tag === 'Right') throw new Error(`accepted ${key}`)
          expectIssueAt({ stage: 'decode', issues: decoded.left.issues, message: decoded.left.message }, key)
          count('unknown key')
        },
      ),
      { numRuns: 40, seed: 7 },
    )
  })

  it(
    'optimizer, scheduler, wrapper, constructor, model, dataset and metric mistakes ' +
      'are found when the run is built (300 configs)',
    async () => {
      await fc.assert(
        fc.asyncProperty(brokenRun, async ({ cfg, path, slot: index, slip }) => {
          const slot = runSlots[index]!
          const failure = await rejected(cfg, slot.stage, slot.inMemory === true ? { datasets: tinyDatasets } : {})
          const issue = expectIssueAt(failure, path, slot.under)
          if (slot.says !== undefined) expect(issue.message).toMatch(slot.says)
          if (slip !== undefined)
            expectDidYouMean(issue, path.slice(path.lastIndexOf('.') + 1), slip.original, slip.known)
          if (slot.category === 'unknown key') expect(issue.message).toMatch(/^unknown key/)
          count(slot.category)
        }),
        { numRuns: 300, seed: 42 },
      )
    },
  )
})

// ---------------------------------------------------------------------------
// Files: syntax, `_base_` chains, missing files, `--cfg-options`.

const pyLiteral = (v: unknown): string =>
  v === null
    ? 'None'
    : v === true
      ? 'True'
      : v === false
        ? 'False'
        : typeof v === 'number'
          ? String(v)
          : typeof v === 'string'
            ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
            : Array.isArray(v)
              ? `[${v.map(pyLiteral).join(', ')}]`
              : `dict(${Object.entries(v as Dict)
                  .map(([k, x]) => `${k}=${pyLiteral(x)}`)
                  .join(', ')})`
/** A config as MMEngine's Python: one assignment per top-level key. */
const toPython = (cfg: Dict): string =>
  `${Object.entries(cfg)
    .map(([k, v]) => `${k} = ${pyLiteral(v)}`)
    .join('\n')}\n`

/** Lines no literal Python config may hold. */
const badPythonLines = [
  'import os',
  'from os import path',
  'def f(): pass',
  'for i in range(3): pass',
  'while True: pass',
  'class A: pass',
  'x = lambda: 1',
  'x = [i async for i in y]',
  'x = f"{}"',
  'if True:',
  'x = = 1',
  ') = 1',
  'x = 1 +',
  'x = (1, 2',
  'x = open("f")',
  'x = __import__("os")',
  'x = eval("1")',
  'print(1)',
  'x = $y',
  'with open("f") as f: pass',
  'x = undefined_name',
]
/** Lines that break a YAML mapping. */
const badYamlLines = [
  'model: duplicate',
  'x: [1, 2',
  'x: {a: 1',
  'x: "unclosed',
  'x: *undefined_alias',
  'x: !!python/object:os.system {}',
  'x: !!js/function "function () {}"',
  '- item',
  'x: 1: 2',
  'x: @y',
  'x: `y',
]
/** Tokens that cannot follow the opening brace of a JSON object. */
const badJsonStarts = [',', ']', '}', "'a': 1,", 'a: 1,', '"a" 1,', '/*c*/', 'NaN,', '"x":,', '{', '"', '1,']

type BrokenFile = { readonly kind: 'json' | 'yaml' | 'py'; readonly text: string; readonly how: string }

const brokenText: fc.Arbitrary<BrokenFile> = fc
  .tuple(validConfig, fc.constantFrom('json', 'yaml', 'py'), fc.nat(), fc.nat(), fc.boolean())
  .map(([cfg, kind, a, b, truncate]): BrokenFile => {
    if (kind === 'json') {
      const text = JSON.stringify(cfg, null, 1)
      if (truncate) return { kind, text: text.slice(0, 1 + (a % (text.length - 1))), how: 'truncated' }
      return { kind, text: `{${badJsonStarts[b % badJsonStarts.length]!}${text.slice(1)}`, how: 'bad token' }
    }
    if (kind === 'py') {
      const text = toPython(cfg)
      if (truncate) {
        // Cut inside a bracket: an unclosed `dict(` or `[` can never parse.
        const inside: number[] = []
        let depth = 0
        let quoted = false
        for (let i = 0; i < text.length; i++) {
          const ch = text[i]!
          if (ch === "'" && text[i - 1] !== '\\') quoted = !quoted
          else if (!quoted && (ch === '(' || ch === '[')) depth++
          else if (!quoted && (ch === ')' || ch === ']')) depth--
          if (depth > 0 && !quoted) inside.push(i + 1)
        }
        return { kind, text: text.slice(0, inside[a % inside.length]!), how: 'truncated inside brackets' }
      }
      const lines = text.split('\n')
      const at = a % lines.length
      return {
        kind,
        text: [...lines.slice(0, at), badPythonLines[b % badPythonLines.length]!, ...lines.slice(at)].join('\n'),
        how: 'bad line',
      }
    }
    const lines = YAML.stringify(cfg).split('\n')
    const starts = lines.flatMap((line, i) => (/^[A-Za-z_]/.test(line) ? [i] : []))
    const at = starts[a % starts.length]!
    return {
      kind,
      text: [...lines.slice(0, at), badYamlLines[b % badYamlLines.length]!, ...lines.slice(at)].join('\n'),
      how: 'bad line',
    }
  })

const loadFailure = async (file: string, cfgOptions: ReadonlyArray<string> = []): Promise<Config.ConfigError> => {
  const result = await Effect.runPromise(Effect.result(load(file, { cfgOptions, registries: defaultRegistries })))
  if (result._tag === 'Success')
    throw new Error(`expected ${file} to be rejected, got ${JSON.stringify(result.success.raw).slice(0, 300)}`)
  expect(result.failure._tag).toBe('ConfigError')
  expectOneLiners({ stage: 'decode', issues: result.failure.issues, message: result.failure.message })
  return result.failure
}

const fileName = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/)

describe('bad files are values naming the file, the key and what is wrong', () => {
  it('malformed JSON, YAML and Python (360 files)', async () => {
    await fc.assert(
      fc.asyncProperty(brokenText, async ({ kind, text, how }) => {
        const file = tempFile(`syntax/${fresh('c')}.${kind}`, text)
        const error = await loadFailure(file)
        for (const line of error.message.split('\n')) expect(line.startsWith(`${file}: `)).toBe(true)
        if (kind === 'py') expect(error.message).toMatch(/: line \d+(, column \d+)?: /)
        else expect(error.message).toContain(kind === 'json' ? 'not valid JSON: ' : 'not valid YAML: ')
        expect(how).not.toBe('')
        count('malformed syntax')
      }),
      { numRuns: 360, seed: 99 },
    )
  })

  it('a _base_ cycle is reported with its chain, whatever the file kinds (120 chains)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fileName, { minLength: 1, maxLength: 5 }),
        fc.nat({ max: 4 }),
        fc.array(fc.constantFrom('json', 'yaml', 'py'), { minLength: 5, maxLength: 5 }),
        async (names, loopStart, kinds) => {
          const folder = fresh('cycle')
          const files = names.map((n, i) => `${n}.${kinds[i]!}`)
          const back = Math.min(loopStart, names.length - 1)
          files.forEach((f, i) => {
            const next = i + 1 < files.length ? files[i + 1]! : files[back]!
            const kind = kinds[i]!
            tempFile(
              `${folder}/${f}`,
              kind === 'json'
                ? JSON.stringify({ _base_: `./${next}` })
                : kind === 'yaml'
                  ? `_base_: ./${next}\n`
                  : `_base_ = ['./${next}']\nlr = 0.1\n`,
            )
          })
          const error = await loadFailure(nodePath.join(dir, folder, files[0]!))
          const issue = error.issues[0]!
          expect(issue.path).toBe('_base_')
          const cycle = [...files.slice(back), files[back]!].join(' → ')
          expect(issue.message).toBe(`_base_ inheritance forms a cycle: ${cycle}`)
          count('_base_ cycle')
        },
      ),
      { numRuns: 120, seed: 5 },
    )
  })

  it(
    'a missing _base_ file, a missing config file and an unsupported extension name ' + 'the file (150 cases)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('missing base', 'missing file', 'extension'),
          fc.uniqueArray(fileName, { minLength: 2, maxLength: 4 }),
          fc.constantFrom('json', 'yaml', 'py'),
          async (what, names, kind) => {
            const folder = fresh('missing')
            if (what === 'missing file') {
              const file = nodePath.join(dir, folder, `${names[0]!}.${kind}`)
              const error = await loadFailure(file)
              expect(error.message).toBe(`${file}: cannot read the config file: no such file`)
            } else if (what === 'extension') {
              const file = tempFile(`${folder}/${names[0]!}.${names[1]!.slice(0, 4)}x`, '{}')
              const error = await loadFailure(file)
              expect(error.message).toBe(
                `${file}: unsupported config file type; use .py, .json, .yaml, .yml, .ts, .js or .mjs`,
              )
            } else {
              // names[0] → names[1] → … → a file that is not there.
              const chain = names.slice(0, -1)
              chain.forEach((n, i) => {
                const next = i + 1 < chain.length ? `${chain[i + 1]!}.${kind}` : `${names.at(-1)!}.${kind}`
                tempFile(
                  `${folder}/${n}.${kind}`,
                  kind === 'json'
                    ? JSON.stringify({ _base_: [`./${next}`] })
                    : kind === 'yaml'
                      ? `_base_: [./${next}]\n`
                      : `_base_ = './${next}'\n`,
                )
              })
              const missing = nodePath.join(dir, folder, `${names.at(-1)!}.${kind}`)
              const error = await loadFailure(nodePath.join(dir, folder, `${chain[0]!}.${kind}`))
              expect(error.message).toBe(`${missing}: cannot read the config file: no such file`)
            }
            count(
              what === 'missing base'
                ? 'missing _base_'
                : what === 'missing file'
                  ? 'missing config file'
                  : 'unsupported file type',
            )
          },
        ),
        { numRuns: 150, seed: 11 },
      )
    },
  )

  it('--cfg-options mistakes name the option or the key (200 cases)', async () => {
    const base = fc.sample(runnableConfig, { numRuns: 1, seed: 3 })[0]!
    const file = tempFile(
      'options/base.json',
      JSON.stringify({ ...base, custom_hooks: [{ type: 'LoggerHook', interval: 1 }] }),
    )
    const word = fc.stringMatching(/^[a-z][a-z_]{0,6}$/)
    const option = fc.oneof(
      word.map((w) => ({ option: w, path: '', says: `--cfg-options: expected key=value, got "${w}"` })),
      fc
        .tuple(word, fc.constantFrom('[1,2', '(1,', '[[1],2', '(1,(2,3)'))
        .map(([w, v]) => ({ option: `${w}=${v}`, path: w, says: '--cfg-options: unbalanced brackets' })),
      fc.integer({ min: 1, max: 99 }).map((n) => ({
        option: `custom_hooks.${n}.priority=HIGH`,
        path: `custom_hooks[${n}]`,
        says: `index ${n} is out of range (the list has 1 items)`,
      })),
      word.map((w) => ({
        option: `custom_hooks.${w}=1`,
        path: 'custom_hooks',
        says: `expected a list index, got '${w}'`,
      })),
      word.map((w) => ({
        option: `train_dataloader.batch_size.${w}=1`,
        path: 'train_dataloader.batch_size',
        says: 'cannot merge a dict into 2',
      })),
      fc
        .tuple(word, word)
        .map(([a, b]) => ({ option: `${a}..${b}=1`, path: `${a}..${b}`, says: 'empty part in the key' })),
      fc.integer({ min: -1000, max: 0 }).map((n) => ({
        option: `train_dataloader.batch_size=${n}`,
        path: 'train_dataloader.batch_size',
        says: `expected a positive integer, got ${n}`,
      })),
      word.map((w) => ({
        option: `train_cfg.max_iters=${w}x`,
        path: 'train_cfg.max_iters',
        says: `expected a positive integer, got "${w}x"`,
      })),
      fc.constantFrom('0', '-1', 'abc', 'None').map((v) => ({
        option: `optim_wrapper.clip_grad.max_norm=${v}`,
        path: 'optim_wrapper.clip_grad.max_norm',
        says: 'expected a positive number',
      })),
      fc.integer({ min: 1, max: 1000 }).map((n) => ({
        option: `randomness.seed=-${n}`,
        path: 'randomness.seed',
        says: `expected an integer from 0 to 2**32 - 1, got -${n}`,
      })),
    )
    await fc.assert(
      fc.asyncProperty(option, async ({ option, path, says }) => {
        const error = await loadFailure(file, [option])
        const issue = path === '' ? error.issues[0]! : error.issues.find((i) => i.path === path)
        if (issue === undefined) throw new Error(`no issue at ${path}: ${error.message}`)
        expect(issue.message).toContain(says)
        count('--cfg-options')
      }),
      { numRuns: 200, seed: 8 },
    )
  })

  it('cyclic and absurdly deep configs are refused before anything recurses into them (12 cases)', async () => {
    for (const depth of [201, 1_000, 20_000]) {
      const json = tempFile(
        `deep/${fresh('d')}.json`,
        `{"model": {"type": "T", "x": ${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      )
      const error = await loadFailure(json)
      expect(error.issues[0]!.path.startsWith('model.x[0][0]')).toBe(true)
      expect(error.issues[0]!.message).toContain('nested more than 200 levels deep')
      count('plain data')
      const yaml = tempFile(
        `deep/${fresh('d')}.yaml`,
        `model: {type: T, x: ${'['.repeat(depth)}${']'.repeat(depth)}}\n`,
      )
      await loadFailure(yaml)
      count('plain data')
      const options = await loadFailure(tempFile(`deep/${fresh('d')}.json`, '{}'), [
        `x=${'['.repeat(depth)}${']'.repeat(depth)}`,
      ])
      expect(options.issues[0]).toEqual({
        path: 'x',
        message: '--cfg-options: brackets nested more than 200 levels deep',
      })
      count('plain data')
    }
    const cyclic = tempFile(
      `deep/${fresh('cyclic')}.mjs`,
      'const a = { type: "T" }\na.self = a\nexport default { model: a }\n',
    )
    expect((await loadFailure(cyclic)).issues).toEqual([
      { path: 'model.self', message: 'refers back to model (a cycle); a config must be plain data' },
    ])
    count('plain data')
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    const decoded = Config.decode({ model: { type: 'T', x: deep } }, defaultRegistries)
    expect(decoded._tag === 'Left' && decoded.left.issues[0]!.message).toContain('nested more than 200 levels deep')
    count('plain data')
    const keyDepth = await loadFailure(tempFile(`deep/${fresh('d')}.json`, '{}'), [`${'a.'.repeat(50_000)}b=1`])
    expect(keyDepth.issues[0]!.message).toContain('at most 200')
    count('plain data')
  })
})

// ---------------------------------------------------------------------------
// The CLI: a sample of the inputs above, through `main`.

const cli = async (
  argv: ReadonlyArray<string>,
): Promise<{ readonly code: number; readonly stderr: string; readonly stdout: string }> => {
  let stderr = ''
  let stdout = ''
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  }) as never)
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  }) as never)
  try {
    const code = await main(argv)
    return { code, stderr, stdout }
  } finally {
    err.mockRestore()
    out.mockRestore()
  }
}

/** Non-zero, something said, every line one line about a file under the temp dir, no stack trace. */
const expectCleanExit = (
  result: { readonly code: number; readonly stderr: string },
  mentions: ReadonlyArray<string>,
): void => {
  expect(result.code).not.toBe(0)
  expect(result.stderr).not.toMatch(/\n\s+at /)
  expect(result.stderr).not.toMatch(/^\s+at /m)
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) expect(line.startsWith(dir)).toBe(true)
  for (const m of mentions) expect(result.stderr).toContain(m)
}

describe('the CLI exits non-zero with one-line messages and no stack trace', () => {
  it('loopwright dry-run on 30 sampled bad configs and files', async () => {
    const configs = [
      ...fc.sample(brokenConfig, { numRuns: 10, seed: 31 }).map(({ cfg, path }) => ({ cfg, path })),
      ...fc.sample(misspeltKey, { numRuns: 6, seed: 32 }).map(({ cfg, path }) => ({ cfg, path })),
      ...fc
        .sample(brokenRun, { numRuns: 40, seed: 33 })
        .filter((b) => runSlots[b.slot]!.stage === 'dry')
        .slice(0, 6)
        .map(({ cfg, path }) => ({ cfg, path })),
    ]
    expect(configs.length).toBe(22)
    for (const { cfg, path } of configs) {
      const file = tempFile(`cli/${fresh('bad')}.json`, JSON.stringify(cfg))
      const result = await cli(['dry-run', file, '--dataset-size', 'train=4,val=4'])
      expect(result.code).toBe(2)
      expectCleanExit(result, [`${file}: `, path])
      count('CLI dry-run')
    }
    const files = fc
      .sample(brokenText, { numRuns: 5, seed: 34 })
      .map(({ kind, text }) => tempFile(`cli/${fresh('syntax')}.${kind}`, text))
    tempFile('cli/loop_a.py', "_base_ = './loop_b.yaml'\n")
    tempFile('cli/loop_b.yaml', '_base_: ./loop_a.py\n')
    tempFile('cli/orphan.json', '{"_base_": "./gone.json"}')
    for (const file of [
      ...files,
      nodePath.join(dir, 'cli/loop_a.py'),
      nodePath.join(dir, 'cli/orphan.json'),
      nodePath.join(dir, 'cli/nowhere.py'),
    ]) {
      const result = await cli(['dry-run', file])
      expect(result.code).toBe(2)
      expectCleanExit(result, [])
      count('CLI dry-run')
    }
    expect(fc.sample(brokenText, { numRuns: 5, seed: 34 }).length + 3 + configs.length).toBe(30)
  })

  it('loopwright train on bad model, dataset and metric types exits non-zero before training', async () => {
    const cases = fc
      .sample(brokenRun, { numRuns: 200, seed: 35 })
      .filter((b) => runSlots[b.slot]!.stage === 'train' && runSlots[b.slot]!.category === 'registry type')
      .slice(0, 3)
    expect(cases.length).toBe(3)
    for (const { cfg, path } of cases) {
      const file = tempFile(`cli/${fresh('train')}.json`, JSON.stringify(cfg))
      const result = await cli(['train', file, '--backend', 'cpu', '--work-dir', nodePath.join(dir, 'cli-runs')])
      expectCleanExit(result, [`${file}: ${path}: `])
      count('CLI train')
    }
  })
})

// ---------------------------------------------------------------------------
// Checkpoints and configs are data.

/** The in-memory datasets as inline rows, so that a JSON config holds the same data. */
const inline = (ds: typeof tinyDatasets.train): Dict => {
  const width = ds.sampleShape[0]!
  const x = Array.from({ length: ds.length }, (_, i) => Array.from(ds.inputs.subarray(i * width, (i + 1) * width)))
  const targets = ds.targets as { readonly values: Float32Array; readonly shape: ReadonlyArray<number> }
  const k = targets.shape[0]!
  const y = Array.from({ length: ds.length }, (_, i) => Array.from(targets.values.subarray(i * k, (i + 1) * k)))
  return { type: 'ArrayDataset', x, y }
}

const hostile = (marker: string): string => `require('child_process').execSync('touch ${marker}')`
const notPolluted = (): void => {
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false)
  expect((Object as unknown as { polluted?: unknown }).polluted).toBeUndefined()
}

describe('checkpoints and configs are data', () => {
  const runConfig = {
    ...tinyRunConfig,
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4, val_interval: 4 },
    default_hooks: {
      logger: { type: 'LoggerHook', interval: 2 },
      checkpoint: { type: 'CheckpointHook', interval: 4, by_epoch: false },
    },
  }
  let checkpoint = ''
  let configFile = ''
  beforeAll(async () => {
    const result = await tinyRun(programOf(runConfig), { workDir: nodePath.join(dir, 'ckpt') })
    checkpoint = result.checkpoints.at(-1)!
    configFile = tempFile(
      'ckpt/config.json',
      JSON.stringify({
        ...runConfig,
        train_dataloader: { ...runConfig.train_dataloader, dataset: inline(tinyDatasets.train) },
        val_dataloader: { ...runConfig.val_dataloader, dataset: inline(tinyDatasets.val) },
      }),
    )
  })

  it('a checkpoint whose JSON holds __proto__, constructor and code-like strings resumes as plain data', async () => {
    const marker = nodePath.join(dir, 'pwned-checkpoint')
    const file = Safetensors.decode(new Uint8Array(fs.readFileSync(checkpoint)))
    if (file._tag === 'Left') throw new Error(file.left.message)
    const { tensors, metadata, order } = file.right
    const meta = {
      ...(JSON.parse(metadata['meta']!) as Dict),
      experiment_name: hostile(marker),
      cfg: `${hostile(marker)}; process.exit(3)`,
    }
    const inject = (json: string): string =>
      `{"__proto__":{"polluted":"${marker}"},"constructor":{"prototype":{"polluted":1}},${json.slice(1)}`
    const metaText = inject(JSON.stringify(meta))
    const stateText = inject(metadata['state']!)
    const ordered = Object.fromEntries(order.map((name) => [name, tensors[name]!]))
    const crafted = Safetensors.encode(ordered, {
      ...metadata,
      meta: metaText,
      state: stateText,
      checksum: checksumOf(metaText, stateText, tensors),
    })
    const craftedFile = tempFile('ckpt/crafted.safetensors', crafted)
    const resumed = await Effect.runPromise(
      Effect.result(
        train(programOf(runConfig), {
          datasets: tinyDatasets,
          print: () => {},
          timestamp: 'resume',
          workDir: nodePath.join(dir, 'ckpt-resume'),
          resume: craftedFile,
        }),
      ),
    )
    if (resumed._tag === 'Failure') throw new Error(resumed.failure.message)
    expect(resumed.success.iterations).toBe(4)
    notPolluted()
    expect(fs.existsSync(marker)).toBe(false)
  })

  it('JSON, YAML and Python configs with __proto__, constructor and code-like strings load as data', async () => {
    const marker = nodePath.join(dir, 'pwned-config')
    const json = tempFile(
      'data/proto.json',
      `{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, ` +
        `"model": {"type": "TinyRegressor", "__proto__": {"polluted": 3}}, ` +
        `"experiment_name": "${hostile(marker)}"}`,
    )
    const jsonError = await loadFailure(json)
    expect(jsonError.issues.map((i) => i.path).sort()).toEqual(['__proto__', 'constructor'])
    const yaml = tempFile(
      'data/proto.yaml',
      `__proto__: {polluted: 1}\nmodel: {type: TinyRegressor, __proto__: {polluted: ` +
        `3}}\nexperiment_name: "${hostile(marker)}"\n`,
    )
    expect((await loadFailure(yaml)).issues.map((i) => i.path)).toEqual(['__proto__'])
    const py = tempFile(
      'data/proto.py',
      `__proto__ = dict(polluted=1)\nconstructor = ` +
        `dict(prototype=dict(polluted=2))\nmodel = dict(type='TinyRegressor', ` +
        `__proto__=dict(polluted=3))\nexperiment_name = "${hostile(marker)}"\n`,
    )
    const loaded = await Effect.runPromise(
      load(py, {
        cfgOptions: ['__proto__.polluted=4', 'constructor.prototype.polluted=5'],
        registries: defaultRegistries,
      }),
    )
    expect(loaded.config.experiment_name).toBe(hostile(marker))
    expect(Object.getPrototypeOf(loaded.raw['model'])).toBe(Object.prototype)
    expect(Object.keys(loaded.raw['model'] as Dict)).toEqual(['type', '__proto__'])
    expect([...loaded.variables].sort()).toEqual(['__proto__', 'constructor'])
    await loadFailure(json, ['__proto__.polluted=6'])
    notPolluted()
    expect(fs.existsSync(marker)).toBe(false)
    count('plain data')
  })

  it(
    'loopwright train --resume with a truncated, byte-flipped or foreign file exits ' + 'non-zero naming the file',
    async () => {
      const bytes = new Uint8Array(fs.readFileSync(checkpoint))
      const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))
      const flip = (at: number): Uint8Array => {
        const copy = bytes.slice()
        copy[at] = copy[at]! ^ 0x5a
        return copy
      }
      const cases: Array<readonly [string, Uint8Array | undefined, string]> = [
        ['empty', new Uint8Array(0), 'truncated'],
        ['four bytes', bytes.slice(0, 4), 'truncated'],
        ['header cut', bytes.slice(0, Math.floor(headerEnd / 2)), 'truncated'],
        ['data cut', bytes.slice(0, headerEnd + Math.floor((bytes.length - headerEnd) / 2)), 'truncated'],
        ['last byte gone', bytes.slice(0, -1), 'not a readable safetensors file'],
        ['data byte flipped', flip(headerEnd + Math.floor((bytes.length - headerEnd) / 3)), 'checksum mismatch'],
        ['last byte flipped', flip(bytes.length - 1), 'checksum mismatch'],
        ['header byte flipped', flip(8 + Math.floor((headerEnd - 8) / 2)), ''],
        ['size flipped', flip(3), 'truncated'],
        [
          'foreign safetensors',
          Safetensors.encode(
            { 'fc.weight': { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } },
            { format: 'pt' },
          ),
          'not a loopwright checkpoint',
        ],
        ['a JSON file', new TextEncoder().encode('{"state_dict": {}}'), 'not a readable safetensors file'],
        ['missing', undefined, 'no such file'],
      ]
      for (const [name, content, says] of cases) {
        const file = nodePath.join(dir, 'resume', `${name.replace(/ /g, '_')}.safetensors`)
        if (content !== undefined) tempFile(nodePath.relative(dir, file), content)
        const result = await cli([
          'train',
          configFile,
          '--backend',
          'cpu',
          '--work-dir',
          nodePath.join(dir, 'resume-runs'),
          '--resume',
          file,
        ])
        expectCleanExit(result, [file, `${configFile}: resume: `, says])
        count('corrupt checkpoint')
      }
      notPolluted()
      // The intact checkpoint resumes (its run is already complete): the failures above are the file's.
      const intact = await cli([
        'train',
        configFile,
        '--backend',
        'cpu',
        '--work-dir',
        nodePath.join(dir, 'resume-runs'),
        '--resume',
        checkpoint,
      ])
      expect(intact.stderr).toBe('')
      expect(intact.code).toBe(0)
    },
  )
})

describe('the fuzz suite', () => {
  it('generated at least 2,000 invalid inputs, in every category', () => {
    const total = [...tally.values()].reduce((a, b) => a + b, 0)
    const counts = Object.fromEntries([...tally].sort())
    expect(counts, JSON.stringify(counts)).toMatchObject({
      'wrong type': expect.any(Number),
      'out of range': expect.any(Number),
      'unknown key': expect.any(Number),
      'registry type': expect.any(Number),
      'malformed syntax': 360,
      '_base_ cycle': 120,
      'missing _base_': expect.any(Number),
      'missing config file': expect.any(Number),
      'unsupported file type': expect.any(Number),
      '--cfg-options': 200,
      'plain data': 13,
      'CLI dry-run': 30,
      'CLI train': 3,
      'corrupt checkpoint': 12,
    })
    expect(total).toBeGreaterThanOrEqual(2000)
    if (process.env['FUZZ_TALLY'] !== undefined) console.log(JSON.stringify({ total, ...counts }))
  })
})
