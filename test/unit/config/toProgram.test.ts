import { readFileSync } from 'node:fs'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { decode } from '../../../src/config/Config.js'
import { hookSpecOf, toProgram } from '../../../src/config/toProgram.js'
import * as Loop from '../../../src/dsl/Loop.js'
import * as P from '../../../src/dsl/Priority.js'
import * as Program from '../../../src/dsl/Program.js'
import type { HookDecl } from '../../../src/dsl/Program.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

/** `toProgram(decode(cfg))`, failing the test if the config does not decode. */
const programOf = (cfg: unknown, allowVariables = false): Program.Program => {
  const decoded = decode(cfg, defaultRegistries, { allowVariables })
  if (decoded._tag === 'Left') throw new Error(`expected the config to decode, got:\n${decoded.left.message}`)
  return toProgram(decoded.right)
}

const fixture = (name: string): { readonly [key: string]: unknown } =>
  (
    JSON.parse(readFileSync(new URL(`../../fixtures/conformance/mmengine/${name}`, import.meta.url), 'utf8')) as {
      readonly config: { readonly [key: string]: unknown }
    }
  ).config

const keys = (program: Program.Program): ReadonlyArray<string> => program.hooks.map((h) => h.key)
const hook = (program: Program.Program, key: string): HookDecl | undefined => program.hooks.find((h) => h.key === key)

const trainTriple = {
  train_dataloader: { batch_size: 8, dataset: 'ArrayDataset(x, y)' },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 },
  optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.1 } },
}

describe('toProgram: default hooks (spec §2.4)', () => {
  it('gives the empty program for an empty config', () => {
    expect(programOf({})).toEqual(Program.empty)
    expect(keys(programOf({}))).toEqual([
      'runtime_info',
      'timer',
      'sampler_seed',
      'logger',
      'param_scheduler',
      'checkpoint',
    ])
  })

  it('removes a built-in hook set to None', () => {
    expect(keys(programOf({ default_hooks: { timer: null, sampler_seed: null } }))).toEqual([
      'runtime_info',
      'logger',
      'param_scheduler',
      'checkpoint',
    ])
  })

  it('replaces a built-in hook with a typed dict in place, shallowly (interval=1 is lost)', () => {
    const program = programOf({
      default_hooks: {
        checkpoint: { type: 'CheckpointHook', max_keep_ckpts: 3 },
        runtime_info: { type: 'RuntimeInfoHook' },
      },
    })
    expect(keys(program)).toEqual(['runtime_info', 'timer', 'sampler_seed', 'logger', 'param_scheduler', 'checkpoint'])
    expect(hook(program, 'checkpoint')).toEqual({
      key: 'checkpoint',
      source: 'default',
      spec: { type: 'CheckpointHook', args: { max_keep_ckpts: 3 } },
    })
  })

  it('keeps the built-in position even when the user dict lists keys in another order', () => {
    const program = programOf({
      default_hooks: {
        checkpoint: { type: 'CheckpointHook', interval: 10 },
        logger: { type: 'LoggerHook', interval: 50 },
        runtime_info: { type: 'RuntimeInfoHook' },
      },
    })
    expect(keys(program)).toEqual(['runtime_info', 'timer', 'sampler_seed', 'logger', 'param_scheduler', 'checkpoint'])
    expect(hook(program, 'logger')?.spec).toEqual({ type: 'LoggerHook', args: { interval: 50 } })
  })

  it('lets a typed dict replace a built-in with another hook type', () => {
    const program = programOf({ default_hooks: { timer: { type: 'LoggerHook', interval: 5 } } })
    expect(program.hooks[1]).toEqual({
      key: 'timer',
      source: 'default',
      spec: { type: 'LoggerHook', args: { interval: 5 } },
    })
  })

  it('adjusts the built-in hook with a type-less dict', () => {
    const program = programOf({ default_hooks: { checkpoint: { max_keep_ckpts: 3 }, logger: { interval: 7 } } })
    expect(hook(program, 'checkpoint')?.spec).toEqual({
      type: 'CheckpointHook',
      args: { interval: 1, max_keep_ckpts: 3 },
    })
    expect(hook(program, 'logger')?.spec).toEqual({ type: 'LoggerHook', args: { interval: 7 } })
    expect(hook(program, 'checkpoint')?.spec.priority).toBeUndefined()
  })

  it('lets a type-less dict override a built-in argument', () => {
    expect(hook(programOf({ default_hooks: { checkpoint: { interval: 5 } } }), 'checkpoint')?.spec).toEqual({
      type: 'CheckpointHook',
      args: { interval: 5 },
    })
  })

  it('appends an unknown key after the built-in hooks, in the user’s order', () => {
    const program = programOf({
      default_hooks: { extra_b: { type: 'LoggerHook', interval: 3 }, timer: null, extra_a: { type: 'CheckpointHook' } },
    })
    expect(keys(program)).toEqual([
      'runtime_info',
      'sampler_seed',
      'logger',
      'param_scheduler',
      'checkpoint',
      'extra_b',
      'extra_a',
    ])
    expect(hook(program, 'extra_b')).toEqual({
      key: 'extra_b',
      source: 'default',
      spec: { type: 'LoggerHook', args: { interval: 3 } },
    })
  })

  it('parses a default hook’s priority, typed or type-less', () => {
    const program = programOf({
      default_hooks: {
        checkpoint: { type: 'CheckpointHook', priority: 'high' },
        logger: { interval: 2, priority: 55 },
      },
    })
    expect(hook(program, 'checkpoint')?.spec).toEqual({ type: 'CheckpointHook', args: {}, priority: P.HIGH })
    expect(hook(program, 'logger')?.spec).toEqual({ type: 'LoggerHook', args: { interval: 2 }, priority: P.make(55) })
  })
})

