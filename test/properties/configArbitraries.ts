/**
 * Arbitraries for valid MMEngine-style configs and for single mutations that
 * make them invalid at a known path.
 */
import fc from 'fast-check'
import { priorityInput } from './arbitraries.js'

type Dict = { [key: string]: unknown }

const dataloader = fc.record(
  {
    batch_size: fc.integer({ min: 1, max: 512 }),
    num_workers: fc.integer({ min: 0, max: 8 }),
    drop_last: fc.boolean(),
    sampler: fc.oneof(
      fc.record(
        {
          type: fc.constant('DefaultSampler'),
          shuffle: fc.boolean(),
          seed: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
        },
        { requiredKeys: ['type'] },
      ),
      fc.record({ type: fc.constant('InfiniteSampler'), shuffle: fc.boolean() }, { requiredKeys: ['type'] }),
    ),
    dataset: fc.record({
      type: fc.constantFrom('MNIST', 'ImageNet', 'ArrayDataset'),
      data_root: fc.constantFrom('data/', 'data/imagenet/'),
    }),
  },
  { requiredKeys: ['batch_size', 'dataset'] },
)

const trainCfg = fc.oneof(
  fc.record(
    {
      type: fc.constant('EpochBasedTrainLoop'),
      max_epochs: fc.integer({ min: 1, max: 300 }),
      val_interval: fc.integer({ min: 1, max: 10 }),
      val_begin: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: ['type', 'max_epochs'] },
  ),
  fc.record(
    {
      type: fc.constant('IterBasedTrainLoop'),
      max_iters: fc.integer({ min: 1, max: 100000 }),
      val_interval: fc.integer({ min: 1, max: 5000 }),
    },
    { requiredKeys: ['type', 'max_iters'] },
  ),
  fc.record({ by_epoch: fc.constant(true), max_epochs: fc.integer({ min: 1, max: 300 }) }),
)

const optimizer = fc.oneof(
  fc.record({
    type: fc.constant('SGD'),
    lr: fc.double({ min: 1e-5, max: 1, noNaN: true }),
    momentum: fc.constantFrom(0, 0.9),
    weight_decay: fc.constantFrom(0, 1e-4),
  }),
  fc.record({
    type: fc.constant('AdamW'),
    lr: fc.double({ min: 1e-5, max: 1e-2, noNaN: true }),
    betas: fc.constant([0.9, 0.999]),
    weight_decay: fc.constantFrom(0.05, 0.01),
  }),
  fc.record({
    type: fc.constant('LARS'),
    lr: fc.constantFrom(4.8, 0.3),
    momentum: fc.constant(0.9),
    weight_decay: fc.constant(1e-6),
  }),
)

