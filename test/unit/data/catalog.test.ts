import { describe, expect, it } from 'vitest'
import { datasetSize, knownDataset } from '../../../src/data/catalog.js'

describe('canonical dataset sizes', () => {
  it('know the standard datasets by type, with or without a scope, and pick the split', () => {
    expect(datasetSize({ type: 'mmcls.ImageNet', ann_file: 'meta/train.txt' })).toBe(1_281_167)
    expect(datasetSize({ type: 'ImageNet', ann_file: 'meta/val.txt' })).toBe(50_000)
    expect(datasetSize({ type: 'mmpretrain.ImageNet', split: 'val' })).toBe(50_000)
    expect(datasetSize({ type: 'CIFAR10', test_mode: true })).toBe(10_000)
    expect(datasetSize({ type: 'CIFAR100' })).toBe(50_000)
    expect(datasetSize({ type: 'Places205', ann_file: 'trainvalsplit_places205/val_places205.csv' })).toBe(20_500)
    expect(datasetSize({ type: 'Places205', data_prefix: { img_path: 'train/' } })).toBe(2_448_873)
    expect(datasetSize({ type: 'MNIST', indices: 100 })).toBe(100)
    expect(datasetSize({ type: 'CustomDataset' })).toBeUndefined()
    // DeepCluster's and ODC's ImageNet (it holds their pseudo-labels): the same images.
    expect(datasetSize({ type: 'DeepClusterImageNet', ann_file: 'meta/train.txt' })).toBe(1_281_167)
    expect(knownDataset({ type: 'INaturalist2018' })?.name).toBe('iNaturalist 2018')
    expect(datasetSize({ type: 'mmcls.ImageNet', ann_file: 'meta/train_1percent.txt' })).toBe(12_811)
    expect(datasetSize({ type: 'mmcls.ImageNet', ann_file: 'meta/train_10percent.txt' })).toBe(128_116)
  })
})