describe('toProgram: custom hooks', () => {
  it('registers custom hooks after the default hooks, keyed custom_hooks[i]', () => {
    const program = programOf({
      default_hooks: { extra: { type: 'LoggerHook' } },
      custom_hooks: [{ type: 'CheckpointHook', interval: 2 }, { type: 'LoggerHook' }],
    })
    expect(keys(program)).toEqual([
      'runtime_info',
      'timer',
      'sampler_seed',
      'logger',
      'param_scheduler',
      'checkpoint',
      'extra',
      'custom_hooks[0]',
      'custom_hooks[1]',
    ])
    expect(program.hooks.slice(-2)).toEqual([
      { key: 'custom_hooks[0]', source: 'custom', spec: { type: 'CheckpointHook', args: { interval: 2 } } },
      { key: 'custom_hooks[1]', source: 'custom', spec: { type: 'LoggerHook', args: {} } },
    ])
  })

  it('parses priorities: names in any case and integers', () => {
    const program = programOf({
      custom_hooks: [
        { type: 'LoggerHook', priority: 'HIGH' },
        { type: 'LoggerHook', priority: 'very_low' },
        { type: 'LoggerHook', priority: 45 },
        { type: 'LoggerHook', priority: 30 },
        { type: 'LoggerHook' },
      ],
    })
    expect(program.hooks.filter((h) => h.source === 'custom').map((h) => h.spec.priority)).toEqual([
      P.HIGH,
      P.VERY_LOW,
      { value: 45, name: undefined },
      P.HIGH,
      undefined,
    ])
  })

  it('keeps the scoped type name as written', () => {
    expect(hook(programOf({ custom_hooks: [{ type: 'mmengine.LoggerHook' }] }), 'custom_hooks[0]')?.spec).toEqual({
      type: 'mmengine.LoggerHook',
      args: {},
    })
  })

  it('registers nothing for custom_hooks None', () => {
    expect(programOf({ custom_hooks: null }).hooks).toEqual(Program.empty.hooks)
  })
})

describe('hookSpecOf', () => {
  it('splits type and priority from the arguments and drops undefined arguments', () => {
    expect(hookSpecOf({ type: 'LoggerHook', priority: 'LOW', interval: 3, out_dir: undefined })).toEqual({
      type: 'LoggerHook',
      priority: P.LOW,
      args: { interval: 3 },
    })
    expect(Object.keys(hookSpecOf({ type: 'LoggerHook', out_dir: undefined }).args)).toEqual([])
  })

  it('merges a type-less dict into the built-in spec', () => {
    expect(
      hookSpecOf({ max_keep_ckpts: 2 }, { type: 'CheckpointHook', args: { interval: 1 }, priority: P.VERY_LOW }),
    ).toEqual({ type: 'CheckpointHook', args: { interval: 1, max_keep_ckpts: 2 }, priority: P.VERY_LOW })
    expect(
      hookSpecOf({ priority: 'HIGHEST' }, { type: 'CheckpointHook', args: { interval: 1 }, priority: P.VERY_LOW }),
    ).toEqual({ type: 'CheckpointHook', args: { interval: 1 }, priority: P.HIGHEST })
  })
})

