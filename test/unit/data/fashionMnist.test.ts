import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { datasetSize } from '../../../src/data/catalog.js'
import * as FashionMnist from '../../../src/data/fashionMnist.js'
import { type DataError, encodeIdx } from '../../../src/data/idx.js'
import * as Datasets from '../../../src/data/registry.js'

describe('FashionMNIST from the fashion-mnist package', () => {
  it('splits 6 000 / 1 000 per class, interleaved by class, as a config names it', async () => {
    const train = await Effect.runPromise(
      Datasets.build({ type: 'FashionMNIST', split: 'train' }, 'train_dataloader.dataset'),
    )
    const test = await Effect.runPromise(
      Datasets.build({ type: 'mmpretrain.FashionMNIST', test_mode: true }, 'val_dataloader.dataset'),
    )
    expect([train.name, train.length, test.name, test.length]).toEqual([
      'FashionMNIST (train)',
      60000,
      'FashionMNIST (test)',
      10000,
    ])
    expect(train.sampleShape).toEqual([28, 28, 1])
    expect([
      datasetSize({ type: 'FashionMNIST' }),
      datasetSize({ type: 'FashionMNIST', split: 'test', indices: 7 }),
    ]).toEqual([60000, 7])
    if (train.targets.kind !== 'class' || test.targets.kind !== 'class') throw new Error('class targets expected')
    expect(Array.from(train.targets.labels.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    const counts = new Array<number>(10).fill(0)
    for (const l of test.targets.labels) counts[l]! += 1
    expect(counts).toEqual(new Array<number>(10).fill(1000))
    expect(test.metainfo).toEqual({ classes: [...FashionMnist.CLASSES] })
    // No image is in both splits: compare a fingerprint of every image.
    const key = (ds: typeof train, i: number) =>
      Buffer.from(ds.inputs.subarray(i * 784, (i + 1) * 784)).toString('base64')
    const trainKeys = new Set(Array.from({ length: train.length }, (_, i) => key(train, i)))
    const shared = Array.from({ length: test.length }, (_, i) => key(test, i)).filter((k) => trainKeys.has(k)).length
    // Fashion-MNIST has a few exact duplicate images; the split itself shares no stored row.
    expect(shared).toBeLessThan(20)
    const few = await Effect.runPromise(Datasets.build({ type: 'FashionMNIST', split: 'test', indices: 20 }, 'd'))
    expect(few.length).toBe(20)
  })
})

describe('FashionMNIST parts', () => {
  it('parses a class file, skipping empty rows and naming bad ones', () => {
    const row = new Array<number>(784).fill(7)
    const parsed = FashionMnist.parseClassFile(JSON.stringify({ data: [row, [], row] }), '0.json')
    expect(parsed).toBeInstanceOf(Uint8Array)
    expect((parsed as Uint8Array).length).toBe(2 * 784)
    expect((FashionMnist.parseClassFile(JSON.stringify({ data: [[1, 2]] }), '3.json') as DataError).message).toBe(
      '3.json: row 0 is not 784 bytes',
    )
    const bad = [...row]
    bad[5] = 300
    expect((FashionMnist.parseClassFile(JSON.stringify({ data: [bad] }), '3.json') as DataError).message).toBe(
      '3.json: row 0, pixel 5 is 300, not a byte',
    )
    expect((FashionMnist.parseClassFile('{', '3.json') as DataError).message).toMatch(/^3\.json: not valid JSON/)
  })
  it('fromClasses takes the last 1 000 of each class as the test set', () => {
    const classes = Array.from({ length: 10 }, (_, c) => {
      const rows = new Uint8Array(FashionMnist.PER_CLASS * 784)
      for (let j = 0; j < FashionMnist.PER_CLASS; j++) {
        rows[j * 784] = j % 256
        rows[j * 784 + 1] = c
      }
      return rows
    })
    const test = FashionMnist.fromClasses('test', classes)
    expect(test.length).toBe(10000)
    // Sample 0 is class 0's image 6000 (6000 mod 256 = 112).
    expect(test.inputs[0]).toBe(6000 % 256)
    expect(test.inputs[784 + 1]).toBe(1)
  })
  it('reads the official IDX files from data_root', async () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'fmnist-'))
    fs.writeFileSync(
      nodePath.join(dir, 't10k-images-idx3-ubyte'),
      encodeIdx([2, 28, 28], new Uint8Array(2 * 784).fill(9)),
    )
    fs.writeFileSync(nodePath.join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.from([9, 0])))
    const ds = await Effect.runPromise(Datasets.build({ type: 'FashionMNIST', split: 'test', data_root: dir }, 'd'))
    expect([ds.length, ds.targets.kind === 'class' && Array.from(ds.targets.labels)]).toEqual([2, [9, 0]])
    const [missing] = await Effect.runPromise(
      Effect.flip(Datasets.build({ type: 'FashionMNIST', data_root: dir }, 'd')),
    )
    expect(missing).toEqual({
      path: 'd',
      message: `${nodePath.join(dir, 'train-images-idx3-ubyte')}: cannot read: no such file`,
    })
    fs.rmSync(dir, { recursive: true })
  })
})
