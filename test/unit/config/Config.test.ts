import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, decode, sections, variablesOf } from '../../../src/config/Config.js'
import type { Config } from '../../../src/config/Config.js'
import type { Issue } from '../../../src/schema/codec.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

/** The issues of a rejected config (the test fails if it decodes). */
const issues = (input: unknown, options: { allowVariables?: boolean } = {}): ReadonlyArray<Issue> => {
  const result = decode(input, defaultRegistries, options)
  if (result._tag === 'Right')
    throw new Error(`expected the config to be rejected, got ${JSON.stringify(result.right)}`)
  return result.left.issues
}

/** The decoded config (the test fails if it is rejected). */
const accepted = (input: unknown, options: { allowVariables?: boolean } = {}): Config => {
  const result = decode(input, defaultRegistries, options)
  if (result._tag === 'Left') throw new Error(`expected the config to decode, got:\n${result.left.message}`)
  return result.right
}

const fixture = (name: string): { readonly config: { readonly [key: string]: unknown } } =>
  JSON.parse(readFileSync(new URL(`../../fixtures/conformance/mmengine/${name}`, import.meta.url), 'utf8')) as {
    readonly config: { readonly [key: string]: unknown }
  }

const trainTriple = {
  train_dataloader: { batch_size: 8, dataset: 'ArrayDataset(x, y)' },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 },
  optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 } },
}

/** A config with all three triples set, so any single valid section can be added to it. */
const full = {
  model: { type: 'TinyRegressor' },
  ...trainTriple,
  val_dataloader: { batch_size: 8, dataset: 'val' },
  val_cfg: {},
  val_evaluator: { type: 'Accuracy' },
  test_dataloader: { batch_size: 8, dataset: 'test' },
  test_cfg: {},
  test_evaluator: [{ type: 'Accuracy' }],
}

const PRIORITY_EXPECTATION =
  'a priority name (HIGHEST, VERY_HIGH, HIGH, ABOVE_NORMAL, NORMAL, BELOW_NORMAL, ' +
  'LOW, VERY_LOW, LOWEST) or an integer from 0 to 100'
const KNOWN_HOOKS =
  'known: RuntimeInfoHook, IterTimerHook, DistSamplerSeedHook, LoggerHook, ' +
  'ParamSchedulerHook, CheckpointHook, EMAHook, EmptyCacheHook, SyncBuffersHook, ' +
  'NaiveVisualizationHook, EarlyStoppingHook, VisualizationHook, DeepClusterHook, ' +
  'DenseCLHook, ODCHook, SimSiamHook, SwAVHook, CollapseDetectionHook'

/** Per top-level key: a realistic value that decodes, a wrong one, and the exact issues the wrong one gives. */
const sectionCases: ReadonlyArray<
  readonly [key: string, valid: unknown, invalid: unknown, expected: ReadonlyArray<Issue>]
