/**
 * The plan's ordering-hazard warnings for configs that register hooks racing for one field (our own configs in
 * test/fixtures/configs/hazards/), in the plan, its text and its JSON.
 */
import * as path from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { toProgram } from '../../../../src/config/toProgram.js'
import * as Hook from '../../../../src/dsl/Hook.js'
import * as Program from '../../../../src/dsl/Program.js'
import type { HookServices } from '../../../../src/dsl/Services.js'
import type { Touches } from '../../../../src/dsl/Touches.js'
import type { HookType } from '../../../../src/hooks/HookType.js'
import { erase } from '../../../../src/hooks/HookType.js'
import { defaultHookTypes } from '../../../../src/hooks/registry.js'
import { pinFixedLr } from '../../../../src/hooks/SimSiamHook.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'
import { planJson, renderPlan } from '../../../../src/cli/renderPlan.js'
import { struct } from '../../../../src/schema/codec.js'
import * as Registry from '../../../../src/schema/registry.js'

const dir = 'test/fixtures/configs/hazards'
const sizes = { datasetSizes: { train: 16, val: 8 } }

const planOf = async (name: string, registries = defaultRegistries) => {
  const loaded = await Effect.runPromise(load(path.join(dir, name), { registries }))
  return Effect.runPromise(dryRun(toProgram(loaded.config), { ...sizes, registries, configName: name }))
}

const hazardsIn = (warnings: ReadonlyArray<string>) =>
  warnings.filter((w) => w.includes('ordered only by registration') || w.includes('runs later in the same stage'))

describe('ordering hazards in the plan', () => {
  it('sees none between SimSiamHook (HIGH, before_train_epoch) and ParamSchedulerHook (LOW, after_*)', async () => {
    const plan = await planOf('simsiam_per_epoch.py')
    expect(plan.stages['before_train_epoch']).toContain('SimSiamHook')
    expect(hazardsIn(plan.warnings)).toEqual([])
  })

  it('with adjust_by_epoch=False: none with the scheduler; the lr recorded for the log precedes the pin', async () => {
    const plan = await planOf('simsiam_per_iter.py')
    expect(hazardsIn(plan.warnings)).toEqual([
      'before_train_iter: RuntimeInfoHook (runtime_info) reads optim.lr before SimSiamHook (custom_hooks[0]) ' +
        'writes it (SimSiamHook runs later in the same stage)',
    ])
  })

  it('warns, in the text and the JSON, when two custom hooks at one priority write optim.lr', async () => {
    const plan = await planOf('two_pins.py')
    const line =
      'before_train_epoch: SimSiamHook (custom_hooks[0]) and SimSiamHook (custom_hooks[1]) both touch optim.lr ' +
      'and are ordered only by registration (equal priority 30)'
    expect(hazardsIn(plan.warnings)).toEqual([line])
    expect(renderPlan(plan, 'two_pins.py')).toContain(`Warnings:\n  - ${line}`)
    expect(
      (JSON.parse(JSON.stringify(planJson(plan, 'two_pins.py', false))) as { warnings: string[] }).warnings,
    ).toContain(line)
  })

  it('warns when an EMA of the buffers and the buffer sync share a priority, not an EMA of weights', async () => {
    const plan = await planOf('ema_sync_buffers.py')
    expect(hazardsIn(plan.warnings)).toEqual([
      'before_val_epoch: EMAHook (custom_hooks[0]) and SyncBuffersHook (custom_hooks[1]) both touch model.buffers ' +
        'and are ordered only by registration (equal priority 50)',
    ])
    const loaded = await Effect.runPromise(
      load(path.join(dir, 'ema_sync_buffers.py'), { registries: defaultRegistries }),
    )
    const weightsOnly = toProgram({
      ...loaded.config,
      custom_hooks: [{ type: 'EMAHook' }, { type: 'SyncBuffersHook' }],
    })
    const quiet = await Effect.runPromise(dryRun(weightsOnly, sizes))
    expect(hazardsIn(quiet.warnings)).toEqual([])
  })

  describe('a hook type of the user', () => {
    const lrHook = (name: string, priority: 'LOW' | 'NORMAL', touches: Touches): HookType<unknown> =>
      erase<Record<never, never>>({
        name,
        defaultPriority: priority,
        args: struct(`${name} arguments`, {}),
        touches,
        build: (_args, site) =>
          Hook.make<HookServices>({
            name,
            key: site.key,
            priority: site.priority,
            stages: { after_train_iter: (state) => Effect.succeed(pinFixedLr(state, 0.01)) },
          }),
      })
    const withHook = async (hookType: HookType<unknown>) => {
      const registries = { ...defaultRegistries, hooks: Registry.register(defaultHookTypes, hookType) }
      const loaded = await Effect.runPromise(load(path.join(dir, 'simsiam_per_epoch.py'), { registries }))
      const program = Program.withCustomHook({ type: hookType.name, args: {} })(
        toProgram({ ...loaded.config, custom_hooks: [] }),
      )
      return Effect.runPromise(dryRun(program, { ...sizes, registries }))
    }

    it("writing optim.lr at LOW, ParamSchedulerHook's priority, after every iteration", async () => {
      const plan = await withHook(
        lrHook('LrDecayHook', 'LOW', { after_train_iter: { reads: ['optim.fix_lr'], writes: ['optim.lr'] } }),
      )
      expect(hazardsIn(plan.warnings)).toEqual([
        'after_train_iter: ParamSchedulerHook (param_scheduler) and LrDecayHook (custom_hooks[0]) both touch ' +
          'optim.lr and are ordered only by registration (equal priority 70)',
      ])
    })

    it('reading optim.lr at NORMAL, before ParamSchedulerHook steps it', async () => {
      const plan = await withHook(
        lrHook('LrProbeHook', 'NORMAL', { after_train_iter: { reads: ['optim.lr'], writes: ['own'] } }),
      )
      expect(hazardsIn(plan.warnings)).toEqual([
        'after_train_iter: LrProbeHook (custom_hooks[0]) reads optim.lr before ParamSchedulerHook (param_scheduler) ' +
          'writes it (ParamSchedulerHook runs later in the same stage)',
      ])
    })
  })

  it('keeps the default hooks free of hazards', async () => {
    const loaded = await Effect.runPromise(
      load(path.join(dir, 'simsiam_per_epoch.py'), { registries: defaultRegistries }),
    )
    const plan = await Effect.runPromise(dryRun(toProgram({ ...loaded.config, custom_hooks: [] }), sizes))
    expect(plan.hooks.map((h) => h.name)).toHaveLength(6)
    expect(hazardsIn(plan.warnings)).toEqual([])
  })
})
