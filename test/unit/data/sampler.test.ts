import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import {
  epochStream,
  indicesForEpoch,
  infiniteIndices,
  permutation,
  SAMPLER_STREAM,
  samplerSeed,
  streamSlice,
  uniformInt,
} from '../../../src/data/sampler.js'
import type { SamplerCfg } from '../../../src/data/sampler.js'

const shuffled: SamplerCfg = { type: 'DefaultSampler', shuffle: true }
const sequential: SamplerCfg = { type: 'DefaultSampler', shuffle: false }
const infinite: SamplerCfg = { type: 'InfiniteSampler', shuffle: true }

const isPermutation = (order: Int32Array, length: number): boolean =>
  order.length === length && [...order].sort((a, b) => a - b).every((v, i) => v === i)

describe('DefaultSampler', () => {
  it('gives a permutation every epoch; the same seed and epoch give the same order; other epochs differ', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 1000 }),
        (length, seed, epoch) => {
          const order = indicesForEpoch(shuffled, length, seed, epoch)
          expect(isPermutation(order, length)).toBe(true)
          expect(indicesForEpoch(shuffled, length, seed, epoch)).toEqual(order)
          if (length >= 20) expect(indicesForEpoch(shuffled, length, seed, epoch + 1)).not.toEqual(order)
        },
      ),
    )
  })

  it('derives the order from seed + epoch only, through the sampler stream split from Rng.make(seed + epoch)', () => {
    expect(indicesForEpoch(shuffled, 50, 1, 0)).toEqual(indicesForEpoch(shuffled, 50, 0, 1))
    expect(indicesForEpoch(shuffled, 50, 7, 2)).toEqual(permutation(50, Rng.split(Rng.make(9), SAMPLER_STREAM)))
    expect(epochStream(7, 2)).toEqual(Rng.split(Rng.make(9), SAMPLER_STREAM))
    // the sampler's own seed overrides the run's
    expect(samplerSeed({ type: 'DefaultSampler', seed: 3 }, 0)).toBe(3)
    expect(samplerSeed({ type: 'DefaultSampler', seed: null }, 5)).toBe(5)
    expect(indicesForEpoch({ type: 'DefaultSampler', seed: 3 }, 50, 0, 0)).toEqual(indicesForEpoch(shuffled, 50, 3, 0))
    // a regression pin: the first epoch of a 10-sample dataset under seed 0
    expect(Array.from(indicesForEpoch(shuffled, 10, 0, 0))).toEqual([9, 4, 0, 2, 7, 1, 3, 5, 8, 6])
  })

  it('keeps the dataset order without shuffling, and shuffles by default', () => {
    expect(Array.from(indicesForEpoch(sequential, 5, 0, 4))).toEqual([0, 1, 2, 3, 4])
    expect(indicesForEpoch(undefined, 40, 0, 0)).toEqual(indicesForEpoch(shuffled, 40, 0, 0))
    expect(Array.from(indicesForEpoch(shuffled, 0, 0, 0))).toEqual([])
  })

  it('draws unbiased integers and spreads positions evenly', () => {
    let rng = Rng.make(1)
    const counts = new Array<number>(6).fill(0)
    for (let i = 0; i < 6000; i++) {
      const [k, next] = uniformInt(rng, 6)
      counts[k]! += 1
      rng = next
    }
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150)
    // where index 0 lands over many epochs: roughly uniform over 4 positions
    const firsts = new Array<number>(4).fill(0)
    for (let epoch = 0; epoch < 4000; epoch++) firsts[indicesForEpoch(shuffled, 4, 0, epoch).indexOf(0)]! += 1
    for (const c of firsts) expect(Math.abs(c - 1000)).toBeLessThan(150)
  })
})

describe('InfiniteSampler', () => {
  it('streams pass after pass, each pass a permutation, reachable from any position', () => {
    const it = infiniteIndices(infinite, 7, 3)
    const first = Array.from({ length: 21 }, () => it.next().value as number)
    for (let pass = 0; pass < 3; pass++) {
      const slice = Int32Array.from(first.slice(pass * 7, pass * 7 + 7))
      expect(isPermutation(slice, 7)).toBe(true)
      expect(slice).toEqual(indicesForEpoch(infinite, 7, 3, pass))
    }
    expect(Array.from(streamSlice(infinite, 7, 3, 5, 12))).toEqual(first.slice(5, 17))
    const resumed = infiniteIndices(infinite, 7, 3, 10)
    expect(resumed.next().value).toBe(first[10])
    expect(Array.from(streamSlice({ type: 'InfiniteSampler', shuffle: false }, 3, 0, 2, 4))).toEqual([2, 0, 1, 2])
  })
})
