/**
 * The forward convolution of a one-channel NHWC input (a grey image's first layer) on WASM, compiled per filter
 * shape. XNNPACK runs it at ~5 GFLOP/s: with one input channel its product is 9 deep (3×3), too shallow for its
 * packed tiles. Here each output position's `cout` values are `cout/4` `f32x4` accumulators; every tap loads its
 * input value into four lanes and adds its product with the tap's filter row. The input is first copied into a
 * zero-padded buffer, so that no tap needs a bounds check, and the taps and channel groups are unrolled with
 * their offsets as constants (a function per filter shape, stride and padded width).
 *
 * Sums run from 0 over the taps in the filter's order (rows, then columns), one float32 rounding per product and
 * per sum: within 10·2⁻²⁴·Σ|x·w| of the exact value (`test/unit/tensor/wasmConvSingleChannel.test.ts`), as
 * XNNPACK's and the CPU backend's sums are; the bits differ from both (their orders and roundings differ).
 * Other convolutions (more input channels, output channels not a multiple of four or more than 32, dilation,
 * NCHW) run the stock kernel.
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
    conv = instantiate(backendMemory(backend), [forward(s)])
    fns.forward.set(key, conv)
  }
  return { pad: fns.pad['pad']!, conv: conv['conv']! }
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
    const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, outChannels: cout } = info
    const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info
    const out = wasm.makeOutput([n, oh, ow, cout], 'float32')
    if (n * oh * ow * cout === 0) return out
    // The padded images cover every window.
    const [hp, wp] = [(oh - 1) * sh + fh, (ow - 1) * sw + fw]
    const { top, left } = info.padInfo
    const padded = wasm.makeOutput([n * hp * wp], 'float32')
    ;(wasm.typedArrayFromHeap(padded) as Float32Array).fill(0)
    const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
    const fns = functionsFor(wasm, { fh, fw, cout, sh, sw, wp })
    // Input rows and columns past the last window are not copied.
    const [rows, cols] = [Math.max(0, Math.min(h, hp - top)), Math.max(0, Math.min(w, wp - left))]
    fns.pad(address(x), address(padded), n, rows, cols, hp, wp, top, left, h, w)
    fns.conv(address(padded), address(filter), address(out), n, oh, ow, hp * wp * 4)
    wasm.disposeData(padded.dataId)
    return out
  }
