import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { takes } from '../../../src/tensor/wasmConvSingleChannel.js'
import { conv2dBackpropFilter, patchFilterGradient } from '../../../src/tensor/wasmConv.js'
import { setWasmCorrections } from '../../../src/tensor/wasmKernels.js'

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]]

interface Case {
  readonly n: number
  readonly h: number
  readonly w: number
  readonly fh: number
  readonly fw: number
  readonly cout: number
  readonly stride: [number, number]
  readonly pad: Pad
  readonly seed: number
}

const bits = (values: Float32Array): number[] => Array.from(new Uint32Array(values.slice().buffer))

/** The convolution on WASM, compiled (corrections on) or XNNPACK's stock kernel, and the inputs it read. */
const convolve = (c: Case, compiled: boolean) => {
  const x = tf.tensor4d(seededValues(c.n * c.h * c.w, c.seed, 3), [c.n, c.h, c.w, 1])
  const filter = tf.tensor4d(seededValues(c.fh * c.fw * c.cout, c.seed + 1, 1), [c.fh, c.fw, 1, c.cout])
  setWasmCorrections(compiled)
  try {
    const y = tf.conv2d(x, filter, c.stride, c.pad as 'same')
    const copy = (t: tf.Tensor) => Float32Array.from(t.dataSync())
    const out = { y: copy(y), shape: y.shape, x: copy(x), filter: copy(filter) }
    tf.dispose([x, filter, y])
    return out
  } finally {
    setWasmCorrections(true)
  }
}

/** Each output in float64, and Σ|x·w| over its window (the scale of its rounding error). */
const reference = (c: Case, x: ArrayLike<number>, filter: ArrayLike<number>) => {
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, 1], [c.fh, c.fw, 1, c.cout], c.stride, 1, c.pad)
  const { outHeight: oh, outWidth: ow } = info
  const exact: number[] = []
  const scale: number[] = []
  for (let b = 0; b < c.n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < c.cout; k++) {
          let [sum, magnitude] = [0, 0]
          for (let u = 0; u < c.fh; u++)
            for (let v = 0; v < c.fw; v++) {
              const [row, col] = [i * c.stride[0] + u - info.padInfo.top, j * c.stride[1] + v - info.padInfo.left]
              if (row < 0 || row >= c.h || col < 0 || col >= c.w) continue
              const term = x[(b * c.h + row) * c.w + col]! * filter[(u * c.fw + v) * c.cout + k]!
              sum += term
              magnitude += Math.abs(term)
            }
          exact.push(sum)
          scale.push(magnitude)
        }
  return { exact, scale }
}

const cases = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  fh: fc.integer({ min: 1, max: 4 }),
  fw: fc.integer({ min: 1, max: 4 }),
  cout: fc.constantFrom(4, 8, 12, 16, 32),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pad: fc.oneof(
    fc.constantFrom<Pad>('same', 'valid'),
    fc.integer({ min: 0, max: 2 }),
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })).map(
      ([t, b, l]): Pad => [
        [0, 0],
        [t, b],
        [l, l],
        [0, 0],
      ],
    ),
  ),
  seed: fc.integer({ min: 0, max: 1000 }),
})

/** Whether the case has at least one output (a 'valid' filter larger than the input has none). */
const hasOutput = (c: Case): boolean => {
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, 1], [c.fh, c.fw, 1, c.cout], c.stride, 1, c.pad)
  return info.outHeight > 0 && info.outWidth > 0
}

