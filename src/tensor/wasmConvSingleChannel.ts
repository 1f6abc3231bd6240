/**
 * Convolutions of a one-channel NHWC input (a grey image's first layer) on WASM, compiled per filter shape:
 *
 * - forward (`Conv2D`): XNNPACK runs it at ~5 GFLOP/s: with one input channel its product is 9 deep (3×3), too
 *   shallow for its packed tiles. Here each output position's `cout` values are `cout/4` `f32x4` accumulators;
 *   every tap loads its input value into four lanes and adds its product with the tap's filter row. Sums run
 *   from 0 over the taps in the filter's order, one float32 rounding per product and per sum: within
 *   10·2⁻²⁴·Σ|x·w| of the exact value, and XNNPACK's bits where its results are right
 *   (`test/unit/tensor/wasmConvSingleChannel.test.ts`);
 * - weight gradient (`Conv2DBackpropFilter`, called from `wasmConv.ts`): per tap, `cout/4` accumulators summing
 *   input value × `dy` row over the positions in order, a few images at a time so that every tap reads `dy` from
 *   cache; no patch matrix. The same sums in the same order as the patch matrix's XNNPACK product: the same bits.
 *
 * The input is first copied into a zero-padded buffer, so that no tap needs a bounds check, and the taps and
 * channel groups are unrolled with their offsets as constants (functions per filter shape, stride and padded
 * width). Other convolutions (more input channels, output channels not a multiple of four or more than 32,
 * dilation, NCHW) run the stock kernel or the general path.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { backendMemory, type Code, type FunctionDef, I32, instantiate, op, V128, type ValType } from './wasmModule.js'

type Info = tf.TensorInfo
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding

/** Output channels up to 8 accumulators: with the broadcast input and a filter row, within V8's 16 SIMD registers. */
const MAX_CHANNELS = 32

const get = op.get

/** `for (v = 0; v < bound; v++) body` */
const count = (v: number, bound: Code, body: Code): Code => [
  ...op.i32(0),
  ...op.set(v),
  ...op.block(op.loop(get(v), bound, op.i32GeU, op.brIf(1), body, get(v), op.i32(1), op.i32Add, op.set(v), op.br(0))),
]

// pad(x, p, n, rows, cols, hp, wp, top, left, h, w): copies the first `rows × cols` values of each `h × w` image
// (one channel) at x into the zero-filled padded images at p (`hp` rows of `wp`), at row `top`, column `left`.
// Locals: b, r, c, source, target.
const PAD = { x: 0, p: 1, n: 2, rows: 3, cols: 4, hp: 5, wp: 6, top: 7, left: 8, h: 9, w: 10 }
const PL = { b: 11, r: 12, c: 13, from: 14, to: 15 }
/** `((b·height + r + shift)·width + column)·4 + base`, a row's byte address. */
const rowAddress = (base: number, height: number, shift: Code, width: number, column: Code): Code => [
  ...[...get(PL.b), ...get(height), ...op.i32Mul, ...get(PL.r), ...op.i32Add, ...shift],
  ...[...get(width), ...op.i32Mul, ...column, ...op.i32Add, ...op.i32(2), ...op.i32Shl, ...get(base), ...op.i32Add],
]
const pad: FunctionDef = {
  name: 'pad',
  params: Array.from({ length: 11 }, () => I32),
  locals: Array.from({ length: 5 }, () => I32),
  body: count(
    PL.b,
    get(PAD.n),
    count(PL.r, get(PAD.rows), [
      ...rowAddress(PAD.x, PAD.h, [], PAD.w, op.i32(0)),
      ...op.set(PL.from),
      ...rowAddress(PAD.p, PAD.hp, [...get(PAD.top), ...op.i32Add], PAD.wp, get(PAD.left)),
      ...op.set(PL.to),
      ...count(PL.c, get(PAD.cols), [
        ...[...get(PL.to), ...get(PL.from), ...op.f32Load, ...op.f32Store],
        ...[...get(PL.to), ...op.i32(4), ...op.i32Add, ...op.set(PL.to)],
        ...[...get(PL.from), ...op.i32(4), ...op.i32Add, ...op.set(PL.from)],
      ]),
    ]),
  ),
}

/** What a compiled forward function is specialised to. */
interface Shape {
  readonly fh: number
  readonly fw: number
  readonly cout: number
  readonly sh: number
  readonly sw: number
  /** The padded input's width. */
  readonly wp: number
}

// conv(p, w, out, n, oh, ow, imageBytes): the padded input, the [fh, fw, 1, cout] filter, the NHWC output.
// Locals: b, i, j, the window's row start and address, the output address, then the accumulators and the broadcast
// input value.
const CP = { p: 0, w: 1, out: 2, n: 3, oh: 4, ow: 5, imageBytes: 6 }
const CL = { b: 7, i: 8, j: 9, row: 10, at: 11, to: 12, acc: 13 }

