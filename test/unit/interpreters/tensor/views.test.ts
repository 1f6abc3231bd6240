import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Datasets from '../../../../src/data/registry.js'
import * as Preprocess from '../../../../src/data/preprocess.js'
import { gatherWith, makeLoader } from '../../../../src/interpreters/tensor/data.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(useCpu)

const config = {
  type: 'MNIST',
  split: 'test',
  indices: 16,
  pipeline: [
    { type: 'LoadImageFromFile' },
    {
      type: 'MultiView',
      num_views: [2, 2],
      transforms: [
        [
          { type: 'RandomResizedCrop', size: 28, scale: [0.2, 1] },
          { type: 'RandomFlip', prob: 0.5 },
        ],
        [{ type: 'RandomResizedCrop', size: 12, scale: [0.05, 0.3] }],
      ],
    },
    { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
  ],
}

describe('a dataset pipeline in the tensor interpreter’s loader', () => {
  it('yields preprocessed views, packed view-major as inputs, the same for the same epoch', async () => {
    const dataset = await Effect.runPromise(Datasets.build(config, 'train_dataloader.dataset'))
    const loader = makeLoader(
      dataset,
      { batch_size: 4, sampler: { type: 'DefaultSampler', shuffle: true } },
      'train_dataloader',
      { seed: 3, infinite: false },
    )
    if (loader._tag === 'Left') throw new Error(JSON.stringify(loader.left))
    const pre = Preprocess.decode({ mean: [127.5], std: [127.5] })
    if (pre._tag === 'Left') throw new Error('preprocessor')
    const gather = gatherWith(pre.right)
    const before = tf.memory().numTensors
    const indices = loader.right.batch(1, 0)
    const batch = gather(loader.right, indices, 1)
    expect(batch.views?.map((v) => v.shape)).toEqual([
      [4, 28, 28, 1],
      [4, 28, 28, 1],
      [4, 12, 12, 1],
      [4, 12, 12, 1],
    ])
    // Multi-crop: the model input packs the leading views of one size;
    // every view reaches the model through its context.
    expect(batch.inputs.shape).toEqual([8, 28, 28, 1])
    expect(batch.raw.shape).toEqual([4, 28, 28, 1])
    expect(batch.targets.shape).toEqual([4])
    const [min, max] = tf.tidy(() => [tf.min(batch.inputs).dataSync()[0]!, tf.max(batch.inputs).dataSync()[0]!])
    expect(min).toBeGreaterThanOrEqual(-1)
    expect(max).toBeLessThanOrEqual(1)
    const again = gather(loader.right, indices, 1)
    expect(Array.from(again.inputs.dataSync())).toEqual(Array.from(batch.inputs.dataSync()))
    const nextEpoch = gather(loader.right, indices, 2)
    expect(Array.from(nextEpoch.inputs.dataSync())).not.toEqual(Array.from(batch.inputs.dataSync()))
    for (const b of [batch, again, nextEpoch]) tf.dispose([b.raw, b.inputs, b.targets, ...(b.views ?? [])])
    expect(tf.memory().numTensors).toBe(before)
  })
  it('a pipeline of loading and packing only keeps the plain gather', async () => {
    const plain = await Effect.runPromise(
      Datasets.build(
        { type: 'MNIST', split: 'test', indices: 4, pipeline: [{ type: 'LoadImageFromFile' }, { type: 'PackInputs' }] },
        'd',
      ),
    )
    expect(plain.pipeline).toBeUndefined()
  })
})
