import { describe, expect, it } from 'vitest'
import { buildEvaluator } from '../../../src/evaluation/registry.js'
import type { Evaluator } from '../../../src/evaluation/registry.js'

const built = (cfg: unknown): Evaluator => {
  const e = buildEvaluator(cfg, 'val_evaluator')
  if (e._tag === 'Left') throw new Error(JSON.stringify(e.left))
  return e.right
}

const evaluate = (evaluator: Evaluator, batches: ReadonlyArray<readonly [number[][], number[]]>) => {
  let folds = evaluator.metrics.map((m) => m.init)
  for (const [logits, targets] of batches) {
    const out = { values: Float32Array.from(logits.flat()), shape: [logits.length, logits[0]!.length] }
    const y =
      targets.every(Number.isInteger) && logits[0]!.length > 1
        ? { values: Int32Array.from(targets), shape: [targets.length] }
        : { values: Float32Array.from(targets), shape: [targets.length, 1] }
    folds = evaluator.metrics.map((m, i) => m.process(folds[i], out, y))
  }
  return Object.assign({}, ...evaluator.metrics.map((m, i) => m.compute(folds[i])))
}

describe('Accuracy', () => {
  it('counts top-k hits over batches as MMPretrain does, ties going to the lower class index', () => {
    const acc = built({ type: 'Accuracy', topk: [1, 2] })
    const metrics = evaluate(acc, [
      [
        [
          [0.1, 0.9, 0.0],
          [0.8, 0.1, 0.1],
        ],
        [1, 2],
      ], // hit; label 2 ranks 2nd (tied with 1, lower index wins) → top-2 miss
      [[[0.5, 0.5, 0.0]], [1]], // tie between 0 and 1: class 0 ranks first, so label 1 is top-2 only
    ])
    expect(metrics).toEqual({ 'accuracy/top1': 100 / 3, 'accuracy/top2': 200 / 3 })
  })

  it('takes a single k, a prefix, and rejects what it does not know', () => {
    expect(Object.keys(evaluate(built({ type: 'Accuracy', topk: 1, prefix: 'acc' }), [[[[1, 0]], [0]]]))).toEqual([
      'acc/top1',
    ])
    const bad = buildEvaluator({ type: 'Accuracy', topK: 1 }, 'val_evaluator')
    expect(bad._tag === 'Left' && bad.left[0]!.path).toBe('val_evaluator.topK')
    const unknown = buildEvaluator({ type: 'Acuracy' }, 'test_evaluator')
    expect(unknown._tag === 'Left' && unknown.left[0]!.message).toMatch(/did you mean 'Accuracy'/)
  })
})

describe('MSE and evaluator forms', () => {
  it('averages squared errors over every element, independent of batching', () => {
    const one = evaluate(built({ type: 'MSE' }), [
      [
        [[1], [2], [4]],
        [0, 2, 2],
      ],
    ])
    const split = evaluate(built([{ type: 'MSE' }]), [
      [[[1]], [0]],
      [
        [[2], [4]],
        [2, 2],
      ],
    ])
    expect(one).toEqual({ mse: 5 / 3 })
    expect(split).toEqual(one)
  })

  it("accepts MMEngine's dict(type='Evaluator', metrics=[...])", () => {
    expect(
      built({ type: 'Evaluator', metrics: [{ type: 'MSE' }, { type: 'Accuracy' }] }).metrics.map((m) => m.name),
    ).toEqual(['MSE', 'Accuracy'])
  })
})
