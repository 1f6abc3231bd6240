/**
 * Kernels the WASM backend lacks or gets wrong, written against its heap:
 *
 * - `Conv2DBackpropFilter` and `Conv2DBackpropInput` (convolution gradients):
 *   one XNNPACK matrix product each around a patch gather/scatter (`wasmConv.ts`);
 * - `DepthwiseConv2dNativeBackpropFilter`, `…BackpropInput` and `UnsortedSegmentSum` (the
 *   gradient of `gather`, i.e. of embeddings): direct loops;
 * - `AvgPoolGrad`: one pass in JS, faster than stock WASM's (`wasmAvgPoolGrad.ts`);
 * - `MaxPoolGrad`: WASM's starts its running maximum at +1.2e-38 instead of
 *   −∞, so windows whose values are all ≤ 0 send their gradient to the wrong
 *   place; this one takes the first maximum of each window, as the CPU backend.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { avgPoolGrad } from './wasmAvgPoolGrad.js'
import { conv2dBackpropFilter, conv2dBackpropInput } from './wasmConv.js'

type Info = tf.TensorInfo
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding

let corrected = true

/**
 * Switch loopwright's WASM corrections off (and on again), to measure stock
 * WASM side by side in benchmarks. Off, every corrected kernel runs tfjs's
 * original, and a kernel tfjs lacks fails as it does without loopwright.
 */
export const setWasmCorrections = (on: boolean): void => {
  corrected = on
}

/**
 * A kernel that runs `kernelFunc` while corrections are on, else what was registered before it (or fails like stock
 * WASM).
 */
export const switchable =
  (
    kernelName: string,
    kernelFunc: tf.KernelConfig['kernelFunc'],
    original: tf.KernelConfig | undefined,
  ): tf.KernelConfig['kernelFunc'] =>
  (args) => {
    if (corrected) return kernelFunc(args)
    if (original === undefined) throw new Error(`Kernel '${kernelName}' not registered for backend 'wasm'`)
    return original.kernelFunc(args)
  }

const register = (kernelName: string, kernelFunc: tf.KernelConfig['kernelFunc']): void => {
  const original = tf.getKernel(kernelName, 'wasm')
  if (original !== undefined) tf.unregisterKernel(kernelName, 'wasm')
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: switchable(kernelName, kernelFunc, original) })
}

interface DepthwiseAttrs {
  readonly strides: [number, number] | number
  readonly dilations: [number, number] | number
  readonly pad: Pad
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/**
 * Every (input, filter, output) triple a depthwise convolution multiplies, as
 * flat NHWC / [kh, kw, in, mult] indices: both depthwise gradients are sums over them.
 */
const forEachDepthwiseTap = (
  info: tf.backend_util.Conv2DInfo,
  visit: (xIndex: number, wIndex: number, dyIndex: number) => void,
): void => {
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: cin,
    outHeight: oh,
    outWidth: ow,
    outChannels: cout,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    filterHeight: fh,
    filterWidth: fw,
  } = info
  const mult = cout / cin
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let u = 0; u < fh; u++) {
          const row = i * sh + u * dh - info.padInfo.top
          if (row < 0 || row >= h) continue
          for (let v = 0; v < fw; v++) {
            const col = j * sw + v * dw - info.padInfo.left
            if (col < 0 || col >= w) continue
            for (let c = 0; c < cin; c++)
              for (let m = 0; m < mult; m++)
                visit(
                  ((b * h + row) * w + col) * cin + c,
                  ((u * fw + v) * cin + c) * mult + m,
                  ((b * oh + i) * ow + j) * cout + c * mult + m,
                )
          }
        }
}

const depthwiseBackpropFilter: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseAttrs & {
    filterShape: [number, number, number, number]
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  )
  const out = wasm.makeOutput([...filterShape], 'float32')
  const dW = wasm.typedArrayFromHeap(out) as Float32Array
  dW.fill(0)
  const xs = wasm.typedArrayFromHeap(x) as Float32Array
  const g = wasm.typedArrayFromHeap(dy) as Float32Array
  forEachDepthwiseTap(info, (xi, wi, gi) => {
    dW[wi]! += xs[xi]! * g[gi]!
  })
  return out
}

const depthwiseBackpropInput: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseAttrs & {
    inputShape: [number, number, number, number]
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  )
  const out = wasm.makeOutput([...inputShape], 'float32')
  const dx = wasm.typedArrayFromHeap(out) as Float32Array
  dx.fill(0)
  const W = wasm.typedArrayFromHeap(filter) as Float32Array
  const g = wasm.typedArrayFromHeap(dy) as Float32Array
  // Scatter every output gradient back to the inputs its window read.
  forEachDepthwiseTap(info, (xi, wi, gi) => {
    dx[xi]! += W[wi]! * g[gi]!
  })
  return out
}

const unsortedSegmentSum: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { x, segmentIds } = inputs as { x: Info; segmentIds: Info }
  const { numSegments } = attrs as unknown as { numSegments: number }
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1)
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype)
  // Views after the allocation: one that grows the heap detaches views taken before it.
  const ids = wasm.typedArrayFromHeap(segmentIds)
  const result = wasm.typedArrayFromHeap(out)
  result.fill(0)
  const values = wasm.typedArrayFromHeap(x)
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!
    if (s < 0 || s >= numSegments) continue
    for (let k = 0; k < inner; k++) result[s * inner + k]! += values[i * inner + k]!
  }
  return out
}

const maxPoolGrad: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { dy, input } = inputs as { dy: Info; input: Info }
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number
    strides: [number, number] | number
    pad: Pad
    dimRoundingMode?: 'floor' | 'round' | 'ceil'
  }
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  )
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: oh,
    outWidth: ow,
    strideHeight: sh,
    strideWidth: sw,
    effectiveFilterHeight: fh,
    effectiveFilterWidth: fw,
  } = info
  const out = wasm.makeOutput([...input.shape], 'float32')
  const dx = wasm.typedArrayFromHeap(out) as Float32Array
  dx.fill(0)
  const xs = wasm.typedArrayFromHeap(input) as Float32Array
  const g = wasm.typedArrayFromHeap(dy) as Float32Array
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < c; k++) {
          let best = -Infinity
          let at = -1
          for (let u = 0; u < fh; u++) {
            const row = i * sh + u - info.padInfo.top
            if (row < 0 || row >= h) continue
            for (let v = 0; v < fw; v++) {
              const col = j * sw + v - info.padInfo.left
              if (col < 0 || col >= w) continue
              const index = ((b * h + row) * w + col) * c + k
              if (xs[index]! > best) {
                best = xs[index]!
                at = index
              }
            }
          }
          if (at >= 0) dx[at]! += g[((b * oh + i) * ow + j) * c + k]!
        }
  return out
}

/** Register the kernels (after the WASM backend and its BatchMatMul correction). */
export const installWasmKernels = (): void => {
  register('Conv2DBackpropFilter', conv2dBackpropFilter)
  register('Conv2DBackpropInput', conv2dBackpropInput)
  register('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter)
  register('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput)
  register('UnsortedSegmentSum', unsortedSegmentSum)
  register('MaxPoolGrad', maxPoolGrad)
  register('AvgPoolGrad', avgPoolGrad)
}