> = [
  ['default_scope', 'mmselfsup', '', [{ path: 'default_scope', message: 'expected a non-empty string, got ""' }]],
  [
    'model',
    {
      type: 'MAE',
      backbone: { type: 'MAEViT', arch: 'b', patch_size: 16, mask_ratio: 0.75 },
      neck: { type: 'MAEPretrainDecoder' },
      init_cfg: null,
    },
    { backbone: { type: 'MAEViT' } },
    [{ path: 'model.type', message: 'required key missing (the registry name of the component)' }],
  ],
  [
    'data_preprocessor',
    { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true },
    [1],
    [{ path: 'data_preprocessor', message: 'expected a data_preprocessor dict, got [1]' }],
  ],
  [
    'train_dataloader',
    {
      batch_size: 32,
      num_workers: 4,
      persistent_workers: true,
      sampler: { type: 'DefaultSampler', shuffle: true },
      collate_fn: { type: 'default_collate' },
      dataset: {
        type: 'ImageNet',
        data_root: 'data/imagenet/',
        ann_file: 'meta/train.txt',
        pipeline: [{ type: 'LoadImageFromFile' }],
      },
    },
    { batch_size: 0, dataset: 'd' },
    [{ path: 'train_dataloader.batch_size', message: 'expected a positive integer, got 0' }],
  ],
  [
    'val_dataloader',
    { batch_size: 8, dataset: 'd', sampler: { type: 'DefaultSampler', shuffle: false } },
    { batch_size: 8, dataset: 'd', sampler: { type: 'DefaultSampler', shufle: false } },
    [{ path: 'val_dataloader.sampler.shufle', message: "unknown key (did you mean 'shuffle'?)" }],
  ],
  [
    'test_dataloader',
    { batch_size: 1, dataset: { type: 'ImageNet' }, sampler: { type: 'InfiniteSampler', seed: 3 } },
    { batch_size: 8 },
    [
      {
        path: 'test_dataloader.dataset',
        message: 'required key missing (a dataset dict with a `type`, or a dataset description string)',
      },
    ],
  ],
  [
    'train_cfg',
    { type: 'IterBasedTrainLoop', max_iters: 100, val_interval: 10, val_begin: 5 },
    { type: 'EpochBasedTrainLoop', max_epochs: 0 },
    [{ path: 'train_cfg.max_epochs', message: 'expected a positive integer, got 0' }],
  ],
  [
    'val_cfg',
    { type: 'ValLoop' },
    { type: 'TestLoop' },
    [{ path: 'val_cfg.type', message: 'expected one of "ValLoop", "mmengine.ValLoop", got "TestLoop"' }],
  ],
  [
    'test_cfg',
    { type: 'TestLoop', fp16: true },
    { fp16: 'yes' },
    [{ path: 'test_cfg.fp16', message: 'expected a boolean (true or false), got "yes"' }],
  ],
  [
    'val_evaluator',
    [{ type: 'Accuracy', topk: [1, 5] }],
    { topk: 1 },
    [{ path: 'val_evaluator.type', message: 'required key missing (the registry name of the component)' }],
  ],
  [
    'test_evaluator',
    { type: 'Accuracy' },
    [{ type: '' }],
    [{ path: 'test_evaluator[0].type', message: 'expected a non-empty string, got ""' }],
  ],
  [
    'optim_wrapper',
    {
      type: 'AmpOptimWrapper',
      optimizer: { type: 'AdamW', lr: 1.5e-4, betas: [0.9, 0.95], weight_decay: 0.05 },
      loss_scale: 'dynamic',
      dtype: 'bfloat16',
      clip_grad: { max_norm: 1.0, norm_type: 2 },
    },
    { optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { max_norm: '0.2x' } },
    [{ path: 'optim_wrapper.clip_grad.max_norm', message: 'expected a positive number, got "0.2x"' }],
  ],
  [
    'param_scheduler',
    [
      { type: 'LinearLR', start_factor: 1e-4, by_epoch: true, begin: 0, end: 40, convert_to_iter_based: true },
      { type: 'CosineAnnealingLR', T_max: 260, by_epoch: true, begin: 40, end: 300, convert_to_iter_based: true },
    ],
    [{ type: 'LinearLR', begin: 10, end: 5 }],
    [{ path: 'param_scheduler[0]', message: 'end (5) must be greater than begin (10)' }],
  ],
  [
    'default_hooks',
    {
      logger: { type: 'LoggerHook', interval: 50 },
      checkpoint: { type: 'CheckpointHook', interval: 10, max_keep_ckpts: 3 },
      timer: null,
    },
    { logger: { type: 'LoggerHook', interval: '50' } },
    [{ path: 'default_hooks.logger.interval', message: 'expected a positive integer, got "50"' }],
  ],
  [
    'custom_hooks',
    [{ type: 'LoggerHook', priority: 'HIGH', interval: 1 }],
    [{ type: 'LoggerHook', priority: 'HIGH', intervall: 1 }],
    [{ path: 'custom_hooks[0].intervall', message: "unknown key (did you mean 'interval'?)" }],
  ],
  [
    'env_cfg',
    {
      cudnn_benchmark: false,
      mp_cfg: { mp_start_method: 'fork', opencv_num_threads: 0 },
      dist_cfg: { backend: 'nccl' },
      resource_limit: 4096,
    },
    { mp_cfg: { mp_start_method: 'thread' } },
    [
      {
        path: 'env_cfg.mp_cfg.mp_start_method',
        message: 'expected one of "fork", "spawn", "forkserver", got "thread"',
      },
    ],
  ],
  [
    'randomness',
    { seed: 0, diff_rank_seed: true, deterministic: false },
    { seed: -1 },
    [{ path: 'randomness.seed', message: 'expected an integer from 0 to 2**32 - 1, got -1' }],
  ],
  [
    'log_processor',
    {
      window_size: 10,
      by_epoch: true,
      custom_cfg: [{ data_src: 'loss', method_name: 'mean', window_size: 'global' }],
      num_digits: 4,
      log_with_hierarchy: false,
    },
    { window_size: 10, by_epoch: false, custom_cfg: [{ data_src: 'loss', method_name: 'mean', window_size: 'epoch' }] },
    [{ path: 'log_processor', message: "custom_cfg: window_size 'epoch' needs by_epoch=True" }],
  ],
  ['load_from', 'work_dirs/epoch_10.pth', '', [{ path: 'load_from', message: 'expected a non-empty string, got ""' }]],
  ['resume', true, 'True', [{ path: 'resume', message: 'expected a boolean (true or false), got "True"' }]],
  ['work_dir', './work_dirs/mae', 3, [{ path: 'work_dir', message: 'expected a non-empty string, got 3' }]],
  [
    'auto_scale_lr',
    { base_batch_size: 256, enable: false },
    { enable: false },
    [{ path: 'auto_scale_lr.base_batch_size', message: 'required key missing (a positive integer)' }],
  ],
  [
    'visualizer',
    { type: 'SelfSupVisualizer', vis_backends: [{ type: 'LocalVisBackend' }], name: 'visualizer' },
    { vis_backends: [] },
    [
      {
        path: 'visualizer.type',
        message:
          'required key missing (one of "Visualizer", "UniversalVisualizer", ' +
          '"SelfSupVisualizer", "ClsVisualizer", "DetLocalVisualizer", ' +
          '"SegLocalVisualizer", "PoseLocalVisualizer")',
      },
    ],
  ],
  [
    'vis_backends',
    [{ type: 'LocalVisBackend' }],
    { type: 'LocalVisBackend' },
    [
      {
        path: 'vis_backends',
        message: 'expected a list of a vis backend dict with a `type`, got {"type":"LocalVisBackend"}',
      },
    ],
  ],
  [
    'log_level',
    'INFO',
    'VERBOSE',
    [{ path: 'log_level', message: 'expected one of "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", got "VERBOSE"' }],
  ],
  [
    'launcher',
    'none',
    'local',
    [{ path: 'launcher', message: 'expected one of "none", "pytorch", "slurm", "mpi", got "local"' }],
  ],
  [
    'experiment_name',
    'mae_vit-base',
    '',
    [{ path: 'experiment_name', message: 'expected a non-empty string, got ""' }],
  ],
  [
    'non_finite',
    'skip',
    'ignore',
    [{ path: 'non_finite', message: 'expected one of "stop", "skip", "warn", got "ignore"' }],
  ],
  [
    'find_unused_parameters',
    false,
    0,
    [{ path: 'find_unused_parameters', message: 'expected a boolean (true or false), got 0' }],
  ],
  ['sync_bn', 'torch', false, [{ path: 'sync_bn', message: 'expected a string, got false' }]],
  [
    'model_wrapper_cfg',
    { type: 'MMDistributedDataParallel', find_unused_parameters: true },
    'ddp',
    [{ path: 'model_wrapper_cfg', message: 'expected a model wrapper dict with a `type`, got "ddp"' }],
  ],
  [
    'compile',
    { mode: 'max-autotune' },
    'yes',
    [{ path: 'compile', message: 'expected a boolean or a dict of compile options, got "yes"' }],
  ],
  [
    'activation_checkpointing',
    ['backbone.layers.0'],
    'backbone',
    [{ path: 'activation_checkpointing', message: 'expected a list of a string, got "backbone"' }],
  ],
  [
    'efficient_conv_bn_eval',
    ['backbone'],
    [1],
    [{ path: 'efficient_conv_bn_eval[0]', message: 'expected a string, got 1' }],
  ],
  ['runner_type', 'Runner', '', [{ path: 'runner_type', message: 'expected a non-empty string, got ""' }]],
]

