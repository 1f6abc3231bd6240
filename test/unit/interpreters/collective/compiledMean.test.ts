import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileMean } from '../../../../src/interpreters/collective/compiledMean.js'
import { PAGE_BYTES, sharedMemory } from '../../../../src/tensor/wasmModule.js'

/** The reference: each value summed in float64 in rank order, divided by the number of ranks, rounded once. */
const referenceMean = (slots: ReadonlyArray<Float32Array>, from: number, to: number): Float32Array => {
  const out = new Float32Array(to - from)
  for (let i = from; i < to; i++) {
    let sum = slots[0]![i]!
    for (let r = 1; r < slots.length; r++) sum += slots[r]![i]!
    out[i - from] = sum / slots.length
  }
  return out
}

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length))

// Finite float32 values of every magnitude (subnormals, the largest, signed zeros) and the non-finite ones.
const float32 = fc.oneof(
  fc.float({ noNaN: true }),
  fc.constantFrom(0, -0, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1e-40, -1e-40),
)

describe('compileMean: the workers’ mean as compiled SIMD over a shared memory', () => {
  it('agrees bit for bit with the float64 loop, for any number of ranks and any range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.nat(),
        fc.array(float32, { minLength: 200, maxLength: 200 }),
        (worldSize, capacity, a, b, pool) => {
          const control = 16
          const pages = Math.ceil((control + (worldSize + 1) * capacity * 4) / PAGE_BYTES)
          const { memory, buffer } = sharedMemory(pages)
          const slot = (r: number) => new Float32Array(buffer, control + r * capacity * 4, capacity)
          const slots = Array.from({ length: worldSize }, (_, r) => slot(r))
          for (const [r, s] of slots.entries())
            for (let i = 0; i < capacity; i++) s[i] = pool[(r * capacity + i) % pool.length]!
          const [from, to] = [a % (capacity + 1), b % (capacity + 1)].sort((x, y) => x - y) as [number, number]
          const result = slot(worldSize)
          result.fill(7)
          const mean = compileMean(memory, pages, worldSize, capacity * 4)
          mean(control + worldSize * capacity * 4 + from * 4, control + from * 4, (to - from) * 4)
          expect(bits(result.subarray(from, to))).toEqual(bits(referenceMean(slots, from, to)))
          // Nothing outside the range is written.
          expect([...result.subarray(0, from), ...result.subarray(to)].every((x) => x === 7)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps NaN and the infinities as the loop does', () => {
    const pages = 1
    const { memory, buffer } = sharedMemory(pages)
    const [first, second, result] = [0, 1, 2].map((r) => new Float32Array(buffer, r * 64, 16))
    first!.set([Number.NaN, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 1, 2, 3, 4, 5, 6])
    second!.set([1, Number.NEGATIVE_INFINITY, 1, Number.NaN, 2, 3, 4, 5, Number.NEGATIVE_INFINITY])
    compileMean(memory, pages, 2, 64)(128, 0, 9 * 4)
    expect([...result!.subarray(0, 9)]).toEqual([
      Number.NaN,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      2,
      3,
      4,
      5,
      Number.NEGATIVE_INFINITY,
    ])
  })

  it('a sum beyond float32 is not lost before the division, as in the float64 loop', () => {
    const { memory, buffer } = sharedMemory(1)
    const [first, second, result] = [0, 1, 2].map((r) => new Float32Array(buffer, r * 64, 16))
    first!.fill(3e38)
    second!.fill(3e38)
    compileMean(memory, 1, 2, 64)(128, 0, 16 * 4)
    expect(result!.every((x) => x === Math.fround(3e38))).toBe(true)
  })
})
