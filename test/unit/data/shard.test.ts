import { describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { batchIndices } from '../../../src/data/DataLoader.js'
import { indicesForEpoch, streamSlice } from '../../../src/data/sampler.js'
import { roundsUp, shardLength, shardOrder, shardedStreamSlice } from '../../../src/data/shard.js'

const order5 = Int32Array.from([4, 2, 0, 1, 3])

describe('DefaultSampler across ranks (MMEngine)', () => {
  it('pads by repeating the order with round_up, and takes every W-th index from the rank', () => {
    expect(Array.from(shardOrder(order5, 0, 2, true))).toEqual([4, 0, 3])
    expect(Array.from(shardOrder(order5, 1, 2, true))).toEqual([2, 1, 4])
    expect(Array.from(shardOrder(order5, 0, 2, false))).toEqual([4, 0, 3])
    expect(Array.from(shardOrder(order5, 1, 2, false))).toEqual([2, 1])
    expect(Array.from(shardOrder(order5, 2, 3, true))).toEqual([0, 4])
  })

  it('round_up defaults to true; lengths are ⌈n/W⌉, or ⌈(n − r)/W⌉ without it', () => {
    expect(roundsUp(undefined)).toBe(true)
    expect(roundsUp({ type: 'DefaultSampler', round_up: false })).toBe(false)
    expect([0, 1, 2].map((rank) => shardLength(7, { rank, worldSize: 3 }, true))).toEqual([3, 3, 3])
    expect([0, 1, 2].map((rank) => shardLength(7, { rank, worldSize: 3 }, false))).toEqual([3, 2, 2])
  })

  it('the ranks cover an evenly split epoch exactly once, and batch i of all ranks is batch i at W·b', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(1000),
        fc.nat(5),
        (world, b, batches, seed, epoch) => {
          const length = world * b * batches
          const order = indicesForEpoch({ type: 'DefaultSampler', shuffle: true }, length, seed, epoch)
          const shards = Array.from({ length: world }, (_, r) => shardOrder(order, r, world, true))
          const covered = shards.flatMap((s) => Array.from(s)).sort((x, y) => x - y)
          expect(covered).toEqual(Array.from({ length }, (_, i) => i))
          for (let i = 0; i < batches; i++) {
            const together = shards.flatMap((s) => Array.from(batchIndices(s, i, b, false))).sort((x, y) => x - y)
            expect(together).toEqual(Array.from(batchIndices(order, i, world * b, false)).sort((x, y) => x - y))
          }
        },
      ),
    )
  })
})

describe('InfiniteSampler across ranks (MMEngine)', () => {
  it('rank r reads positions r, r + W, … of the global stream', () => {
    const cfg = { type: 'InfiniteSampler', shuffle: false } as const
    expect(Array.from(shardedStreamSlice(cfg, 5, 0, { rank: 1, worldSize: 2 }, 0, 3))).toEqual([1, 3, 0])
    expect(Array.from(shardedStreamSlice(cfg, 5, 0, { rank: 0, worldSize: 2 }, 2, 3))).toEqual([4, 1, 3])
  })

  it("interleaving the ranks' slices gives the global stream, across pass boundaries", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.nat(30),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(100),
        (world, length, start, count, seed) => {
          const cfg = { type: 'InfiniteSampler', shuffle: true } as const
          const global = streamSlice(cfg, length, seed, start * world, count * world)
          for (let r = 0; r < world; r++) {
            const mine = shardedStreamSlice(cfg, length, seed, { rank: r, worldSize: world }, start, count)
            expect(Array.from(mine)).toEqual(Array.from({ length: count }, (_, k) => global[k * world + r]!))
          }
        },
      ),
    )
  })
})