describe('decode: every top-level section', () => {
  it('covers every key the decoder knows', () => {
    expect(sectionCases.map(([key]) => key).sort()).toEqual(Object.keys(sections(defaultRegistries)).sort())
  })

  it.each(sectionCases)('%s: accepts a realistic value', (key, valid) => {
    const config = accepted({ ...full, [key]: valid })
    expect(config[key]).toEqual(valid)
  })

  it.each(sectionCases)('%s: rejects a wrong value with its path and message', (key, _valid, invalid, expected) => {
    expect(issues({ [key]: invalid })).toEqual(expected)
  })
})

describe('decode: unknown and reserved keys', () => {
  it('suggests the closest key for a misspelt section', () => {
    expect(issues({ param_schedular: [] })).toEqual([
      { path: 'param_schedular', message: "unknown key (did you mean 'param_scheduler'?)" },
    ])
    expect(issues({ default_hook: {} })).toEqual([
      { path: 'default_hook', message: "unknown key (did you mean 'default_hooks'?)" },
    ])
  })

  it('rejects a key that is close to nothing, without a hint', () => {
    expect(issues({ lr: 0.1 })).toEqual([{ path: 'lr', message: 'unknown key' }])
  })

  it("rejects MMEngine's reserved names and a leftover `_base_`", () => {
    expect(issues({ filename: 'x.py', _base_: ['./base.py'] })).toEqual([
      { path: 'filename', message: "'filename' is reserved by MMEngine's Config and cannot be a config key" },
      { path: '_base_', message: '_base_ is resolved when a config file is loaded; load the file with Config.load' },
    ])
  })

  it('rejects a key named like an Object.prototype member as unknown instead of throwing', () => {
    expect(() => decode({ constructor: 'x' }, defaultRegistries)).not.toThrow()
    expect(issues({ constructor: 'x' })).toEqual([{ path: 'constructor', message: 'unknown key' }])
    // JSON.parse makes `__proto__` an own key; it must be reported, not crash the decoder.
    const parsed: unknown = JSON.parse('{"__proto__": {"log_level": "loud"}}')
    expect(() => decode(parsed, defaultRegistries)).not.toThrow()
    expect(issues(parsed)).toEqual([{ path: '__proto__', message: 'unknown key' }])
  })

  it('rejects a non-dict config', () => {
    expect(issues([1])).toEqual([{ path: '', message: 'expected a config dict, got [1]' }])
    expect(issues(null)).toEqual([{ path: '', message: 'expected a config dict, got null' }])
  })

  it('ignores keys whose value is undefined', () => {
    expect(accepted({ lr: undefined, param_scheduler: undefined })).toEqual({
      lr: undefined,
      param_scheduler: undefined,
    })
  })

  it('accepts an empty config', () => {
    expect(accepted({})).toEqual({})
  })

  it('reports every problem at once, in key order', () => {
    expect(issues({ log_level: 'x', param_schedular: [], work_dir: 3 })).toEqual([
      { path: 'log_level', message: 'expected one of "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", got "x"' },
      { path: 'param_schedular', message: "unknown key (did you mean 'param_scheduler'?)" },
      { path: 'work_dir', message: 'expected a non-empty string, got 3' },
    ])
  })
})