const optimWrapper = fc
  .record(
    {
      type: fc.constantFrom('OptimWrapper', 'AmpOptimWrapper'),
      optimizer,
      accumulative_counts: fc.integer({ min: 1, max: 8 }),
      clip_grad: fc.oneof(
        fc.constant(null),
        fc.record(
          { max_norm: fc.double({ min: 0.1, max: 100, noNaN: true }), norm_type: fc.constantFrom(2, 1, 'inf') },
          { requiredKeys: ['max_norm'] },
        ),
        fc.record({ type: fc.constant('value'), clip_value: fc.double({ min: 0.01, max: 10, noNaN: true }) }),
      ),
      paramwise_cfg: fc.record(
        {
          custom_keys: fc.dictionary(
            fc.constantFrom('bias', 'norm', 'pos_embed', 'bn'),
            fc.record({ decay_mult: fc.constantFrom(0, 1), lr_mult: fc.constantFrom(0.1, 1, 2) }, { requiredKeys: [] }),
          ),
          bias_decay_mult: fc.constantFrom(0, 0.5),
          norm_decay_mult: fc.constantFrom(0, 1),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['optimizer'] },
  )
  .map((w) => (w.type === 'AmpOptimWrapper' ? { ...w, loss_scale: 'dynamic' } : w))

const scheduler = fc.oneof(
  fc.record({
    type: fc.constant('LinearLR'),
    start_factor: fc.constantFrom(0.001, 0.1),
    by_epoch: fc.boolean(),
    begin: fc.constant(0),
    end: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({
    type: fc.constant('CosineAnnealingLR'),
    T_max: fc.integer({ min: 1, max: 300 }),
    eta_min: fc.constant(0),
    by_epoch: fc.constant(true),
    begin: fc.integer({ min: 0, max: 10 }),
    end: fc.integer({ min: 11, max: 300 }),
  }),
)

const hookArgs = {
  LoggerHook: fc.record(
    { interval: fc.integer({ min: 1, max: 100 }), ignore_last: fc.boolean() },
    { requiredKeys: [] },
  ),
  CheckpointHook: fc.record(
    {
      interval: fc.integer({ min: -1, max: 50 }),
      max_keep_ckpts: fc.integer({ min: -1, max: 5 }),
      by_epoch: fc.boolean(),
      save_last: fc.boolean(),
      save_begin: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: [] },
  ),
  IterTimerHook: fc.constant({}),
}

const hookEntry = (type: keyof typeof hookArgs) =>
  fc
    .tuple(hookArgs[type], fc.option(priorityInput, { nil: undefined }))
    .map(([args, priority]) => ({ type, ...args, ...(priority === undefined ? {} : { priority }) }))

const defaultHooks = fc.record(
  {
    timer: fc.oneof(fc.constant(null), hookEntry('IterTimerHook')),
    logger: hookEntry('LoggerHook'),
    checkpoint: hookEntry('CheckpointHook'),
  },
  { requiredKeys: [] },
)

/** A valid config: the train triple always, optionally val/test triples and the environment keys. */
export const validConfig: fc.Arbitrary<Dict> = fc
  .record(
    {
      train_dataloader: dataloader,
      train_cfg: trainCfg,
      optim_wrapper: optimWrapper,
      param_scheduler: fc.option(fc.array(scheduler, { minLength: 1, maxLength: 3 }), { nil: undefined }),
      val: fc.option(fc.tuple(dataloader, fc.record({ type: fc.constant('Accuracy'), topk: fc.constant([1, 5]) })), {
        nil: undefined,
      }),
      default_hooks: defaultHooks,
      custom_hooks: fc.array(hookEntry('LoggerHook'), { maxLength: 2 }),
      randomness: fc.record(
        { seed: fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: null }), deterministic: fc.boolean() },
        { requiredKeys: [] },
      ),
      log_processor: fc.record(
        {
          window_size: fc.integer({ min: 1, max: 50 }),
          by_epoch: fc.boolean(),
          num_digits: fc.integer({ min: 0, max: 8 }),
        },
        { requiredKeys: [] },
      ),
      work_dir: fc.constantFrom('work_dirs/exp', './out'),
      resume: fc.boolean(),
      load_from: fc.option(fc.constant('ckpt/epoch_1.safetensors'), { nil: null }),
      default_scope: fc.constantFrom('mmselfsup', 'mmengine'),
      log_level: fc.constantFrom('INFO', 'DEBUG'),
      auto_scale_lr: fc.record(
        { base_batch_size: fc.integer({ min: 1, max: 4096 }), enable: fc.boolean() },
        { requiredKeys: ['base_batch_size'] },
      ),
    },
    { requiredKeys: ['train_dataloader', 'train_cfg', 'optim_wrapper'] },
  )
  .map(({ val, ...rest }) => {
    const cfg: Dict = { model: { type: 'MAE', backbone: { type: 'MAEViT', arch: 'b' } }, ...rest }
    for (const [k, v] of Object.entries(cfg)) if (v === undefined) delete cfg[k]
    if (val !== undefined) {
      cfg['val_dataloader'] = val[0]
      cfg['val_evaluator'] = val[1]
      cfg['val_cfg'] = {}
    }
    return cfg
  })

/** A mutation: where it happens and what it does to a config (in place on a deep copy). */
export interface Mutation {
  readonly path: string
  readonly apply: (cfg: Dict) => void
}

const at = (cfg: Dict, keys: ReadonlyArray<string>): Dict => keys.reduce<Dict>((d, k) => d[k] as Dict, cfg)

/** Mutations that every valid config above admits, each making it invalid at `path`. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom<Mutation>(
    {
      path: 'param_schedular',
      apply: (c) => {
        c['param_schedular'] = []
      },
    },
    {
      path: 'train_cfg',
      apply: (c) => {
        c['train_cfg'] = 'EpochBasedTrainLoop'
      },
    },
    {
      path: 'train_dataloader.batch_size',
      apply: (c) => {
        at(c, ['train_dataloader'])['batch_size'] = 0
      },
    },
    {
      path: 'train_dataloader.batch_size',
      apply: (c) => {
        at(c, ['train_dataloader'])['batch_size'] = '64'
      },
    },
    {
      path: 'train_dataloader.batchsize',
      apply: (c) => {
        at(c, ['train_dataloader'])['batchsize'] = 64
      },
    },
    {
      path: 'optim_wrapper.optimizer.type',
      apply: (c) => {
        at(c, ['optim_wrapper', 'optimizer'])['type'] = 42
      },
    },
    {
      path: 'optim_wrapper.accumulative_counts',
      apply: (c) => {
        at(c, ['optim_wrapper'])['accumulative_counts'] = -2
      },
    },
    {
      path: 'optim_wrapper.clip_grad.max_norm',
      apply: (c) => {
        at(c, ['optim_wrapper'])['clip_grad'] = { max_norm: '0.2x' }
      },
    },
    {
      path: 'optim_wrapper.clip_grad.type',
      apply: (c) => {
        at(c, ['optim_wrapper'])['clip_grad'] = { type: 'l2', max_norm: 1 }
      },
    },
    {
      path: 'default_hooks.logger.interval',
      apply: (c) => {
        c['default_hooks'] = { logger: { type: 'LoggerHook', interval: 2.5 } }
      },
    },
    {
      path: 'default_hooks.checkpoint.intervall',
      apply: (c) => {
        c['default_hooks'] = { checkpoint: { type: 'CheckpointHook', intervall: 1 } }
      },
    },
    {
      path: 'custom_hooks[0].type',
      apply: (c) => {
        c['custom_hooks'] = [{ type: 'LogerHook' }]
      },
    },
    {
      path: 'custom_hooks[0].priority',
      apply: (c) => {
        c['custom_hooks'] = [{ type: 'LoggerHook', priority: 101 }]
      },
    },
    {
      path: 'custom_hooks[0].priority',
      apply: (c) => {
        c['custom_hooks'] = [{ type: 'LoggerHook', priority: 'SUPER' }]
      },
    },
    {
      path: 'randomness.seed',
      apply: (c) => {
        c['randomness'] = { seed: -1 }
      },
    },
    {
      path: 'log_processor.window_size',
      apply: (c) => {
        c['log_processor'] = { window_size: 0 }
      },
    },
    {
      path: 'val_dataloader',
      apply: (c) => {
        c['val_cfg'] = {}
        c['val_evaluator'] = { type: 'Accuracy' }
        delete c['val_dataloader']
      },
    },
    {
      path: 'work_dir',
      apply: (c) => {
        c['work_dir'] = 7
      },
    },
    {
      path: 'resume',
      apply: (c) => {
        c['resume'] = 'yes'
      },
    },
    {
      path: 'log_level',
      apply: (c) => {
        c['log_level'] = 'VERBOSE'
      },
    },
  ),
  fc.integer({ min: 0, max: 2 ** 31 }).map(
    (n): Mutation => ({
      path: 'train_cfg.max_epochs',
      apply: (c) => {
        c['train_cfg'] = { type: 'EpochBasedTrainLoop', max_epochs: -n - 1 }
      },
    }),
  ),
)

// ---------------------------------------------------------------------------
// Invalid values by kind, misspellings, and a runnable config: the bad-input
// fuzz suite (configFuzz.test.ts) builds its ~2,000 invalid configs from these.

/** Values of the wrong type, never `null` (several keys accept `None`). */
const strings = fc.string({ maxLength: 8 })
const fractions = fc
  .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
  .filter((x) => !Number.isInteger(x))
const containers = fc.oneof(
  fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
)

/** For each kind of value a codec accepts, values it must reject. */
export const invalid = {
  positiveInt: fc.oneof(fc.integer({ min: -1e6, max: 0 }), fractions, strings, fc.boolean(), containers),
  nonNegativeInt: fc.oneof(fc.integer({ min: -1e6, max: -1 }), fractions, strings, fc.boolean(), containers),
  int: fc.oneof(fractions, strings, fc.boolean(), containers),
  positiveNumber: fc.oneof(fc.double({ min: -1e6, max: 0, noNaN: true }), strings, fc.boolean(), containers),
  nonNegativeNumber: fc.oneof(fc.double({ min: -1e6, max: -1e-9, noNaN: true }), strings, fc.boolean(), containers),
  number: fc.oneof(strings, fc.boolean(), containers),
  unitInterval: fc.oneof(
    fc.double({ min: 1.0001, max: 1e6, noNaN: true }),
    fc.double({ min: -1e6, max: -1e-9, noNaN: true }),
    strings,
    containers,
  ),
  openUnit: fc.oneof(
    fc.double({ min: 1, max: 1e6, noNaN: true }),
    fc.double({ min: -1e6, max: 0, noNaN: true }),
    strings,
    containers,
  ),
  boolean: fc.oneof(fc.integer(), strings, fc.constantFrom('True', 'False', 'true'), containers),
  nonEmptyString: fc.oneof(fc.constant(''), fc.integer(), fc.boolean(), containers),
  dict: fc.oneof(
    fc.integer(),
    strings.filter((s) => s !== ''),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 3 }),
  ),
  list: fc.oneof(
    fc.integer(),
    strings,
    fc.boolean(),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  ),
  /** A string that is none of `allowed`, or not a string at all. */
  oneOf: (...allowed: ReadonlyArray<string>) =>
    fc.oneof(
      strings.filter((s) => !allowed.includes(s)),
      fc.integer(),
      fc.boolean(),
    ),
  /** Numbers outside [0, 1) in a pair, or not a pair. */
  betas: fc.oneof(
    fc.tuple(fc.double({ min: 1, max: 10, noNaN: true }), fc.double({ min: 0, max: 0.99, noNaN: true })),
    fc.tuple(fc.double({ min: 0, max: 0.99, noNaN: true }), fc.double({ min: -5, max: -1e-9, noNaN: true })),
    fc.array(fc.double({ min: 0, max: 0.9, noNaN: true }), { minLength: 3, maxLength: 4 }),
    strings,
  ),
} as const