describe('the compiled convolution of a one-channel input on WASM', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('takes one-channel NHWC inputs with 4–32 output channels in fours, and nothing else', () => {
    const info = (shape: number[], dtype: tf.DataType = 'float32') => ({ dataId: {}, shape, dtype })
    const attrs = { strides: 1, pad: 'same' as const, dataFormat: 'NHWC' as const, dilations: 1 }
    expect(takes(info([256, 28, 28, 1]), info([3, 3, 1, 16]), attrs)).toBe(true)
    expect(takes(info([256, 28, 28, 1]), info([5, 5, 1, 6]), attrs)).toBe(false)
    expect(takes(info([256, 28, 28, 3]), info([3, 3, 3, 16]), attrs)).toBe(false)
    expect(takes(info([256, 28, 28, 1]), info([3, 3, 1, 64]), attrs)).toBe(false)
    expect(takes(info([256, 28, 28, 1]), info([3, 3, 1, 16]), { ...attrs, dilations: 2 })).toBe(false)
    expect(takes(info([256, 28, 28, 1], 'int32'), info([3, 3, 1, 16]), attrs)).toBe(false)
  })

  it('is within 10·2⁻²⁴·Σ|x·w| of the exact value at any shape, stride and padding', () => {
    fc.assert(
      fc.property(cases, (c) => {
        fc.pre(hasOutput(c))
        const compiled = convolve(c, true)
        const { exact, scale } = reference(c, compiled.x, compiled.filter)
        compiled.y.forEach((v, i) => {
          expect(Math.abs(v - exact[i]!)).toBeLessThanOrEqual(10 * 2 ** -24 * scale[i]! + 1e-30)
        })
      }),
      { numRuns: 200 },
    )
  })

  // Stock WASM gets some shapes wrong (a numeric padding: writes past its output; more padding on one side, or a
  // stride past a small input: zeros or values at shifted positions), so it is compared on 3×3 filters, padding 1.
  it("gives XNNPACK's bits for 3×3 filters with padding 1, at strides 1 and 2", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 3, max: 12 }),
          w: fc.integer({ min: 3, max: 12 }),
          cout: fc.constantFrom(4, 8, 16, 32),
          s: fc.integer({ min: 1, max: 2 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ n, h, w, cout, s, seed }) => {
          const pad: Pad = [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]
          const c: Case = { n, h, w, fh: 3, fw: 3, cout, stride: [s, s], pad, seed }
          expect(bits(convolve(c, true).y)).toEqual(bits(convolve(c, false).y))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('a SmallCNN first layer: 8 images of 28×28, 16 channels, 3×3, padding 1', () => {
    const c: Case = { n: 8, h: 28, w: 28, fh: 3, fw: 3, cout: 16, stride: [1, 1], pad: 1, seed: 4 }
    const compiled = convolve(c, true)
    const { exact, scale } = reference(c, compiled.x, compiled.filter)
    compiled.y.forEach((v, i) => {
      expect(Math.abs(v - exact[i]!)).toBeLessThanOrEqual(10 * 2 ** -24 * scale[i]! + 1e-30)
    })
    expect(new Set(compiled.y).size).toBeGreaterThan(1000)
  })

  /** The weight gradient of a case under a seeded output gradient, by `kernel`, as bits. */
  const filterGradient = (c: Case, kernel: tf.KernelConfig['kernelFunc']): number[] => {
    const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, 1], [c.fh, c.fw, 1, c.cout], c.stride, 1, c.pad)
    const x = tf.tensor4d(seededValues(c.n * c.h * c.w, c.seed, 3), [c.n, c.h, c.w, 1])
    const dySize = c.n * info.outHeight * info.outWidth * c.cout
    const dy = tf.tensor4d(seededValues(dySize, c.seed + 2, 1), [c.n, info.outHeight, info.outWidth, c.cout])
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.fh, c.fw, 1, c.cout] }
    const out = kernel({ inputs: { x, dy }, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap })
    const dW = tf.engine().makeTensorFromTensorInfo(out as tf.TensorInfo)
    const result = bits(Float32Array.from(dW.dataSync()))
    tf.dispose([x, dy, dW])
    return result
  }

  it('gives the weight gradient of the patch matrix and XNNPACK product bit for bit, at any shape and padding', () => {
    fc.assert(
      fc.property(cases, (c) => {
        fc.pre(hasOutput(c))
        expect(filterGradient(c, conv2dBackpropFilter)).toEqual(filterGradient(c, patchFilterGradient))
      }),
      { numRuns: 150 },
    )
  })

  it('the same over several rounds of images (28×28 with 32 channels: one image per round)', () => {
    const c: Case = { n: 3, h: 28, w: 28, fh: 3, fw: 3, cout: 32, stride: [1, 1], pad: 'same', seed: 9 }
    const direct = filterGradient(c, conv2dBackpropFilter)
    expect(direct).toEqual(filterGradient(c, patchFilterGradient))
    expect(new Set(direct).size).toBe(direct.length)
  })
})