const forward = (s: Shape): FunctionDef => {
  const groups = s.cout / 4
  const value = CL.acc + groups
  const position: Code = [
    ...Array.from({ length: groups }, (_, q) => [...op.f32(0), ...op.f32x4Splat, ...op.set(CL.acc + q)]).flat(),
    ...Array.from({ length: s.fh * s.fw }, (_, t) => {
      const [u, v] = [Math.floor(t / s.fw), t % s.fw]
      return [
        ...get(CL.at),
        ...op.v128Load32SplatAt((u * s.wp + v) * 4),
        ...op.set(value),
        ...Array.from({ length: groups }, (_, q) => [
          ...get(CL.acc + q),
          ...get(value),
          ...get(CP.w),
          ...op.v128LoadAt((t * s.cout + 4 * q) * 4),
          ...op.f32x4Mul,
          ...op.f32x4Add,
          ...op.set(CL.acc + q),
        ]).flat(),
      ]
    }).flat(),
    ...Array.from({ length: groups }, (_, q) => [...get(CL.to), ...get(CL.acc + q), ...op.v128StoreAt(16 * q)]).flat(),
    ...[...get(CL.at), ...op.i32(s.sw * 4), ...op.i32Add, ...op.set(CL.at)],
    ...[...get(CL.to), ...op.i32(s.cout * 4), ...op.i32Add, ...op.set(CL.to)],
  ]
  return {
    name: 'conv',
    params: Array.from({ length: 7 }, () => I32),
    locals: [
      ...Array.from({ length: 6 }, (): ValType => I32),
      ...Array.from({ length: groups + 1 }, (): ValType => V128),
    ],
    body: [
      ...get(CP.out),
      ...op.set(CL.to),
      ...count(CL.b, get(CP.n), [
        ...[...get(CP.p), ...get(CL.b), ...get(CP.imageBytes), ...op.i32Mul, ...op.i32Add, ...op.set(CL.row)],
        ...count(CL.i, get(CP.oh), [
          ...[...get(CL.row), ...op.set(CL.at)],
          ...count(CL.j, get(CP.ow), position),
          ...[...get(CL.row), ...op.i32(s.sh * s.wp * 4), ...op.i32Add, ...op.set(CL.row)],
        ]),
      ]),
    ],
  }
}

// filterGrad(p, dy, dw, images, oh, ow, imageBytes): adds, for every tap, Σ input·dy over the images' positions (in
// order) to the tap's `cout` values of dw. Locals: b, i, j, the window's row start and address, the dy address, then
// the accumulators and the broadcast input value.
const FP = { p: 0, dy: 1, dw: 2, n: 3, oh: 4, ow: 5, imageBytes: 6 }
const FL = { b: 7, i: 8, j: 9, row: 10, at: 11, from: 12, acc: 13 }

const filterGradient = (s: Shape): FunctionDef => {
  const groups = s.cout / 4
  const value = FL.acc + groups
  const tap = (t: number): Code => {
    const [u, v] = [Math.floor(t / s.fw), t % s.fw]
    const position: Code = [
      ...[...get(FL.at), ...op.v128Load32SplatAt((u * s.wp + v) * 4), ...op.set(value)],
      ...Array.from({ length: groups }, (_, q) => [
        ...get(FL.acc + q),
        ...get(value),
        ...get(FL.from),
        ...op.v128LoadAt(16 * q),
        ...op.f32x4Mul,
        ...op.f32x4Add,
        ...op.set(FL.acc + q),
      ]).flat(),
      ...[...get(FL.at), ...op.i32(s.sw * 4), ...op.i32Add, ...op.set(FL.at)],
      ...[...get(FL.from), ...op.i32(s.cout * 4), ...op.i32Add, ...op.set(FL.from)],
    ]
    return [
      ...Array.from({ length: groups }, (_, q) => [
        ...get(FP.dw),
        ...op.v128LoadAt((t * s.cout + 4 * q) * 4),
        ...op.set(FL.acc + q),
      ]).flat(),
      ...[...get(FP.dy), ...op.set(FL.from)],
      ...count(FL.b, get(FP.n), [
        ...[...get(FP.p), ...get(FL.b), ...get(FP.imageBytes), ...op.i32Mul, ...op.i32Add, ...op.set(FL.row)],
        ...count(FL.i, get(FP.oh), [
          ...[...get(FL.row), ...op.set(FL.at)],
          ...count(FL.j, get(FP.ow), position),
          ...[...get(FL.row), ...op.i32(s.sh * s.wp * 4), ...op.i32Add, ...op.set(FL.row)],
        ]),
      ]),
      ...Array.from({ length: groups }, (_, q) => [
        ...get(FP.dw),
        ...get(FL.acc + q),
        ...op.v128StoreAt((t * s.cout + 4 * q) * 4),
      ]).flat(),
    ]
  }
  return {
    name: 'filterGrad',
    params: Array.from({ length: 7 }, () => I32),
    locals: [
      ...Array.from({ length: 6 }, (): ValType => I32),
      ...Array.from({ length: groups + 1 }, (): ValType => V128),
    ],
    body: Array.from({ length: s.fh * s.fw }, (_, t) => tap(t)).flat(),
  }
}

type Compiled = Record<string, (...args: number[]) => void>
const compiled = new WeakMap<object, { pad: Compiled; forward: Map<string, Compiled> }>()