describe('decode: ConfigError', () => {
  it('is tagged, keeps the file and renders one `file: path: message` line per issue', () => {
    const result = decode({ log_level: 'x', work_dir: 3 }, defaultRegistries, { file: 'configs/mae.py' })
    if (result._tag === 'Right') throw new Error('expected a failure')
    expect(result.left).toBeInstanceOf(ConfigError)
    expect(result.left._tag).toBe('ConfigError')
    expect(result.left.file).toBe('configs/mae.py')
    expect(result.left.message).toBe(
      'configs/mae.py: log_level: expected one of "DEBUG", "INFO", "WARNING", "ERROR", ' +
        '"CRITICAL", got "x"\nconfigs/mae.py: work_dir: expected a non-empty string, got ' +
        '3',
    )
  })

  it('renders `path: message` without a file', () => {
    const result = decode({ param_schedular: [] }, defaultRegistries)
    if (result._tag === 'Right') throw new Error('expected a failure')
    expect(result.left.file).toBeUndefined()
    expect(result.left.message).toBe("param_schedular: unknown key (did you mean 'param_scheduler'?)")
  })
})

describe('decode: hooks', () => {
  it('rejects an unknown custom hook type with a did-you-mean and the known types', () => {
    expect(issues({ custom_hooks: [{ type: 'CheckpointHok' }] })).toEqual([
      {
        path: 'custom_hooks[0].type',
        message: `unknown hook type 'CheckpointHok' (did you mean 'CheckpointHook'?); ${KNOWN_HOOKS}`,
      },
    ])
  })

  it('suggests the hook type for a truncated name (`Logger` → `LoggerHook`)', () => {
    expect(issues({ custom_hooks: [{ type: 'Logger' }] })).toEqual([
      {
        path: 'custom_hooks[0].type',
        message: `unknown hook type 'Logger' (did you mean 'LoggerHook'?); ${KNOWN_HOOKS}`,
      },
    ])
  })

  it('says plainly when a known MMEngine hook is not provided', () => {
    expect(issues({ custom_hooks: [{ type: 'ProfilerHook' }] })).toEqual([
      {
        path: 'custom_hooks[0].type',
        message: "hook type 'ProfilerHook' is not available in loopwright yet: PyTorch-profiler specific; not planned",
      },
    ])
  })

  it("decodes MMSelfSup's hooks with their arguments checked", () => {
    expect(accepted({ custom_hooks: [{ type: 'DenseCLHook', start_iters: 500 }] }).custom_hooks).toEqual([
      { type: 'DenseCLHook', start_iters: 500 },
    ])
    expect(issues({ custom_hooks: [{ type: 'DenseCLHook', start_iter: 500 }] })[0]!.message).toContain(
      "did you mean 'start_iters'",
    )
  })

  it('accepts scoped hook type names', () => {
    expect(accepted({ custom_hooks: [{ type: 'mmengine.CheckpointHook', interval: 2 }] }).custom_hooks).toEqual([
      { type: 'mmengine.CheckpointHook', interval: 2 },
    ])
  })

  it('requires a type on a custom hook', () => {
    expect(issues({ custom_hooks: [{ interval: 1 }] })).toEqual([
      { path: 'custom_hooks[0].type', message: 'required key missing (the hook type, e.g. "CheckpointHook")' },
    ])
  })

  it('rejects a hook type that is not a string', () => {
    expect(issues({ custom_hooks: [{ type: 3 }] })).toEqual([
      { path: 'custom_hooks[0].type', message: 'expected a hook type name, got 3' },
    ])
  })

  it('rejects a wrongly typed default hook argument', () => {
    expect(issues({ default_hooks: { logger: { type: 'LoggerHook', interval: 'often' } } })).toEqual([
      { path: 'default_hooks.logger.interval', message: 'expected a positive integer, got "often"' },
    ])
  })

  it('rejects an unknown default hook argument with a did-you-mean, also without `type`', () => {
    expect(issues({ default_hooks: { checkpoint: { intervall: 1 } } })).toEqual([
      { path: 'default_hooks.checkpoint.intervall', message: "unknown key (did you mean 'interval'?)" },
    ])
    expect(issues({ default_hooks: { checkpoint: { type: 'CheckpointHook', intervall: 1 } } })).toEqual([
      { path: 'default_hooks.checkpoint.intervall', message: "unknown key (did you mean 'interval'?)" },
    ])
  })

  it('checks a type-less default hook against the built-in type of its key', () => {
    expect(
      accepted({ default_hooks: { checkpoint: { max_keep_ckpts: 3 }, logger: { interval: 5 } } }).default_hooks,
    ).toEqual({ checkpoint: { max_keep_ckpts: 3 }, logger: { interval: 5 } })
  })

  it('rejects an argument to a hook that takes none, without an empty list of known keys', () => {
    const found = issues({ default_hooks: { timer: { interval: 5 } } })
    expect(found.map((i) => i.path)).toEqual(['default_hooks.timer.interval'])
    expect(found[0]?.message.startsWith('unknown key')).toBe(true)
    expect(found[0]?.message).not.toMatch(/known keys:\s*$/)
  })

  it('requires a type on a new default_hooks key', () => {
    expect(issues({ default_hooks: { extra_logger: { interval: 5 } } })).toEqual([
      {
        path: 'default_hooks.extra_logger.type',
        message: 'required key missing: a new default_hooks entry needs a `type`',
      },
    ])
  })

  it('allows None only for a built-in default hook', () => {
    expect(accepted({ default_hooks: { timer: null, sampler_seed: null } }).default_hooks).toEqual({
      timer: null,
      sampler_seed: null,
    })
    expect(issues({ default_hooks: { ema: null } })).toEqual([
      {
        path: 'default_hooks.ema',
        message:
          'None only removes a built-in default hook (runtime_info, timer, sampler_seed, ' +
          'logger, param_scheduler, checkpoint)',
      },
    ])
  })

  it('rejects priority 101 and the name SUPER at custom_hooks[0].priority', () => {
    expect(issues({ custom_hooks: [{ type: 'CheckpointHook', priority: 101 }] })).toEqual([
      { path: 'custom_hooks[0].priority', message: `expected ${PRIORITY_EXPECTATION}, got 101` },
    ])
    expect(issues({ custom_hooks: [{ type: 'CheckpointHook', priority: 'SUPER' }] })).toEqual([
      { path: 'custom_hooks[0].priority', message: `expected ${PRIORITY_EXPECTATION}, got "SUPER"` },
    ])
  })

  it('accepts priorities 0 and 100, and level names in any case', () => {
    const hooks = [
      { type: 'LoggerHook', priority: 0 },
      { type: 'LoggerHook', priority: 100 },
      { type: 'LoggerHook', priority: 'very_low' },
      { type: 'LoggerHook', priority: 'Above_Normal' },
    ]
    expect(accepted({ custom_hooks: hooks }).custom_hooks).toEqual(hooks)
  })

  it('reports a bad priority and a bad argument of the same hook together', () => {
    expect(
      issues({ custom_hooks: [{ type: 'LoggerHook' }, { type: 'LoggerHook', priority: -1, interval: 0 }] }),
    ).toEqual([
      { path: 'custom_hooks[1].priority', message: `expected ${PRIORITY_EXPECTATION}, got -1` },
      { path: 'custom_hooks[1].interval', message: 'expected a positive integer, got 0' },
    ])
  })

  it('applies a hook type’s cross-argument rules', () => {
    expect(issues({ default_hooks: { checkpoint: { save_best: ['auto', 'acc'] } } })).toEqual([
      { path: 'default_hooks.checkpoint', message: "save_best: 'auto' cannot be combined with other metric names" },
    ])
  })
})

