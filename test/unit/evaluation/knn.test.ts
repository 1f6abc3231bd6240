import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { datasetSize } from '../../../src/data/catalog.js'
import * as Datasets from '../../../src/data/registry.js'
import { knnClassify, vote } from '../../../src/evaluation/knnClassifier.js'
import { buildEvaluator } from '../../../src/evaluation/registry.js'

// Three classes on three directions of the plane (angles 0°, 120°, 240°), two bank points each.
const dir = (deg: number, r = 1) => [r * Math.cos((deg * Math.PI) / 180), r * Math.sin((deg * Math.PI) / 180)]
const bank = {
  features: [dir(0), dir(10, 5), dir(120), dir(130, 0.1), dir(240), dir(250, 3)].flat(),
  labels: [0, 0, 1, 1, 2, 2],
}

describe('the weighted kNN classifier', () => {
  it('classifies points near each direction correctly, whatever their length (cosine)', () => {
    // The last query (55°, labelled 1) is closer to class 0's points (45° and 55° away)
    // than to class 1's (65°, 75°).
    const queries = { features: [dir(5, 100), dir(125, 0.01), dir(245, 7), dir(55)].flat(), labels: [0, 1, 2, 1] }
    const one = knnClassify(bank, queries, { dim: 2, k: 1, temperature: 0.07, numClasses: 3 })
    // With k < 5, "top-5" counts the first k ranked classes (MMSelfSup's min(5, k)): here top-1.
    expect(one).toEqual({ top1: 75, top5: 75 })
    // With k = 2 the two ranked classes are 0 (both neighbours) and 1 (no vote; ranked by index as a stable sort
    // ranks equal scores, where PyTorch's sort leaves the order open), so the 55° query counts in top-5.
    expect(knnClassify(bank, queries, { dim: 2, k: 2, temperature: 0.07, numClasses: 3 })).toEqual({
      top1: 75,
      top5: 100,
    })
    expect(knnClassify(bank, queries, { dim: 2, k: 6, temperature: 0.07, numClasses: 3 })).toEqual({
      top1: 75,
      top5: 100,
    })
  })
  it('votes by exp(similarity / T): one close neighbour outweighs two far ones at low temperature', () => {
    expect(vote([0.99, 0.5, 0.5], [1, 0, 0], 0.07, 2)[0]).toBe(1)
    // At a high temperature the weights even out and the majority wins.
    expect(vote([0.99, 0.5, 0.5], [1, 0, 0], 100, 2)[0]).toBe(0)
    // Equal votes: the lower class first.
    expect(vote([0.5, 0.5], [2, 1], 1, 3)).toEqual([1, 2, 0])
  })
  it('checks its inputs', () => {
    expect(() =>
      knnClassify(bank, { features: [1, 2, 3], labels: [0] }, { dim: 2, k: 1, temperature: 1, numClasses: 3 }),
    ).toThrow(/rows of 2 values/)
  })
})

describe('the KNN metric', () => {
  it('folds batches in order: the first bank_size samples are the bank, the rest the queries', () => {
    const built = buildEvaluator({ type: 'KNN', bank_size: 6, topk: [1, 6], temperature: 0.07 }, 'val_evaluator')
    if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
    const m = built.right.metrics[0]!
    const feats = [...bank.features, ...[dir(5), dir(125), dir(245), dir(185)].flat()]
    const labels = [...bank.labels, 0, 1, 2, 0]
    let acc = m.init
    for (let start = 0; start < 10; start += 3) {
      const end = Math.min(10, start + 3)
      acc = m.process(
        acc,
        { values: Float32Array.from(feats.slice(start * 2, end * 2)), shape: [end - start, 2] },
        { values: Int32Array.from(labels.slice(start, end)), shape: [end - start] },
      )
    }
    const out = m.compute(acc)
    // 185° is nearest to 130° (class 1, 55° away) and 240° (class 2, 55°): neither is class 0.
    expect(out).toEqual({ 'knn/top1_k1': 75, 'knn/top5_k1': 75, 'knn/top1_k6': 75, 'knn/top5_k6': 100 })
  })
  it('says what is wrong when there are no queries, and checks its config', () => {
    const built = buildEvaluator({ type: 'KNN', bank_size: 6 }, 'val_evaluator')
    if (built._tag === 'Left') throw new Error('build')
    const m = built.right.metrics[0]!
    const acc = m.process(
      m.init,
      { values: Float32Array.from([1, 0]), shape: [1, 2] },
      { values: Int32Array.from([0]), shape: [1] },
    )
    expect(() => m.compute(acc)).toThrow(/1 samples were evaluated, but the bank alone has bank_size=6/)
    expect(buildEvaluator({ type: 'KNN' }, 'val_evaluator')).toMatchObject({
      _tag: 'Left',
      left: [{ path: 'val_evaluator.bank_size' }],
    })
    expect(buildEvaluator({ type: 'KNN', bank_size: 3, temperatur: 0.1 }, 'e')).toMatchObject({
      _tag: 'Left',
      left: [{ path: 'e.temperatur', message: "unknown key (did you mean 'temperature'?)" }],
    })
  })
})

describe('ConcatDataset', () => {
  it('puts the members one after another and sizes them for the dry run', async () => {
    const cfg = {
      type: 'ConcatDataset',
      datasets: [
        { type: 'MNIST', split: 'train', indices: 5 },
        { type: 'MNIST', split: 'test', indices: 3 },
      ],
    }
    const ds = await Effect.runPromise(Datasets.build(cfg, 'val_dataloader.dataset'))
    const test = await Effect.runPromise(Datasets.build({ type: 'MNIST', split: 'test', indices: 3 }, 'd'))
    expect(ds.length).toBe(8)
    expect(Array.from(ds.inputs.subarray(5 * 784))).toEqual(Array.from(test.inputs))
    expect(datasetSize(cfg)).toBe(8)
    const [bad] = await Effect.runPromise(
      Effect.flip(Datasets.build({ type: 'ConcatDataset', datasets: [{ type: 'MNIST', splt: 'x' }] }, 'v')),
    )
    expect(bad).toEqual({ path: 'v.datasets[0].splt', message: "unknown key (did you mean 'split'?)" })
    const [mixed] = await Effect.runPromise(
      Effect.flip(
        Datasets.build(
          {
            type: 'ConcatDataset',
            datasets: [
              { type: 'MNIST', indices: 1 },
              { type: 'ArrayDataset', x: [[1, 2]], y: [0] },
            ],
          },
          'v',
        ),
      ),
    )
    expect(mixed?.message).toMatch(/^v\.datasets\[1\]: .* has samples of shape \[2\], the first dataset \[28, 28, 1\]$/)
  })
})
