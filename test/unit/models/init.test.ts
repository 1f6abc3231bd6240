import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import {
  kaimingNormalStd,
  normalTensor,
  normalValues,
  truncNormalTensor,
  xavierUniformBound,
} from '../../../src/models/init.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

const stats = (v: ArrayLike<number>) => {
  let sum = 0
  for (let i = 0; i < v.length; i++) sum += v[i]!
  const mean = sum / v.length
  let sq = 0
  for (let i = 0; i < v.length; i++) sq += (v[i]! - mean) ** 2
  return { mean, std: Math.sqrt(sq / v.length) }
}

describe('init: normal and truncated normal from the counter-based Rng', () => {
  it('normalTensor draws N(mean, std²), reproducibly, advancing the stream by two draws per pair', () => {
    const [t1, r1] = normalTensor(Rng.make(5), [100, 200], 2, 1)
    const [t2] = normalTensor(Rng.make(5), [100, 200], 2, 1)
    const v = t1.dataSync()
    expect(Array.from(v)).toEqual(Array.from(t2.dataSync()))
    const { mean, std } = stats(v)
    expect(Math.abs(mean - 1)).toBeLessThan(0.05)
    expect(Math.abs(std - 2)).toBeLessThan(0.05)
    expect(r1.counter).toBe(20000)
    // An odd count drops the last pair's second value but still draws the pair.
    expect(normalValues(Rng.make(0), 3, 0, 1)[1].counter).toBe(4)
    expect(Array.from(normalValues(Rng.make(0), 3, 0, 1)[0])).toEqual(
      Array.from(normalValues(Rng.make(0), 4, 0, 1)[0].slice(0, 3)),
    )
  })

  it(
    'truncNormalTensor keeps values inside the absolute bounds [a, b] (PyTorch’s ' + 'a=−2, b=2 are not scaled by std)',
    () => {
      const [t] = truncNormalTensor(Rng.make(1), [20000], 1)
      const v = t.dataSync()
      expect(v.every((x) => x >= -2 && x <= 2)).toBe(true)
      // The standard normal truncated to ±2 has standard deviation 0.8796.
      expect(Math.abs(stats(v).std - 0.8796)).toBeLessThan(0.02)
      const [small] = truncNormalTensor(Rng.make(1), [20000], 0.02)
      expect(Math.abs(stats(small.dataSync()).std - 0.02)).toBeLessThan(0.001)
      const [again] = truncNormalTensor(Rng.make(1), [20000], 0.02)
      expect(Array.from(again.dataSync())).toEqual(Array.from(small.dataSync()))
    },
  )

  it('kaiming (fan_out, relu) and xavier bounds', () => {
    expect(kaimingNormalStd(16 * 9)).toBeCloseTo(Math.sqrt(2 / 144), 12)
    expect(xavierUniformBound(64, 256)).toBeCloseTo(Math.sqrt(6 / 320), 12)
  })
})
