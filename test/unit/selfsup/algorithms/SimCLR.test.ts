import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import '../../../../src/tensor/gradients.js'
import { positivesAndNegatives } from '../../../../src/selfsup/algorithms/SimCLR.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(async () => {
  await useCpu()
})

// s[i][j] = 10·i + j: every entry names its own row and column.
const similarities = (m: number) =>
  tf.tensor2d(
    Array.from({ length: m * m }, (_, k) => 10 * Math.floor(k / m) + (k % m)),
    [m, m],
  )

describe('SimCLR positivesAndNegatives (rows are interleaved pairs v1[0], v2[0], v1[1], …)', () => {
  it("takes each row's partner view as its positive and every other column but its own as negatives, in order", () => {
    const before = tf.memory().numTensors
    const s = similarities(4)
    const { pos, neg } = tf.tidy(() => {
      const r = positivesAndNegatives(s)
      return { pos: r.pos.arraySync(), neg: r.neg.arraySync() }
    })
    expect(pos).toEqual([[1], [10], [23], [32]])
    expect(neg).toEqual([
      [2, 3],
      [12, 13],
      [20, 21],
      [30, 31],
    ])
    s.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('sends the gradient back to the entries it took, and none to the diagonal', () => {
    const m = 6
    const s = similarities(m)
    const g = tf.grad((x: tf.Tensor) => {
      const { pos, neg } = positivesAndNegatives(x as tf.Tensor2D)
      // Weights that tell the positives (1000) from the negatives (their column + 1).
      return tf.add(tf.mul(tf.sum(pos), 1000), tf.sum(tf.mul(neg, tf.tensor1d([1, 2, 3, 4]))))
    })(s)
    const grad = g.arraySync() as number[][]
    tf.dispose([s, g])
    for (let i = 0; i < m; i++) {
      const others = Array.from({ length: m }, (_, j) => j).filter((j) => j !== i && j !== (i ^ 1))
      for (let j = 0; j < m; j++) {
        const expected = j === i ? 0 : j === (i ^ 1) ? 1000 : others.indexOf(j) + 1
        expect(grad[i]![j], `row ${i}, column ${j}`).toBe(expected)
      }
    }
  })
})
