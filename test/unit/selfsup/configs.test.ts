import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { load } from '../../../src/config/load.js'
import { toProgram } from '../../../src/config/toProgram.js'
import { fromArrays } from '../../../src/data/ArrayDataset.js'
import type { Dataset } from '../../../src/data/Dataset.js'
import { decodePipeline } from '../../../src/data/transforms/registry.js'
import * as Rng from '../../../src/dsl/Rng.js'
import { uniformValues } from '../../../src/models/init.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'
import { dryRun } from '../../../src/interpreters/dry/dryRun.js'
import { train } from '../../../src/interpreters/tensor/train.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { tempDir } from '../interpreters/tensor/support.js'

const folder = 'configs/selfsup'
/** The algorithm configs; the shared bases they inherit under `_base_/` are not configs of their own. */
const configs = readdirSync(folder, { withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.py'))
  .map((e) => e.name)
  .sort()

/**
 * A few iterations: every config's own model, pipeline, optimizer and hooks, on 16 images (batch 8, one epoch),
 * with the backbone narrowed to 4-8-16 channels (the pure-JS CPU backend of the tests is slow at full width).
 */
const quick = ['train_dataloader.batch_size=8', 'train_cfg.max_epochs=1', 'model.backbone.base_channels=4']

/**
 * 16 seeded 28×28 grey images standing in for Fashion-MNIST (whose loading is
 * tested with the dataset), with the config's own pipeline.
 */
const images = (pipelineCfg: unknown): Dataset => {
  const [values] = uniformValues(Rng.make(11), 16 * 784, 0, 255)
  const rows = Array.from({ length: 16 }, (_, i) => Array.from(values.subarray(i * 784, (i + 1) * 784), Math.round))
  const built = fromArrays(
    rows,
    Array.from({ length: 16 }, (_, i) => i % 10),
    { sampleShape: [28, 28, 1] },
  )
  if (built._tag === 'Left') throw new Error(built.left.message)
  const pipeline = decodePipeline(pipelineCfg, 'train_dataloader.dataset.pipeline')
  if (pipeline._tag === 'Left') throw new Error(JSON.stringify(pipeline.left))
  return { ...built.right, pipeline: pipeline.right }
}

/**
 * The neck (or head) narrowed to the backbone; smaller queues where a config has them (the dense queue meets every
 * grid cell of the batch); for the clustering algorithms, 4 clusters of the 16 images, a memory of 16 rows, and
 * features extracted from 16 Fashion-MNIST images (the hook loads its own dataset).
 */
const neck = ['model.neck.in_channels=16']
const clustering = ['custom_hooks.0.clustering.k=4', 'custom_hooks.0.extract_dataloader.dataset.indices=16']
const extra: { readonly [prefix: string]: ReadonlyArray<string> } = {
  densecl: [...neck, 'model.queue_len=64', 'model.neck.hid_channels=32'],
  mocov2: [...neck, 'model.queue_len=64'],
  deepcluster: [
    'model.head.in_channels=16',
    'model.head.num_classes=4',
    'custom_hooks.0.clustering.pca_dim=8',
    ...clustering,
  ],
  odc: [
    ...neck,
    'model.head.num_classes=4',
    'model.memory_bank.length=16',
    'model.memory_bank.num_classes=4',
    'model.memory_bank.min_cluster=2',
    ...clustering,
  ],
}

const pipelineOf = (raw: { readonly [key: string]: unknown }): unknown =>
  (raw['train_dataloader'] as { dataset: { pipeline: unknown } }).dataset.pipeline

beforeAll(async () => {
  await useCpu()
})

describe('configs/selfsup', () => {
  it('holds a config for every algorithm provided, on Fashion-MNIST and on MNIST', () => {
    const on = (dataset: string) =>
      configs.filter((c) => c.endsWith(`_smallcnn_${dataset}.py`)).map((c) => c.split('_')[0])
    expect(on('mnist')).toEqual(on('fashionmnist'))
    expect(configs.length).toBe(2 * on('fashionmnist').length)
    expect(on('fashionmnist')).toEqual([
      'barlowtwins',
      'byol',
      'deepcluster',
      'densecl',
      'mocov2',
      'mocov3',
      'odc',
      'simclr',
      'simsiam',
      'swav',
    ])
  })

  it.each(configs)(
    '%s dry-runs: 10 epochs of 235 iterations (234 with a queue: drop_last), its custom hooks and param groups planned',
    async (file) => {
      const loaded = await Effect.runPromise(load(join(folder, file), { registries: defaultRegistries }))
      const plan = await Effect.runPromise(dryRun(toProgram(loaded.config), { configName: file.replace(/\.py$/, '') }))
      // 60,000 images in batches of 256: 234 full ones and one of 96, which the queue configs drop.
      const dropLast = (loaded.config as { train_dataloader?: { drop_last?: boolean } }).train_dataloader?.drop_last
      expect(plan.loops.train?.maxIters).toBe(dropLast === true ? 2340 : 2350)
      expect(dropLast === true).toBe(/^(mocov2|densecl|swav)_/.test(file))
      const custom = (loaded.config as { custom_hooks?: ReadonlyArray<{ type: string }> }).custom_hooks ?? []
      for (const hook of custom) expect(plan.hooks.map((h) => h.name)).toContain(hook.type)
    },
  )

  // The MNIST twins differ only in their data bases (dry-run above); training each algorithm once is enough.
  it.each(configs.filter((c) => c.endsWith('_fashionmnist.py')))(
    '%s trains two iterations with finite losses',
    async (file) => {
      const loaded = await Effect.runPromise(
        load(join(folder, file), {
          registries: defaultRegistries,
          cfgOptions: [...quick, ...(extra[file.split('_')[0]!] ?? neck)],
        }),
      )
      const losses: number[] = []
      const result = await Effect.runPromise(
        Effect.result(
          train(toProgram(loaded.config), {
            datasets: { train: images(pipelineOf(loaded.raw)) },
            workDir: tempDir(),
            print: () => {},
            timestamp: 'test',
            afterTrainStep: (state) => void losses.push(state.outputs['loss']!),
          }),
        ),
      )
      if (result._tag === 'Failure') throw new Error(result.failure.message)
      expect(result.success.iterations).toBe(2)
      expect(losses.every(Number.isFinite)).toBe(true)
    },
    180_000,
  )
})