describe('decode: train_cfg', () => {
  it('rejects a train_cfg with both type and by_epoch', () => {
    expect(issues({ train_cfg: { type: 'EpochBasedTrainLoop', by_epoch: true, max_epochs: 1 } })).toEqual([
      { path: 'train_cfg', message: 'give either `type` or `by_epoch`, not both' },
    ])
  })

  it('rejects max_epochs on an IterBasedTrainLoop, listing its keys', () => {
    expect(issues({ train_cfg: { type: 'IterBasedTrainLoop', max_iters: 10, max_epochs: 1 } })).toEqual([
      {
        path: 'train_cfg.max_epochs',
        message: 'unknown key; known keys: max_iters, type, val_begin, val_interval, dynamic_intervals',
      },
    ])
    expect(issues({ train_cfg: { type: 'IterBasedTrainLoop', max_epochs: 1 } })).toEqual([
      { path: 'train_cfg.max_iters', message: 'required key missing (a positive integer)' },
      {
        path: 'train_cfg.max_epochs',
        message: 'unknown key; known keys: max_iters, type, val_begin, val_interval, dynamic_intervals',
      },
    ])
  })

  it('rejects an unknown loop type', () => {
    expect(issues({ train_cfg: { type: 'EpochLoop', max_epochs: 1 } })).toEqual([
      { path: 'train_cfg.type', message: `expected 'EpochBasedTrainLoop' or 'IterBasedTrainLoop', got "EpochLoop"` },
    ])
  })

  it('accepts by_epoch flags and scoped loop types', () => {
    expect(
      accepted({ ...trainTriple, train_cfg: { by_epoch: true, max_epochs: 3, val_interval: 1 } }).train_cfg,
    ).toEqual({ by_epoch: true, max_epochs: 3, val_interval: 1 })
    expect(accepted({ ...trainTriple, train_cfg: { by_epoch: false, max_iters: 30 } }).train_cfg).toEqual({
      by_epoch: false,
      max_iters: 30,
    })
    expect(
      accepted({ ...trainTriple, train_cfg: { type: 'mmengine.IterBasedTrainLoop', max_iters: 30 } }).train_cfg,
    ).toEqual({ type: 'mmengine.IterBasedTrainLoop', max_iters: 30 })
  })

  it('rejects a train_cfg with neither type nor by_epoch', () => {
    expect(issues({ train_cfg: { max_epochs: 3 } })).toEqual([
      {
        path: 'train_cfg',
        message: "needs type='EpochBasedTrainLoop' or type='IterBasedTrainLoop' (or by_epoch=True/False)",
      },
    ])
    expect(issues({ train_cfg: { max_iters: 3 } })).toEqual([
      { path: 'train_cfg', message: "needs type='IterBasedTrainLoop' (or by_epoch=False) to use max_iters" },
    ])
    expect(issues({ train_cfg: { by_epoch: 'yes', max_epochs: 3 } })).toEqual([
      { path: 'train_cfg.by_epoch', message: 'expected a boolean (true or false), got "yes"' },
    ])
  })

  it('requires dynamic_intervals milestones to increase strictly', () => {
    const loop = (dynamic_intervals: unknown) => ({
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 10, dynamic_intervals },
    })
    expect(
      issues(
        loop([
          [5, 2],
          [5, 1],
        ]),
      ),
    ).toEqual([{ path: 'train_cfg.dynamic_intervals', message: 'milestones must increase strictly' }])
    expect(
      issues(
        loop([
          [6, 2],
          [3, 1],
        ]),
      ),
    ).toEqual([{ path: 'train_cfg.dynamic_intervals', message: 'milestones must increase strictly' }])
    expect(issues(loop([[6, 0]]))).toEqual([
      {
        path: 'train_cfg.dynamic_intervals[0]',
        message: 'expected a (milestone, interval) pair of positive integers, got [6,0]',
      },
    ])
    expect(
      accepted({
        ...trainTriple,
        ...loop([
          [3, 2],
          [8, 1],
        ]),
      }).train_cfg,
    ).toEqual({
      type: 'EpochBasedTrainLoop',
      max_epochs: 10,
      dynamic_intervals: [
        [3, 2],
        [8, 1],
      ],
    })
  })
})