const functionsFor = (backend: object, s: Shape) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = { pad: instantiate(backendMemory(backend), [pad]), forward: new Map() }
    compiled.set(backend, fns)
  }
  const key = `${s.fh},${s.fw},${s.cout},${s.sh},${s.sw},${s.wp}`
  let conv = fns.forward.get(key)
  if (conv === undefined) {
    conv = instantiate(backendMemory(backend), [forward(s), filterGradient(s)])
    fns.forward.set(key, conv)
  }
  return { pad: fns.pad['pad']!, conv: conv['conv']!, filterGrad: conv['filterGrad']! }
}

interface Conv2DAttrs {
  readonly strides: [number, number] | number
  readonly pad: Pad
  readonly dataFormat: 'NHWC' | 'NCHW'
  readonly dilations: [number, number] | number
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/** Whether the compiled kernel takes this convolution (the others run the stock kernel). */
export const takes = (x: Info, filter: Info, a: Conv2DAttrs): boolean => {
  const cout = filter.shape[3]!
  const dilation = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : a.dilations
  return (
    a.dataFormat !== 'NCHW' &&
    x.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    x.shape[3] === 1 &&
    cout % 4 === 0 &&
    cout > 0 &&
    cout <= MAX_CHANNELS &&
    dilation.every((d) => d === 1)
  )
}

/**
 * The one-channel input copied into zero-padded images that cover every window (`hp × wp`; input rows and columns
 * past the last window are not copied), and the functions compiled for the convolution's shape.
 */
const padInput = (wasm: BackendWasm, x: Info, info: tf.backend_util.Conv2DInfo) => {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, outChannels: cout } = info
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info
  const [hp, wp] = [(oh - 1) * sh + fh, (ow - 1) * sw + fw]
  const { top, left } = info.padInfo
  const padded = wasm.makeOutput([n * hp * wp], 'float32')
  ;(wasm.typedArrayFromHeap(padded) as Float32Array).fill(0)
  const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const fns = functionsFor(wasm, { fh, fw, cout, sh, sw, wp })
  const [rows, cols] = [Math.max(0, Math.min(h, hp - top)), Math.max(0, Math.min(w, wp - left))]
  fns.pad(address(x), address(padded), n, rows, cols, hp, wp, top, left, h, w)
  return { padded, hp, wp, fns }
}

/** The output-gradient bytes one round of the weight gradient covers (a few images: inside a core's L2 cache). */
const CHUNK_BYTES = 128 * 1024

/**
 * `Conv2DBackpropFilter` of a one-channel input (what {@link takes} takes), or `undefined` for the caller's general
 * path. Per tap, every output position's input value times its `dy` row, summed in position order (as the product
 * of the transposed patch matrix with `dy` sums), a few images at a time so that `dy` is read from cache by
 * every tap.
 */
export const filterGradientOneChannel = (
  wasm: BackendWasm,
  x: Info,
  dy: Info,
  filterShape: [number, number, number, number],
  a: Omit<Conv2DAttrs, 'dilations'>,
): Info | undefined => {
  const filter = { dataId: {}, shape: filterShape, dtype: 'float32' as const }
  if (!takes(x, filter, { ...a, dilations: 1 }) || dy.dtype !== 'float32') return undefined
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  )
  const { batchSize: n, outHeight: oh, outWidth: ow, outChannels: cout } = info
  const dW = wasm.makeOutput([...filterShape], 'float32')
  ;(wasm.typedArrayFromHeap(dW) as Float32Array).fill(0)
  if (n * oh * ow === 0) return dW
  const { padded, hp, wp, fns } = padInput(wasm, x, info)
  const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const dyImageBytes = oh * ow * cout * 4
  const chunk = Math.max(1, Math.min(n, Math.floor(CHUNK_BYTES / dyImageBytes)))
  for (let first = 0; first < n; first += chunk) {
    const images = Math.min(chunk, n - first)
    const p = address(padded) + first * hp * wp * 4
    fns.filterGrad(p, address(dy) + first * dyImageBytes, address(dW), images, oh, ow, hp * wp * 4)
  }
  wasm.disposeData(padded.dataId)
  return dW
}

/** `Conv2D` for WASM: one-channel inputs compiled, every other convolution through `stock`. */
export const conv2dKernel =
  (stock: tf.KernelConfig): tf.KernelConfig['kernelFunc'] =>
  (args) => {
    const { x, filter } = args.inputs as { x: Info; filter: Info }
    const a = args.attrs as unknown as Conv2DAttrs
    if (!takes(x, filter, a)) return stock.kernelFunc(args)
    const wasm = args.backend as BackendWasm
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    )
    const { batchSize: n, outHeight: oh, outWidth: ow, outChannels: cout } = info
    const out = wasm.makeOutput([n, oh, ow, cout], 'float32')
    if (n * oh * ow * cout === 0) return out
    const { padded, hp, wp, fns } = padInput(wasm, x, info)
    const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
    fns.conv(address(padded), address(filter), address(out), n, oh, ow, hp * wp * 4)
    wasm.disposeData(padded.dataId)
    return out
  }
