import * as path from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { toProgram } from '../../../../src/config/toProgram.js'
import { buildHooks } from '../../../../src/interpreters/buildHooks.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import { defaultHookTypes } from '../../../../src/hooks/registry.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'

const dir = path.resolve('test/fixtures/selfsup-style')
const file = path.join(dir, 'simsiam-style_resnet18_8xb32-coslr-1e_in1k.py')
const packages = new Map([['selfsupfix', path.join(dir, 'pkg')]])

const planFor = async (worldSize: number) => {
  const loaded = await Effect.runPromise(load(file, { packages, registries: defaultRegistries }))
  const program = toProgram(loaded.config)
  const plan = await Effect.runPromise(
    dryRun(program, {
      worldSize,
      configName: path.basename(file, '.py'),
      configWarnings: loaded.warnings,
      variables: loaded.variables,
      datasetSizes: {},
    }),
  )
  return { loaded, program, plan }
}

describe('an MMSelfSup-style config as shipped', () => {
  it('loads through package bases, comprehensions, a conditional block and older forms', async () => {
    const { loaded } = await planFor(8)
    expect(loaded.variables).toEqual(
      expect.arrayContaining([
        'dataset_type',
        'data_root',
        'bgr_mean',
        'file_client_args',
        'train_pipeline',
        'data',
        'lr',
      ]),
    )
    const pipeline = loaded.raw['train_pipeline'] as ReadonlyArray<{
      readonly transforms?: ReadonlyArray<ReadonlyArray<{ readonly type: string; readonly fill?: unknown }>>
    }>
    expect(pipeline[1]!.transforms![0]!.map((t) => t.type)).toEqual([
      'RandomResizedCrop',
      'ColorJitter',
      'GaussianBlur',
    ])
    expect(pipeline[1]!.transforms![0]![1]!.fill).toEqual([104, 116, 124])
    expect(loaded.config.log_processor).toMatchObject({ custom_cfg: [{ data_src: '', method_name: 'mean' }] })
  })

  it(
    'plans at the world size: sharded batches, auto_scale_lr, SwAV-free setup lines, ' + 'MMSelfSup hook priority',
    async () => {
      const { plan } = await planFor(8)
      // ImageNet-1k's 1,281,167 samples over 8 processes: 160,146 each, 5,005 batches of 32.
      expect(plan.loops.train?.batchesPerEpoch).toBe(5005)
      expect(plan.setup).toContain('world size: 8 processes (rank 0 is planned)')
      expect(plan.setup).toContain(
        "train data: 1,281,167 samples (ImageNet-1k's canonical size; --dataset-size " +
          'overrides it), 160,146 per process, batch 32 → 5,005 batches per epoch',
      )
      expect(plan.setup).toContain('auto_scale_lr: base_batch_size 256, real batch size 8×32 = 256: lr × 1')
      expect(plan.setup.some((l) => l.startsWith('config variables (not Runner keys): ') && l.includes('data'))).toBe(
        true,
      )
      expect(plan.hooks.find((h) => h.name === 'SimSiamHook')).toMatchObject({
        priorityLabel: 'HIGH',
        stages: ['before_train_epoch', 'before_train_iter'],
      })
      expect(plan.warnings.some((w) => w.includes('DeepClusterSampler'))).toBe(false)
      expect(plan.warnings.some((w) => w.includes('8xb32'))).toBe(false)
    },
  )

  it('warns when the name says 8xb32 and the world size differs, and scales the lr with the real batch', async () => {
    const { plan } = await planFor(2)
    expect(plan.loops.train?.batchesPerEpoch).toBe(Math.ceil(Math.ceil(1281167 / 2) / 32))
    expect(plan.setup).toContain('auto_scale_lr: base_batch_size 256, real batch size 2×32 = 64: lr × 0.25')
    expect(plan.optimizer[0]!.hyper['lr']).toBeCloseTo(0.0125, 12)
    expect(plan.warnings).toContain(
      "the config's name says 8xb32 (8 processes) but the plan is for world size 2; " +
        'pass --world-size 8 (or --launcher)',
    )
  })

  it(
    'warns when two MMSelfSup hooks touch one field at one stage in registration ' +
      'order only, not for the shipped SimSiam setup',
    async () => {
      const { plan } = await planFor(8)
      expect(plan.warnings.filter((w) => w.includes('ordered only by registration'))).toEqual([])
      const loaded = await Effect.runPromise(load(file, { packages, registries: defaultRegistries }))
      const hooks = [{ type: 'DenseCLHook' }, { type: 'DenseCLHook', start_iters: 10 }]
      const twice = await Effect.runPromise(
        dryRun(toProgram({ ...loaded.config, custom_hooks: hooks }), { datasetSizes: { train: 64 }, worldSize: 1 }),
      )
      expect(twice.warnings).toContain(
        'before_train_iter: DenseCLHook (custom_hooks[0]) and DenseCLHook (custom_hooks[1]) both touch ' +
          'model.loss_lambda and ' +
          'are ordered only by registration (equal priority 50)',
      )
    },
  )

  it('builds the shipped SimSiamHook for training (the real hook replaced the plan-only one)', async () => {
    const { program } = await planFor(1)
    const built = buildHooks(program, defaultHookTypes)
    expect(built._tag).toBe('Right')
  })
})
