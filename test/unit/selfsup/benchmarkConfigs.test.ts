/**
 * configs/benchmarks: every kNN and linear-probe config loads and dry-runs; the probe trains only its head (the
 * backbone frozen, the neck's BatchNorm without parameters) and its twins differ only in their dataset base.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { load } from '../../../src/config/load.js'
import { toProgram } from '../../../src/config/toProgram.js'
import { dryRun } from '../../../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'
import * as Models from '../../../src/models/registry.js'
import { allModelTypes } from '../../../src/selfsup/algorithms/registry.js'

const folder = 'configs/benchmarks'
const configs = readdirSync(folder, { withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.py'))
  .map((e) => e.name)
  .sort()

const loadConfig = (file: string, cfgOptions: ReadonlyArray<string> = []) =>
  Effect.runPromise(load(join(folder, file), { registries: defaultRegistries, cfgOptions: [...cfgOptions] }))

describe('configs/benchmarks', () => {
  it.each(configs)('%s dry-runs', async (file) => {
    const loaded = await loadConfig(file)
    const plan = await Effect.runPromise(dryRun(toProgram(loaded.config), { configName: file.replace(/\.py$/, '') }))
    expect(plan.hooks.length).toBeGreaterThan(0)
  })

  it.each(['fashionmnist', 'mnist'])(
    'linear_smallcnn_%s: 10 epochs of 235 iterations; only head.fc trains, after the BatchNorm neck',
    async (dataset) => {
      const loaded = await loadConfig(`linear_smallcnn_${dataset}.py`)
      const plan = await Effect.runPromise(dryRun(toProgram(loaded.config), { configName: 'linear' }))
      expect(plan.loops.train?.maxIters).toBe(2350)
      const model = Models.build(loaded.raw['model'], allModelTypes)
      if (model._tag === 'Left') throw new Error(JSON.stringify(model.left))
      expect(model.right.info.params.filter((p) => p.requiresGrad).map((p) => p.name)).toEqual([
        'head.fc.weight',
        'head.fc.bias',
      ])
      const neck = (loaded.raw['model'] as { neck: ReadonlyArray<{ type: string }> }).neck
      expect(neck.map((n) => n.type)).toEqual(['GlobalAveragePooling', 'ClsBatchNormNeck'])
      // No augmentation: the probe sees the training images as they are.
      expect(loaded.raw['train_pipeline']).toEqual([{ type: 'PackInputs' }])
    },
  )

  it('the MNIST twins differ from the Fashion-MNIST ones only in their data and their checkpoint', async () => {
    for (const kind of ['linear', 'knn']) {
      const [fashion, mnist] = await Promise.all(
        ['fashionmnist', 'mnist'].map((d) => loadConfig(`${kind}_smallcnn_${d}.py`)),
      )
      const modelOf = (raw: { readonly [key: string]: unknown }) => {
        const { init_cfg: _checkpoint, ...model } = raw['model'] as { readonly [key: string]: unknown }
        return model
      }
      expect(modelOf(mnist!.raw)).toEqual(modelOf(fashion!.raw))
      const rest = (raw: { readonly [key: string]: unknown }) =>
        Object.keys(raw)
          .filter((k) => !['model', 'data_preprocessor', 'train_pipeline'].includes(k) && !k.endsWith('dataloader'))
          .map((k) => [k, raw[k]])
      expect(rest(mnist!.raw)).toEqual(rest(fashion!.raw))
    }
  })
})