/** A single-edit slip of `name` (swap, drop, double, replace a letter) that is none of `known`. */
export const misspelling = (name: string, known: ReadonlyArray<string>): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('swap', 'drop', 'double', 'replace'),
      fc.nat({ max: Math.max(0, name.length - 1) }),
      fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
    )
    .map(([op, i, letter]) => {
      const j = Math.min(i, name.length - 1)
      if (op === 'swap' && j + 1 < name.length) return name.slice(0, j) + name[j + 1]! + name[j]! + name.slice(j + 2)
      if (op === 'drop' && name.length > 3) return name.slice(0, j) + name.slice(j + 1)
      if (op === 'double') return name.slice(0, j + 1) + name[j]! + name.slice(j + 1)
      return name.slice(0, j) + letter + name.slice(j + 1)
    })
    .filter((slip) => slip !== name && !known.includes(slip) && slip.length > 0)

/** A registry name nobody registered: a slip of a known one, or a made-up CamelCase word. */
export const unknownTypeName = (
  known: ReadonlyArray<string>,
  notProvided: ReadonlyArray<string> = [],
): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.constantFrom(...known).chain((name) => misspelling(name, known)),
      fc.stringMatching(/^[A-Z][a-z]{2,7}(?:[A-Z][a-z]{2,7})?$/),
      fc
        .tuple(fc.constantFrom('mmengine', 'mmpretrain', 'mmselfsup'), fc.constantFrom(...known))
        .chain(([scope, name]) => misspelling(name, known).map((slip) => `${scope}.${slip}`)),
    )
    .filter((name) => {
      const bare = name.slice(name.lastIndexOf('.') + 1)
      return !known.includes(bare) && !notProvided.includes(bare)
    })

