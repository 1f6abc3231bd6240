/**
 * Convolution gradients on WASM as one matrix product each, run by XNNPACK,
 * around a single pass over memory (compiled for the weights' patch gather, `wasmPatches.ts`; JS for col2im):
 *
 * - weights: `dW = colsᵀ · dy`. The patches are gathered straight into the
 *   transposed layout `[taps, positions]` (one contiguous row per filter tap),
 *   so the product needs no transpose of the large operand;
 * - inputs: `dcols = dy · Wᵀ` (the filter is small), then every patch row is
 *   added back to the input positions it was read from (col2im). Stock WASM's
 *   `Conv2DBackpropInput` is a direct loop several times slower.
 *
 * Both handle NHWC, any stride, explicit/same/valid padding, dilation 1 (the
 * only one tfjs differentiates). The weight gradient of a one-channel input is a direct compiled sum instead
 * (`wasmConvSingleChannel.ts`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { filterGradientOneChannel } from './wasmConvSingleChannel.js'
import { gatherPatches, scatterPatches } from './wasmPatches.js'

type Info = tf.TensorInfo
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding

interface ConvGradAttrs {
  readonly strides: [number, number] | number
  readonly pad: Pad
  readonly dataFormat: 'NHWC' | 'NCHW'
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

const call = (kernelName: string, inputs: tf.NamedTensorInfoMap, backend: object, attrs: tf.NamedAttrMap): Info =>
  tf.getKernel(kernelName, 'wasm')!.kernelFunc({ inputs, backend, attrs }) as Info

/**
 * The convolution's geometry in the loops' names: batch `n`, input `h × w × cin`, output `oh × ow × cout`, strides,
 * filter `fh × fw`, padding `top`/`left`, and the sizes of the patch matrix (`rows` positions × `taps`).
 */
const convGeometry = (
  xShape: ReadonlyArray<number>,
  filterShape: ReadonlyArray<number>,
  attrs: ConvGradAttrs,
  kernel: string,
) => {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm: only NHWC is supported`)
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  )
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info
  const { outHeight: oh, outWidth: ow, outChannels: cout } = info
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info
  const { top, left } = info.padInfo
  return { n, h, w, cin, oh, ow, cout, sh, sw, fh, fw, top, left, rows: n * oh * ow, taps: fh * fw * cin }
}

/** Where a tensor's values start on the heap, in bytes. */
const address = (wasm: BackendWasm, t: Info): number => wasm.dataIdMap.get(t.dataId)!.memoryOffset

/** The product `a · b` of 2-D heap tensors through the (corrected) WASM matrix product, as `[rows, cols]`. */
const product2d = (
  wasm: BackendWasm,
  a: Info,
  aShape: [number, number],
  b: Info,
  bShape: [number, number],
  transposeB: boolean,
): Info => {
  const a3 = call('Reshape', { x: a }, wasm, { shape: [1, ...aShape] })
  const b3 = call('Reshape', { x: b }, wasm, { shape: [1, ...bShape] })
  const out = call('BatchMatMul', { a: a3, b: b3 }, wasm, { transposeA: false, transposeB })
  wasm.disposeData(a3.dataId)
  wasm.disposeData(b3.dataId)
  return out
}

/**
 * The weight gradient through the transposed patch matrix and one XNNPACK product, at any input channel count
 * (`Conv2DBackpropFilter`'s general path).
 */
export const patchFilterGradient: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] }
  const geometry = convGeometry(x.shape, a.filterShape, a, 'Conv2DBackpropFilter')
  const { cout, rows, taps } = geometry
  // colsᵀ: row (u, v, c) holds, for every output position, the input value that tap multiplies (0 in the padding).
  const colsT = wasm.makeOutput([taps, rows], 'float32')
  gatherPatches(wasm, address(wasm, x), address(wasm, colsT), geometry)
  const dW = product2d(wasm, colsT, [taps, rows], dy, [rows, cout], false)
  const out = call('Reshape', { x: dW }, wasm, { shape: a.filterShape })
  wasm.disposeData(colsT.dataId)
  wasm.disposeData(dW.dataId)
  return out
}

/**
 * `Conv2DBackpropFilter`: the gradient of an NHWC convolution with respect to its `[fh, fw, cin, cout]` filter. One
 * input channel: a compiled direct sum (`wasmConvSingleChannel.ts`), no patch matrix; otherwise
 * {@link patchFilterGradient}.
 */
export const conv2dBackpropFilter: tf.KernelConfig['kernelFunc'] = (args) => {
  const { x, dy } = args.inputs as { x: Info; dy: Info }
  const a = args.attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] }
  if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm: only NHWC is supported')
  const direct = filterGradientOneChannel(args.backend as BackendWasm, x, dy, a.filterShape, a)
  return direct ?? patchFilterGradient(args)
}

/** `Conv2DBackpropInput`: the gradient of an NHWC convolution with respect to its input. */
export const conv2dBackpropInput: tf.KernelConfig['kernelFunc'] = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] }
  const geometry = convGeometry(a.inputShape, filter.shape, a, 'Conv2DBackpropInput')
  const { cout, rows, taps } = geometry
  // dcols[r, (u, v, c)]: what output position r sends back through tap (u, v, c).
  const dcols = product2d(wasm, dy, [rows, cout], filter, [taps, cout], true)
  const out = wasm.makeOutput([...a.inputShape], 'float32')
  ;(wasm.typedArrayFromHeap(out) as Float32Array).fill(0)
  scatterPatches(wasm, address(wasm, dcols), address(wasm, out), geometry)
  wasm.disposeData(dcols.dataId)
  return out
}