describe('decode: the cross-key rules of Runner.__init__ (spec §1.2)', () => {
  it('requires train_dataloader, train_cfg and optim_wrapper all or none', () => {
    const { train_cfg: _cfg, optim_wrapper: _ow, ...onlyLoader } = trainTriple
    expect(issues(onlyLoader)).toEqual([
      {
        path: 'train_cfg',
        message:
          'required key missing: train_dataloader, train_cfg, optim_wrapper must be all ' +
          'set or all omitted (train_dataloader is set)',
      },
    ])
    const { train_dataloader: _dl, ...noLoader } = trainTriple
    expect(issues(noLoader)).toEqual([
      {
        path: 'train_dataloader',
        message:
          'required key missing: train_dataloader, train_cfg, optim_wrapper must be all ' +
          'set or all omitted (train_cfg, optim_wrapper are set)',
      },
    ])
    expect(accepted(trainTriple).train_cfg).toEqual(trainTriple.train_cfg)
  })

  it('counts None as not set', () => {
    expect(issues({ ...trainTriple, optim_wrapper: null })).toEqual([
      {
        path: 'optim_wrapper',
        message:
          'required key missing: train_dataloader, train_cfg, optim_wrapper must be all ' +
          'set or all omitted (train_dataloader, train_cfg are set)',
      },
    ])
    expect(accepted({ train_dataloader: null, train_cfg: null, optim_wrapper: null })).toEqual({
      train_dataloader: null,
      train_cfg: null,
      optim_wrapper: null,
    })
  })

  it('applies the same rule to the val and test triples', () => {
    expect(issues({ val_dataloader: { batch_size: 1, dataset: 'd' }, val_cfg: {} })).toEqual([
      {
        path: 'val_evaluator',
        message:
          'required key missing: val_dataloader, val_cfg, val_evaluator must be all set or ' +
          'all omitted (val_dataloader, val_cfg are set)',
      },
    ])
    expect(issues({ test_evaluator: { type: 'Accuracy' } })).toEqual([
      {
        path: 'test_dataloader',
        message:
          'required key missing: test_dataloader, test_cfg, test_evaluator must be all set ' +
          'or all omitted (test_evaluator is set)',
      },
    ])
  })

  it('rejects param_scheduler without an optim_wrapper', () => {
    expect(issues({ param_scheduler: [{ type: 'LinearLR' }] })).toEqual([
      { path: 'param_scheduler', message: 'param_scheduler needs an optim_wrapper to schedule' },
    ])
    expect(accepted({ param_scheduler: null })).toEqual({ param_scheduler: null })
  })

  it('rejects an enabled auto_scale_lr without a train_dataloader', () => {
    expect(issues({ auto_scale_lr: { base_batch_size: 256, enable: true } })).toEqual([
      { path: 'auto_scale_lr', message: 'auto_scale_lr needs train_dataloader.batch_size' },
    ])
    expect(accepted({ auto_scale_lr: { base_batch_size: 256, enable: false } })).toEqual({
      auto_scale_lr: { base_batch_size: 256, enable: false },
    })
  })

  it('checks the cross-key rules only once every section decodes', () => {
    expect(issues({ param_scheduler: [{ type: 'LinearLR' }], log_level: 'x' })).toEqual([
      { path: 'log_level', message: 'expected one of "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", got "x"' },
    ])
  })
})

