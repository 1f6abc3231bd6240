import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../src/tensor/cpu.js'
import { float16Of, roundToBfloat16, roundToFloat16 } from '../../../src/tensor/precision.js'

beforeAll(useCpu)

const round = (f: (x: tf.Tensor) => tf.Tensor, values: number[]): number[] =>
  tf.tidy(() => Array.from(f(tf.tensor1d(values)).dataSync()))

/** bfloat16 by bit manipulation: round the float32 bit pattern to its top 16 bits, ties to even. */
const bf16Bits = (x: number): number => {
  const buffer = new DataView(new ArrayBuffer(4))
  buffer.setFloat32(0, x)
  const bits = buffer.getUint32(0)
  if (Number.isNaN(x)) return x
  const lower = bits & 0xffff
  let upper = bits >>> 16
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1)) upper += 1
  buffer.setUint32(0, (upper << 16) >>> 0)
  return buffer.getFloat32(0)
}

describe('half-precision emulation', () => {
  it('rounds to float16 values, ties to even, with overflow and subnormals', () => {
    expect(
      round(roundToFloat16, [
        1,
        1 + 2 ** -11,
        1 + 3 * 2 ** -11,
        65504,
        65519,
        65520,
        1e6,
        -1e6,
        2 ** -24,
        2 ** -25,
        3 * 2 ** -25,
        0.1,
      ]),
    ).toEqual([
      1,
      1,
      1 + 2 ** -9,
      65504,
      65504,
      Infinity,
      Infinity,
      -Infinity,
      2 ** -24,
      0,
      2 * 2 ** -24,
      Math.fround(0.0999755859375),
    ])
    expect(round(roundToFloat16, [NaN])[0]).toBeNaN()
  })

  it('agrees with a scalar float16 reference on random float32 values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, min: -70000, max: 70000 }), { minLength: 1, maxLength: 64 }),
        (xs) => {
          expect(round(roundToFloat16, xs)).toEqual(xs.map((x) => float16Of(Math.fround(x))).map(Math.fround))
        },
      ),
    )
  })

  it('rounds to bfloat16 exactly as the bit-pattern reference, over float32’s whole range', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { minLength: 1, maxLength: 64 }), (xs) => {
        const got = round(roundToBfloat16, xs)
        const want = xs.map((x) => bf16Bits(Math.fround(x)))
        expect(got.map((v) => (Object.is(v, -0) ? 0 : v))).toEqual(want.map((v) => (Object.is(v, -0) ? 0 : v)))
      }),
    )
  })
})
