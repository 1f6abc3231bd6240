/**
 * `AvgPoolGrad` on WASM as one pass in JS over the input gradient: stock
 * WASM's kernel took ~3 ms of a LeNet-5 step for its two 2×2 poolings.
 *
 * Each input position sums the output gradients of the windows that contain
 * it (rows then columns ascending, in float64) and scales the sum by
 * `1 / (fh·fw)`, as the CPU backend does, so both agree bit for bit; where
 * windows do not overlap there is one term, written straight from the output gradient. Windows
 * never count padding out (tfjs's average always divides by the window size;
 * loopwright's `count_include_pad` pads explicitly first).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

interface AvgPoolGradAttrs {
  readonly filterSize: [number, number] | number
  readonly strides: [number, number] | number
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/**
 * Windows that do not overlap (stride ≥ size): every input position gets the gradient of at most one window,
 * so each output gradient is scaled once and written to its window (0 elsewhere).
 */
const disjoint = (g: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo, scale: number): void => {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info
  const { top, left } = info.padInfo
  // Where the windows tile the input exactly, every position is written below.
  if (sh !== fh || sw !== fw || top !== 0 || left !== 0 || oh * fh !== h || ow * fw !== w) dx.fill(0)
  let from = 0
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++, from += c)
        for (let u = 0; u < fh; u++) {
          const row = i * sh + u - top
          if (row < 0 || row >= h) continue
          for (let v = 0; v < fw; v++) {
            const col = j * sw + v - left
            if (col < 0 || col >= w) continue
            const to = ((b * h + row) * w + col) * c
            for (let d = 0; d < c; d++) dx[to + d] = g[from + d]! * scale
          }
        }
}

/**
 * Overlapping windows: each input position sums, in float64, the gradients of the windows that cover it
 * (rows, then columns ascending), then scales the sum.
 */
const overlapping = (g: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo, scale: number): void => {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info
  const { top, left } = info.padInfo
  const sums = new Float64Array(c)
  let at = 0
  for (let b = 0; b < n; b++)
    for (let row = 0; row < h; row++) {
      // The windows i with i·sh − top ≤ row ≤ i·sh − top + fh − 1.
      const i0 = Math.max(0, Math.ceil((row + top - fh + 1) / sh))
      const i1 = Math.min(oh, Math.floor((row + top) / sh) + 1)
      for (let col = 0; col < w; col++, at += c) {
        const j0 = Math.max(0, Math.ceil((col + left - fw + 1) / sw))
        const j1 = Math.min(ow, Math.floor((col + left) / sw) + 1)
        sums.fill(0)
        for (let i = i0; i < i1; i++)
          for (let j = j0; j < j1; j++) {
            const from = ((b * oh + i) * ow + j) * c
            for (let d = 0; d < c; d++) sums[d]! += g[from + d]!
          }
        for (let d = 0; d < c; d++) dx[at + d] = sums[d]! * scale
      }
    }
}

export const avgPoolGrad: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo }
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as AvgPoolGradAttrs
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  )
  const out = wasm.makeOutput([...input.shape], 'float32')
  // Views are taken after the last allocation: growing the heap detaches earlier ones.
  const g = wasm.typedArrayFromHeap(dy) as Float32Array
  const dx = wasm.typedArrayFromHeap(out) as Float32Array
  const scale = 1 / (info.filterHeight * info.filterWidth)
  const apart = info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth
  ;(apart ? disjoint : overlapping)(g, dx, info, scale)
  return out
}