describe('toProgram: loops (MMEngine defaults)', () => {
  it('normalises an EpochBasedTrainLoop: val_begin 1, val_interval 1, no dynamic intervals', () => {
    expect(programOf(trainTriple).trainLoop).toEqual({
      type: 'EpochBasedTrainLoop',
      max_epochs: 2,
      val_begin: 1,
      val_interval: 1,
      dynamic_intervals: [],
    })
  })

  it('normalises an IterBasedTrainLoop: val_interval 1000', () => {
    expect(programOf({ ...trainTriple, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 10 } }).trainLoop).toEqual({
      type: 'IterBasedTrainLoop',
      max_iters: 10,
      val_begin: 1,
      val_interval: 1000,
      dynamic_intervals: [],
    })
  })

  it('reads by_epoch flags and scoped types', () => {
    expect(programOf({ ...trainTriple, train_cfg: { by_epoch: true, max_epochs: 4 } }).trainLoop).toEqual(
      Loop.EpochBasedTrainLoop({ max_epochs: 4 }),
    )
    expect(programOf({ ...trainTriple, train_cfg: { by_epoch: false, max_iters: 40 } }).trainLoop).toEqual(
      Loop.IterBasedTrainLoop({ max_iters: 40 }),
    )
    expect(
      programOf({ ...trainTriple, train_cfg: { type: 'mmengine.IterBasedTrainLoop', max_iters: 40 } }).trainLoop,
    ).toEqual(Loop.IterBasedTrainLoop({ max_iters: 40 }))
  })

  it('keeps val_begin, val_interval and dynamic_intervals as given', () => {
    expect(
      programOf({
        ...trainTriple,
        train_cfg: {
          type: 'EpochBasedTrainLoop',
          max_epochs: 12,
          val_begin: 2,
          val_interval: 5,
          dynamic_intervals: [[11, 2]],
        },
      }).trainLoop,
    ).toEqual({
      type: 'EpochBasedTrainLoop',
      max_epochs: 12,
      val_begin: 2,
      val_interval: 5,
      dynamic_intervals: [[11, 2]],
    })
  })

  it('carries the data loaders and evaluators; val and test loops default to fp16=False', () => {
    const program = programOf({
      ...trainTriple,
      val_dataloader: { batch_size: 4, dataset: 'val' },
      val_cfg: {},
      val_evaluator: { type: 'Accuracy', topk: [1] },
      test_dataloader: { batch_size: 4, dataset: 'test' },
      test_cfg: { type: 'TestLoop', fp16: true },
      test_evaluator: [{ type: 'Accuracy' }],
    })
    expect(program.trainDataloader).toEqual({ batch_size: 8, dataset: 'ArrayDataset(x, y)' })
    expect(program.valLoop).toEqual({ type: 'ValLoop', fp16: false })
    expect(program.valDataloader).toEqual({ batch_size: 4, dataset: 'val' })
    expect(program.valEvaluator).toEqual({ type: 'Accuracy', topk: [1] })
    expect(program.testLoop).toEqual({ type: 'TestLoop', fp16: true })
    expect(program.testEvaluator).toEqual([{ type: 'Accuracy' }])
  })

  it('has no loops when none are configured', () => {
    const program = programOf({ train_dataloader: null, train_cfg: null, optim_wrapper: null })
    expect(program.trainLoop).toBeUndefined()
    expect(program.trainDataloader).toBeUndefined()
    expect(program.optimWrapper).toBeUndefined()
  })
})

