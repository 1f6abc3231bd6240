/**
 * One definition per model: every model type's pure description (what the dry run plans from, without tfjs) lists
 * exactly the parameters of the model its tensor code builds, for our configs and for the knobs that change the
 * list (frozen stages, no head, widths); and a refusal of the tensor code is a refusal of the description.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'
import { describe as describeModel } from '../../../../src/models/ModelDescription.js'
import * as Models from '../../../../src/models/registry.js'
import { optimizerDescriptions } from '../../../../src/optim/optimizers/descriptions.js'
import { optimizerTypes } from '../../../../src/optim/optimizers/registry.js'
import * as Registry from '../../../../src/schema/registry.js'
import { allModelDescriptions } from '../../../../src/selfsup/algorithms/algorithmDescriptions.js'
import { allModelTypes } from '../../../../src/selfsup/algorithms/registry.js'
import { defaultBackboneDescriptions } from '../../../../src/selfsup/backbones/descriptions.js'
import { defaultBackboneTypes } from '../../../../src/selfsup/backbones/registry.js'
import { defaultComponentDescriptions } from '../../../../src/selfsup/componentDescriptions.js'
import { defaultComponentTypes } from '../../../../src/selfsup/components.js'

const modelOf = async (file: string): Promise<unknown> =>
  (await Effect.runPromise(load(file, { registries: defaultRegistries }))).config.model

/** Our configs' models, and models that exercise what changes a parameter list. */
const models = async (): Promise<ReadonlyArray<readonly [string, unknown]>> => {
  const files = [
    ...readdirSync('configs/selfsup')
      .filter((f) => f.endsWith('.py'))
      .map((f) => join('configs/selfsup', f)),
    ...readdirSync('configs/benchmarks')
      .filter((f) => f.endsWith('.py'))
      .map((f) => join('configs/benchmarks', f)),
    'configs/mnist_mlp.json',
    'configs/mnist_cnn.json',
    'test/fixtures/startup/vit_layer_decay_mnist.py',
  ]
  const loaded = await Promise.all(files.map(async (f) => [f, await modelOf(f)] as const))
  return [
    ...loaded,
    ['ResNet-20, stem and first stage frozen', { type: 'ResNet', depth: 20, num_classes: 10, frozen_stages: 1 }],
    ['ResNet-50', { type: 'ResNet', depth: 50, num_classes: 1000, stem: 'imagenet' }],
    ['TinyRegressor', { type: 'TinyRegressor', hidden: 3 }],
    [
      'ImageClassifier without a head, ResNet_CIFAR frozen',
      { type: 'ImageClassifier', backbone: { type: 'ResNet_CIFAR', depth: 8, frozen_stages: 2 } },
    ],
    [
      'SwAV with a linear projection and 100 prototypes',
      {
        type: 'SwAV',
        backbone: { type: 'SmallCNN', stages: 3 },
        neck: { type: 'SwAVNeck', in_channels: 64, hid_channels: 0, out_channels: 32 },
        head: { type: 'SwAVHead', loss: { type: 'SwAVLoss', feat_dim: 32, num_prototypes: 100 } },
      },
    ],
  ]
}

describe('model descriptions', () => {
  it('list the same types as the registries of tensor code, in the same order', () => {
    expect(Registry.names(allModelDescriptions)).toEqual(Registry.names(allModelTypes))
    expect(Registry.names(defaultComponentDescriptions)).toEqual(Registry.names(defaultComponentTypes))
    expect(Registry.names(defaultBackboneDescriptions)).toEqual(Registry.names(defaultBackboneTypes))
    expect(Registry.names(optimizerDescriptions)).toEqual(Registry.names(optimizerTypes))
  })

  it('give the parameters of the built model, for every config and knob', async () => {
    const all = await models()
    expect(all.length).toBeGreaterThan(30)
    for (const [name, model] of all) {
      const built = Models.build(model, allModelTypes)
      if (built._tag === 'Left') throw new Error(`${name}: ${JSON.stringify(built.left)}`)
      // `info` of the built model, as the tensor interpreter's optimizer constructors read it.
      const described = describeModel(model, allModelDescriptions)
      expect({ name, info: described }).toEqual({ name, info: E.right(built.right.info) })
    }
  })

  it('refuse what the tensor code refuses, as an issue at `model`', () => {
    const simSiam = {
      type: 'SimSiam',
      backbone: { type: 'SmallCNN' },
      neck: { type: 'NonLinearNeck', in_channels: 32, hid_channels: 16, out_channels: 16, vit_backbone: true },
      head: {
        type: 'LatentPredictHead',
        loss: { type: 'CosineSimilarityLoss' },
        predictor: { type: 'NonLinearNeck', in_channels: 16, hid_channels: 8, out_channels: 16 },
      },
    }
    const message = 'NonLinearNeck: vit_backbone=True is not provided (no ViT self-supervised backbone yet)'
    expect(describeModel(simSiam, allModelDescriptions)).toEqual(E.left([{ path: 'model', message }]))
    expect(() => Models.build(simSiam, allModelTypes)).toThrow(message)
    const probe = {
      type: 'ImageClassifier',
      backbone: { type: 'SmallCNN' },
      head: { type: 'LinearClsHead', num_classes: 10, in_channels: 64 },
    }
    const width = 'ImageClassifier: head.in_channels is 64, the backbone gives 32 channels'
    expect(describeModel(probe, allModelDescriptions)).toEqual(E.left([{ path: 'model', message: width }]))
    expect(() => Models.build(probe, allModelTypes)).toThrow(width)
  })

  it('decode arguments with the paths and did-you-means of the tensor registry', () => {
    const typo = { type: 'MLP', in_features: 4, num_clases: 2 }
    expect(describeModel(typo, allModelDescriptions)).toEqual(Models.build(typo, allModelTypes))
    const unknown = { type: 'SimSaim' }
    expect(describeModel(unknown, allModelDescriptions)).toEqual(Models.build(unknown, allModelTypes))
  })
})