describe('decode: optim_wrapper', () => {
  const withWrapper = (optim_wrapper: unknown) => ({ ...trainTriple, optim_wrapper })

  it('rejects loss_scale on a plain OptimWrapper', () => {
    expect(
      issues(withWrapper({ type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.1 }, loss_scale: 'dynamic' })),
    ).toEqual([
      { path: 'optim_wrapper', message: "loss_scale is only accepted by AmpOptimWrapper (type is 'OptimWrapper')" },
    ])
    expect(issues(withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, dtype: 'float16' }))).toEqual([
      { path: 'optim_wrapper', message: "dtype is only accepted by AmpOptimWrapper (type is 'OptimWrapper')" },
    ])
  })

  it('rejects clip_grad=dict(clip_value=0.2) without type (the MMEngine docs pitfall)', () => {
    expect(issues(withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { clip_value: 0.2 } }))).toEqual([
      {
        path: 'optim_wrapper.clip_grad.type',
        message: "required key missing: clip_value needs type='value' (norm clipping is the default type)",
      },
    ])
  })

  it("accepts value clipping with type='value' and norm clipping without a type", () => {
    expect(
      accepted(withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { type: 'value', clip_value: 0.2 } }))
        .optim_wrapper,
    ).toEqual({
      optimizer: { type: 'SGD', lr: 0.1 },
      clip_grad: { type: 'value', clip_value: 0.2 },
    })
    expect(
      accepted(withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { max_norm: 35, norm_type: 'inf' } }))
        .optim_wrapper,
    ).toEqual({
      optimizer: { type: 'SGD', lr: 0.1 },
      clip_grad: { max_norm: 35, norm_type: 'inf' },
    })
  })

  it('reports the bad max_norm with its full path', () => {
    const result = decode(
      withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { max_norm: '0.2x' } }),
      defaultRegistries,
    )
    if (result._tag === 'Right') throw new Error('expected a failure')
    expect(result.left.message).toBe('optim_wrapper.clip_grad.max_norm: expected a positive number, got "0.2x"')
  })

  it('accepts a GradScaler dict as loss_scale on AmpOptimWrapper and checks its factors', () => {
    const scaler = { init_scale: 65536.0, growth_factor: 2.0, backoff_factor: 0.5, growth_interval: 2000 }
    expect(
      accepted(withWrapper({ type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 0.1 }, loss_scale: scaler }))
        .optim_wrapper,
    ).toEqual({
      type: 'AmpOptimWrapper',
      optimizer: { type: 'SGD', lr: 0.1 },
      loss_scale: scaler,
    })
    expect(
      issues(
        withWrapper({ type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 0.1 }, loss_scale: { growth_factor: 1 } }),
      ),
    ).toEqual([{ path: 'optim_wrapper.loss_scale.growth_factor', message: 'expected a number > 1, got 1' }])
  })

  it('rejects an optim_wrapper without optimizer or constructor', () => {
    expect(issues(withWrapper({ type: 'OptimWrapper' }))).toEqual([
      { path: 'optim_wrapper', message: 'needs an `optimizer` dict (or a `constructor` that builds the optimizers)' },
    ])
  })

  it('rejects several named wrappers without a constructor', () => {
    const wrappers = {
      generator: { optimizer: { type: 'Adam', lr: 1e-4 } },
      discriminator: { optimizer: { type: 'Adam', lr: 4e-4 } },
    }
    expect(issues(withWrapper(wrappers))).toEqual([
      {
        path: 'optim_wrapper',
        message:
          'several named optimizer wrappers need a `constructor` (OptimWrapperDict), or ' +
          'give one wrapper with an `optimizer` key',
      },
    ])
    expect(accepted(withWrapper({ constructor: 'MultiOptimWrapperConstructor', ...wrappers })).optim_wrapper).toEqual({
      constructor: 'MultiOptimWrapperConstructor',
      ...wrappers,
    })
  })

  it('checks paramwise_cfg custom_keys multipliers', () => {
    expect(
      issues(
        withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, paramwise_cfg: { custom_keys: { bias: { lr_mult: -1 } } } }),
      ),
    ).toEqual([
      { path: 'optim_wrapper.paramwise_cfg.custom_keys.bias', message: 'lr_mult: expected a number ≥ 0, got -1' },
    ])
    expect(issues(withWrapper({ optimizer: { type: 'SGD', lr: 0.1 }, paramwise_cfg: { lr_mult: 0.1 } }))).toEqual([
      {
        path: 'optim_wrapper.paramwise_cfg.lr_mult',
        message:
          'unknown key; known keys: custom_keys, bias_lr_mult, bias_decay_mult, ' +
          'norm_decay_mult, dwconv_decay_mult, flat_decay_mult, dcn_offset_lr_mult, ' +
          'bypass_duplicate, layer_decay_rate',
      },
    ])
  })
})

