import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { featureSpread } from '../../../src/selfsup/featureSpread.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(async () => {
  await useCpu()
})

const spread = (rows: number[][]): number => {
  const z = tf.tensor2d(rows)
  const s = featureSpread(z)
  const value = s.dataSync()[0]!
  z.dispose()
  s.dispose()
  return value
}

describe('featureSpread (the SimSiam paper’s collapse statistic)', () => {
  it('is the mean over dimensions of the unbiased std of the L2-normalised rows', () => {
    // Rows normalise to (1, 0) and (0, 1): each dimension holds {1, 0}, unbiased std √0.5.
    expect(
      spread([
        [3, 0],
        [0, 0.5],
      ]),
    ).toBeCloseTo(Math.SQRT1_2, 6)
    // Three rows, d = 1: all normalise to ±1; values 1, 1, −1 → mean 1/3, unbiased var (4/9·2 + 16/9)/2 = 4/3.
    expect(spread([[2], [5], [-1]])).toBeCloseTo(Math.sqrt(4 / 3), 6)
  })

  it('is 0 for collapsed features, whatever their length, and needs two samples', () => {
    expect(
      spread([
        [1, 2, 3],
        [2, 4, 6],
        [0.5, 1, 1.5],
      ]),
    ).toBeCloseTo(0, 6)
    expect(() => featureSpread(tf.tensor2d([[1, 2]]))).toThrow(/at least 2 samples/)
  })

  it('stays near 1/√d for random directions', () => {
    const z = tf.randomNormal([4096, 64], 0, 1, 'float32', 7)
    const s = featureSpread(z)
    expect(s.dataSync()[0]!).toBeCloseTo(1 / 8, 2)
    tf.dispose([z, s])
  })
})