describe('toProgram: components and settings', () => {
  it('turns param_scheduler into lists: one dict, a list, per-wrapper dicts, None', () => {
    const linear = { type: 'LinearLR', start_factor: 0.1, end: 5 }
    const cosine = { type: 'CosineAnnealingLR', begin: 5, end: 10 }
    expect(programOf({ ...trainTriple, param_scheduler: linear }).paramSchedulers).toEqual([linear])
    expect(programOf({ ...trainTriple, param_scheduler: [linear, cosine] }).paramSchedulers).toEqual([linear, cosine])
    expect(
      programOf({ ...trainTriple, param_scheduler: { generator: linear, discriminator: [linear, cosine] } })
        .paramSchedulers,
    ).toEqual({ generator: [linear], discriminator: [linear, cosine] })
    expect(programOf({ ...trainTriple, param_scheduler: null }).paramSchedulers).toEqual([])
  })

  it('fills randomness from its defaults', () => {
    expect(programOf({ randomness: { seed: 0, diff_rank_seed: true } }).randomness).toEqual({
      seed: 0,
      diff_rank_seed: true,
      deterministic: false,
    })
    expect(programOf({ randomness: { seed: null } }).randomness).toEqual({
      seed: null,
      diff_rank_seed: false,
      deterministic: false,
    })
  })

  it('reads load_from, resume, work_dir and model', () => {
    const program = programOf({
      load_from: 'ckpt/epoch_3.pth',
      resume: true,
      work_dir: './work_dirs/x',
      model: { type: 'TinyRegressor' },
    })
    expect(program.loadFrom).toBe('ckpt/epoch_3.pth')
    expect(program.resume).toBe(true)
    expect(program.workDir).toBe('./work_dirs/x')
    expect(program.model).toEqual({ type: 'TinyRegressor' })
    expect(programOf({ load_from: null }).loadFrom).toBeUndefined()
  })

  it(
    'keeps log_processor and the other environment keys as settings, but not helper ' + 'variables or structural keys',
    () => {
      const program = programOf(
        {
          ...trainTriple,
          lr: 0.1,
          data_root: 'data/',
          default_scope: 'mmselfsup',
          log_processor: { window_size: 1, by_epoch: true },
          env_cfg: { cudnn_benchmark: false },
          log_level: 'INFO',
          visualizer: { type: 'Visualizer' },
          auto_scale_lr: { base_batch_size: 256 },
          randomness: { seed: 1 },
          work_dir: './w',
        },
        true,
      )
      expect(program.settings).toEqual({
        default_scope: 'mmselfsup',
        log_processor: { window_size: 1, by_epoch: true },
        env_cfg: { cudnn_benchmark: false },
        log_level: 'INFO',
        visualizer: { type: 'Visualizer' },
        auto_scale_lr: { base_batch_size: 256 },
      })
    },
  )
})