describe('decode: log_processor', () => {
  it('rejects custom_cfg with `method` instead of `method_name`, with a did-you-mean', () => {
    expect(
      issues({ log_processor: { custom_cfg: [{ data_src: '', method: 'mean', window_size: 'global' }] } }),
    ).toEqual([
      {
        path: 'log_processor.custom_cfg[0].method_name',
        message: 'required key missing (one of "mean", "max", "min", "current")',
      },
      { path: 'log_processor.custom_cfg[0].method', message: "unknown key (did you mean 'method_name'?)" },
    ])
  })

  it('rejects two custom_cfg entries with the same log name', () => {
    expect(
      issues({
        log_processor: {
          custom_cfg: [
            { data_src: 'loss', method_name: 'mean' },
            { data_src: 'loss', method_name: 'max' },
          ],
        },
      }),
    ).toEqual([
      {
        path: 'log_processor',
        message: "custom_cfg: log_name 'loss' appears twice; each entry needs its own log_name",
      },
    ])
  })
})

describe('decode: allowVariables (code configs)', () => {
  it('accepts helper variables that are not close to a config key, and reports them', () => {
    const config = accepted(
      { lr: 0.1, optimizer: { type: 'SGD', lr: 0.1 }, data_root: 'data/imagenet/', log_level: 'INFO' },
      { allowVariables: true },
    )
    expect(config).toEqual({
      lr: 0.1,
      optimizer: { type: 'SGD', lr: 0.1 },
      data_root: 'data/imagenet/',
      log_level: 'INFO',
    })
    expect(variablesOf(config, defaultRegistries)).toEqual(['lr', 'optimizer', 'data_root'])
  })

  it('still rejects a name close to a config key', () => {
    expect(issues({ param_schedular: [], lr: 0.1 }, { allowVariables: true })).toEqual([
      { path: 'param_schedular', message: "unknown key (did you mean 'param_scheduler'?)" },
    ])
    expect(issues({ custom_hook: [] }, { allowVariables: true })).toEqual([
      { path: 'custom_hook', message: "unknown key (did you mean 'custom_hooks'?)" },
    ])
  })

  it('still decodes the known sections', () => {
    expect(issues({ lr: 0.1, log_level: 'loud' }, { allowVariables: true })).toEqual([
      { path: 'log_level', message: 'expected one of "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", got "loud"' },
    ])
  })

  it('does not accept helper variables by default', () => {
    expect(issues({ lr: 0.1 }, { allowVariables: false })).toEqual([{ path: 'lr', message: 'unknown key' }])
  })

  it('still rejects reserved names', () => {
    expect(issues({ text: 'x' }, { allowVariables: true })).toEqual([
      { path: 'text', message: "'text' is reserved by MMEngine's Config and cannot be a config key" },
    ])
  })
})

describe('decode: the reference scenarios (test/fixtures/conformance/mmengine)', () => {
  it.each(['s01_sgd_momentum.json', 's02_adamw_paramwise.json', 's04_grad_accum.json', 's05_linear_cosine.json'])(
    '%s decodes unchanged',
    (name) => {
      const { config } = fixture(name)
      expect(accepted(config)).toEqual(config)
    },
  )

  it('s11: rejects `grad_scaler` (scenario metadata, not a config section) as an unknown key', () => {
    expect(issues(fixture('s11_grad_scaler.json').config)).toEqual([{ path: 'grad_scaler', message: 'unknown key' }])
  })

  it('s11 minus `grad_scaler`: only the train triple rule fails (it has no train_dataloader or train_cfg)', () => {
    const { grad_scaler: _meta, ...config } = fixture('s11_grad_scaler.json').config
    expect(issues(config)).toEqual([
      {
        path: 'train_dataloader',
        message:
          'required key missing: train_dataloader, train_cfg, optim_wrapper must be all ' +
          'set or all omitted (optim_wrapper is set)',
      },
    ])
  })

  it('s11 minus `grad_scaler`, completed with s01’s train loader and loop, decodes', () => {
    const { grad_scaler: _meta, ...config } = fixture('s11_grad_scaler.json').config
    const s01 = fixture('s01_sgd_momentum.json').config
    const completed = { ...config, train_dataloader: s01['train_dataloader'], train_cfg: s01['train_cfg'] }
    expect(accepted(completed)).toEqual(completed)
    expect(accepted(completed).optim_wrapper).toEqual({
      type: 'AmpOptimWrapper',
      loss_scale: 'dynamic',
      optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9, weight_decay: 0.0001 },
    })
  })
})
