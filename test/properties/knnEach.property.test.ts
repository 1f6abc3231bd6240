/**
 * Law: scoring several k at once ({@link knnClassifyEach}) gives, for each k, what a plain search for that k alone
 * gives: the k most similar bank rows (ties to the lower index), voting by exp(similarity / T).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { knnClassifyEach, vote } from '../../src/evaluation/knnClassifier.js'

/** The reference: every similarity computed, sorted (stable), the first k voting. */
const bruteForce = (
  bank: { features: number[]; labels: number[] },
  queries: { features: number[]; labels: number[] },
  dim: number,
  k: number,
  numClasses: number,
) => {
  const unit = (f: number[], i: number) => {
    const row = f.slice(i * dim, (i + 1) * dim)
    const norm = Math.max(Math.sqrt(row.reduce((s, x) => s + x * x, 0)), 1e-12)
    return row.map((x) => x / norm)
  }
  let top1 = 0
  let top5 = 0
  queries.labels.forEach((label, i) => {
    const q = unit(queries.features, i)
    const sims = bank.labels.map((l, m) => ({ s: unit(bank.features, m).reduce((a, x, j) => a + x * q[j]!, 0), l, m }))
    sims.sort((a, b) => b.s - a.s || a.m - b.m)
    const near = sims.slice(0, Math.min(k, sims.length))
    const ranked = vote(
      near.map((n) => n.s),
      near.map((n) => n.l),
      0.07,
      numClasses,
    )
    if (ranked[0] === label) top1++
    if (ranked.slice(0, Math.min(5, near.length)).includes(label)) top5++
  })
  return { top1: (top1 * 100) / queries.labels.length, top5: (top5 * 100) / queries.labels.length }
}

const rows = (n: number, dim: number) =>
  fc.record({
    features: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: n * dim, maxLength: n * dim }),
    labels: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
  })

describe('knnClassifyEach', () => {
  it('scores each k as a search for that k alone would', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((dim) =>
          fc.tuple(
            fc.constant(dim),
            fc.integer({ min: 1, max: 12 }).chain((n) => rows(n, dim)),
            fc.integer({ min: 1, max: 6 }).chain((n) => rows(n, dim)),
            fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 4 }),
          ),
        ),
        ([dim, bank, queries, ks]) => {
          const each = knnClassifyEach(bank, queries, { dim, ks, temperature: 0.07, numClasses: 4 })
          expect(each).toEqual(ks.map((k) => bruteForce(bank, queries, dim, k, 4)))
        },
      ),
      { numRuns: 200 },
    )
  })
})
