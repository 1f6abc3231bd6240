import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { decode } from '../../../src/config/index.js'
import * as Registry from '../../../src/schema/registry.js'
import { renderHookTable } from '../../../src/cli/renderPlan.js'
import { defaultHookTypes } from '../../../src/hooks/registry.js'
import { dryRun } from '../../../src/interpreters/dry/dryRun.js'
import { baseConfig, programOf } from '../interpreters/tensor/support.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

const config = {
  ...baseConfig,
  test_dataloader: baseConfig.val_dataloader,
  test_evaluator: { type: 'MSE' },
  test_cfg: {},
  custom_hooks: [
    { type: 'EarlyStoppingHook', monitor: 'mse', rule: 'less' },
    { type: 'EMAHook', momentum: 0.001, begin_iter: 10 },
    { type: 'EmptyCacheHook' },
    { type: 'SyncBuffersHook' },
    { type: 'NaiveVisualizationHook', interval: 2 },
  ],
}

describe('the common hooks in the registry and the dry run', () => {
  it('are registered and no longer listed as planned', () => {
    for (const name of ['EMAHook', 'EmptyCacheHook', 'SyncBuffersHook', 'NaiveVisualizationHook', 'EarlyStoppingHook'])
      expect(Registry.resolve(defaultHookTypes, name)._tag, name).toBe('Right')
    // MMSelfSup's hooks train too: none of the registered types is plan-only any more.
    for (const name of ['DeepClusterHook', 'ODCHook']) {
      const t = Registry.resolve(defaultHookTypes, name)
      expect(t._tag === 'Right' ? t.right.planOnly : 'missing', name).toBeUndefined()
    }
  })

  it(
    'take their class priorities (EarlyStopping LOWEST, the others NORMAL) and their ' + 'place in the hook table',
    async () => {
      const plan = await Effect.runPromise(
        dryRun(programOf(config), { datasetSizes: { train: 64, val: 32, test: 32 } }),
      )
      expect(plan.hooks.map((h) => `${h.name} ${h.priorityLabel}`)).toEqual([
        'RuntimeInfoHook VERY_HIGH',
        'IterTimerHook NORMAL',
        'DistSamplerSeedHook NORMAL',
        'EMAHook NORMAL',
        'EmptyCacheHook NORMAL',
        'SyncBuffersHook NORMAL',
        'NaiveVisualizationHook NORMAL',
        'LoggerHook BELOW_NORMAL',
        'ParamSchedulerHook LOW',
        'CheckpointHook VERY_LOW',
        'EarlyStoppingHook LOWEST',
      ])
      expect(plan.stages['after_train_iter']).toEqual([
        'RuntimeInfoHook',
        'IterTimerHook',
        'EMAHook',
        'EmptyCacheHook',
        'LoggerHook',
        'ParamSchedulerHook',
        'CheckpointHook',
      ])
      expect(plan.stages['before_val_epoch']).toEqual(['IterTimerHook', 'EMAHook', 'EmptyCacheHook', 'SyncBuffersHook'])
      expect(plan.stages['after_val_epoch']).toEqual([
        'RuntimeInfoHook',
        'IterTimerHook',
        'EMAHook',
        'EmptyCacheHook',
        'LoggerHook',
        'ParamSchedulerHook',
        'CheckpointHook',
        'EarlyStoppingHook',
      ])
      expect(plan.stages['before_save_checkpoint']).toEqual(['EMAHook'])
      expect(plan.stages['after_test_iter']).toEqual([
        'IterTimerHook',
        'EmptyCacheHook',
        'NaiveVisualizationHook',
        'LoggerHook',
      ])
      expect(plan.hooks.find((h) => h.name === 'EarlyStoppingHook')!.stages).toEqual(['before_run', 'after_val_epoch'])
      const table = renderHookTable(plan)
      expect(table).toContain(
        'before_save_checkpoint:\n(NORMAL      ) EMAHook                            \n -------------------- ',
      )
      expect(table).toContain('(LOWEST      ) EarlyStoppingHook')
      // The dry run ran every hook: checkpoints as planned, nothing drawn (no tensors in a dry run).
      expect(plan.checkpoints.map((c) => c.path)).toEqual([
        'work_dirs/config/iter_20.safetensors',
        'work_dirs/config/iter_40.safetensors',
      ])
      expect(plan.files.filter((f) => f.path.includes('/vis/'))).toEqual([])
    },
  )

  it('report bad arguments with the config path when the config is decoded', () => {
    const bad = decode(
      {
        ...config,
        custom_hooks: [
          { type: 'EMAHook', momentum: 2 },
          { type: 'EarlyStoppingHook', monitor: 'f1' },
        ],
      },
      defaultRegistries,
    )
    const lines = bad._tag === 'Left' ? bad.left.message.split('\n') : []
    expect(lines[0]).toBe('custom_hooks[0].momentum: expected a number strictly between 0 and 1, got 2')
    expect(lines[1]).toMatch(/^custom_hooks\[1\]: cannot infer whether 'f1' should be greater or less/)
  })
})