describe('toProgram: the config route equals the TypeScript route', () => {
  it('for a full config with hooks, loops, schedulers and settings', () => {
    const cfg = {
      default_scope: 'mmselfsup',
      model: { type: 'TinyRegressor' },
      train_dataloader: {
        batch_size: 8,
        dataset: 'ArrayDataset(x, y)',
        sampler: { type: 'DefaultSampler', shuffle: false },
      },
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 3, val_interval: 2 },
      val_dataloader: { batch_size: 4, dataset: 'val' },
      val_cfg: {},
      val_evaluator: { type: 'Accuracy' },
      optim_wrapper: {
        type: 'OptimWrapper',
        optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 },
        clip_grad: { max_norm: 1 },
      },
      param_scheduler: [
        { type: 'LinearLR', start_factor: 0.001, by_epoch: false, begin: 0, end: 5 },
        { type: 'CosineAnnealingLR', by_epoch: true, begin: 0, end: 3, convert_to_iter_based: true },
      ],
      default_hooks: {
        timer: null,
        logger: { type: 'LoggerHook', interval: 1 },
        checkpoint: { max_keep_ckpts: 2 },
        extra_checkpoint: { type: 'CheckpointHook', interval: 5, priority: 'LOWEST' },
      },
      custom_hooks: [
        { type: 'LoggerHook', priority: 'HIGH', interval: 2 },
        { type: 'CheckpointHook', priority: 45 },
      ],
      randomness: { seed: 0, deterministic: true },
      log_processor: { window_size: 1, by_epoch: true },
      load_from: 'ckpt.pth',
      resume: false,
      work_dir: './work_dirs/tiny',
      log_level: 'INFO',
    }
    const byHand = pipe(
      Program.empty,
      Program.withDefaultHooks({
        timer: null,
        logger: { type: 'LoggerHook', args: { interval: 1 } },
        checkpoint: { type: 'CheckpointHook', args: { interval: 1, max_keep_ckpts: 2 } },
        extra_checkpoint: { type: 'CheckpointHook', args: { interval: 5 }, priority: P.LOWEST },
      }),
      Program.withCustomHook({ type: 'LoggerHook', args: { interval: 2 }, priority: P.HIGH }),
      Program.withCustomHook({ type: 'CheckpointHook', args: {}, priority: P.make(45) }),
      Program.withParamSchedulers(cfg.param_scheduler),
      Program.withRandomness({ seed: 0, deterministic: true }),
      Program.withCheckpointLoading({ loadFrom: 'ckpt.pth', resume: false }),
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 3, val_interval: 2 }), cfg.train_dataloader),
      Program.withValLoop(Loop.ValLoop(), cfg.val_dataloader, cfg.val_evaluator),
      Program.withModel({ type: 'TinyRegressor' }),
      Program.withOptimWrapper(cfg.optim_wrapper),
      Program.withWorkDir('./work_dirs/tiny'),
      Program.withSetting('default_scope', 'mmselfsup'),
      Program.withSetting('log_processor', { window_size: 1, by_epoch: true }),
      Program.withSetting('log_level', 'INFO'),
    )
    expect(programOf(cfg)).toEqual(byHand)
  })

  it('for an iteration-based config with helper variables', () => {
    const cfg = {
      lr: 0.1,
      train_dataloader: { batch_size: 8, dataset: 'd' },
      train_cfg: { by_epoch: false, max_iters: 10 },
      optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1 }, accumulative_counts: 4 },
      param_scheduler: { type: 'LinearLR', by_epoch: false, end: 5 },
      default_hooks: { checkpoint: { by_epoch: false, interval: 5 }, sampler_seed: null },
    }
    const byHand = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: 10 }), cfg.train_dataloader),
      Program.withDefaultHooks({
        checkpoint: { type: 'CheckpointHook', args: { interval: 5, by_epoch: false } },
        sampler_seed: null,
      }),
      Program.withOptimWrapper(cfg.optim_wrapper),
      Program.withParamSchedulers([cfg.param_scheduler]),
    )
    expect(programOf(cfg, true)).toEqual(byHand)
  })

  it.each(['s01_sgd_momentum.json', 's02_adamw_paramwise.json', 's04_grad_accum.json', 's05_linear_cosine.json'])(
    'for the reference scenario %s',
    (name) => {
      const cfg = fixture(name) as {
        readonly model: Program.ComponentConfig
        readonly train_dataloader: Program.DataloaderConfig
        readonly train_cfg: { readonly type: string; readonly max_epochs?: number; readonly max_iters?: number }
        readonly optim_wrapper: { readonly [key: string]: import('../../../src/schema/codec.js').Json }
        readonly param_scheduler: ReadonlyArray<Program.ComponentConfig> | null
        readonly log_processor: { readonly [key: string]: import('../../../src/schema/codec.js').Json }
      }
      const loop =
        cfg.train_cfg.type === 'IterBasedTrainLoop'
          ? Loop.IterBasedTrainLoop({ max_iters: cfg.train_cfg.max_iters ?? 0 })
          : Loop.EpochBasedTrainLoop({ max_epochs: cfg.train_cfg.max_epochs ?? 0 })
      const byHand = pipe(
        Program.empty,
        Program.withDefaultHooks({
          runtime_info: { type: 'RuntimeInfoHook', args: {} },
          timer: { type: 'IterTimerHook', args: {} },
          sampler_seed: { type: 'DistSamplerSeedHook', args: {} },
          logger: { type: 'LoggerHook', args: { interval: 1 } },
          param_scheduler: { type: 'ParamSchedulerHook', args: {} },
          checkpoint: { type: 'CheckpointHook', args: { interval: 1 } },
        }),
        Program.withTrainLoop(loop, cfg.train_dataloader),
        Program.withModel(cfg.model),
        Program.withOptimWrapper(cfg.optim_wrapper),
        Program.withParamSchedulers(cfg.param_scheduler ?? []),
        Program.withRandomness({ seed: 0 }),
        Program.withSetting('log_processor', cfg.log_processor),
        Program.withSetting('default_scope', 'mmengine'),
      )
      const program = programOf(cfg)
      expect(program).toEqual(byHand)
      expect(program.hooks.map((h) => h.spec.type)).toEqual([
        'RuntimeInfoHook',
        'IterTimerHook',
        'DistSamplerSeedHook',
        'LoggerHook',
        'ParamSchedulerHook',
        'CheckpointHook',
      ])
    },
  )

  it('is sensitive to differences (a different priority gives a different program)', () => {
    const cfg = { custom_hooks: [{ type: 'LoggerHook', priority: 'HIGH' }] }
    const other = pipe(Program.empty, Program.withCustomHook({ type: 'LoggerHook', args: {}, priority: P.LOW }))
    expect(programOf(cfg)).not.toEqual(other)
    expect(programOf(cfg)).toEqual(
      pipe(Program.empty, Program.withCustomHook({ type: 'LoggerHook', args: {}, priority: P.HIGH })),
    )
  })
})