const rows = (n: number, width: number, seed: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => ((i * 7 + j * 3 + seed) % 11) / 10 - 0.5))

/**
 * A config loopwright can run end to end in milliseconds: the TinyRegressor on
 * four inline samples, with a varying optimizer and scheduler.
 */
export const runnableConfig: fc.Arbitrary<Dict> = fc
  .record({
    optimizer: fc.oneof(
      fc.record({
        type: fc.constant('SGD'),
        lr: fc.constantFrom(0.01, 0.1),
        momentum: fc.constantFrom(0, 0.9),
        weight_decay: fc.constantFrom(0, 1e-4),
      }),
      fc.record({
        type: fc.constantFrom('Adam', 'AdamW'),
        lr: fc.constantFrom(1e-3, 1e-2),
        betas: fc.constant([0.9, 0.999]),
        eps: fc.constant(1e-8),
        weight_decay: fc.constantFrom(0, 0.01),
      }),
    ),
    scheduler: fc.oneof(
      fc.record({
        type: fc.constant('LinearLR'),
        start_factor: fc.constantFrom(0.1, 0.5),
        end_factor: fc.constant(1),
        by_epoch: fc.constant(false),
        begin: fc.constant(0),
        end: fc.constant(2),
      }),
      fc.record({
        type: fc.constant('CosineAnnealingLR'),
        T_max: fc.constantFrom(2, 4),
        eta_min: fc.constant(0),
        by_epoch: fc.constant(false),
        begin: fc.constant(0),
        end: fc.constant(2),
      }),
      fc.record({
        type: fc.constant('StepLR'),
        step_size: fc.constantFrom(1, 2),
        gamma: fc.constantFrom(0.1, 0.5),
        by_epoch: fc.constant(false),
      }),
    ),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ optimizer, scheduler, seed }) => ({
    model: { type: 'TinyRegressor', in_features: 4, hidden: 8, out_features: 2 },
    train_dataloader: {
      batch_size: 2,
      dataset: { type: 'ArrayDataset', x: rows(4, 4, 1), y: rows(4, 2, 2) },
      sampler: { type: 'DefaultSampler', shuffle: true },
    },
    val_dataloader: {
      batch_size: 2,
      dataset: { type: 'ArrayDataset', x: rows(4, 4, 3), y: rows(4, 2, 4) },
      sampler: { type: 'DefaultSampler', shuffle: false },
    },
    val_evaluator: { type: 'MSE' },
    val_cfg: {},
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 2, val_interval: 2 },
    optim_wrapper: { optimizer },
    param_scheduler: [scheduler],
    default_hooks: { logger: { type: 'LoggerHook', interval: 1 } },
    randomness: { seed },
  }))
