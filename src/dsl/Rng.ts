/**
 * A counter-based random number generator as a plain value.
 *
 * The state is `(seed, counter)`; the n-th draw is a hash of both, so a
 * stream can be saved in a checkpoint as two integers, restored exactly, and
 * jumped to any position in O(1). Independent streams (data order, dropout,
 * augmentation) are derived with {@link split}, never by sharing a counter.
 *
 * @example
 * ```ts
 * import { Rng } from 'loopwright'
 * const [u, next] = Rng.uniform(Rng.make(0))  // u in [0, 1)
 * ```
 * @module
 */

export interface Rng {
  readonly seed: number
  readonly counter: number
}

/** A stream seeded with `seed` (an unsigned 32-bit integer; other numbers are reduced modulo 2³²). */
export const make = (seed: number): Rng => ({ seed: seed >>> 0, counter: 0 })

// A 32-bit finaliser with good avalanche (lowbias32-style constants); the mixing is
// applied twice with the seed folded in so that neighbouring seeds give unrelated streams.
const mix = (x: number): number => {
  x ^= x >>> 16
  x = Math.imul(x, 0x21f0aaad)
  x ^= x >>> 15
  x = Math.imul(x, 0x735a2d97)
  x ^= x >>> 15
  return x >>> 0
}

/** The 32-bit value at position `counter` of stream `seed`. */
export const at = (seed: number, counter: number): number =>
  mix(mix((counter >>> 0) ^ mix(seed ^ 0x9e3779b9)) ^ Math.floor(counter / 0x1_0000_0000))

/** The next unsigned 32-bit integer and the advanced stream. */
export const nextUint32 = (rng: Rng): readonly [number, Rng] => [
  at(rng.seed, rng.counter),
  { seed: rng.seed, counter: rng.counter + 1 },
]

/** A float in [0, 1) with 32 random bits, and the advanced stream. */
export const uniform = (rng: Rng): readonly [number, Rng] => {
  const [bits, next] = nextUint32(rng)
  return [bits / 0x1_0000_0000, next]
}

/** A child stream for purpose `label`, independent of the parent and of other labels. */
export const split = (rng: Rng, label: number): Rng => make(mix(rng.seed ^ mix(label + 0x85ebca6b)))
