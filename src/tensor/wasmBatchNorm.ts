/**
 * BatchNorm in training mode on WASM as compiled passes over tfjs's heap
 * (`fusedBatchNorm.ts` defines the op and its gradient). Composed from tfjs
 * ops it is ~20 kernels forward and back, several of them reductions over
 * every axis but the last, which WASM runs as a transpose and a scalar loop:
 * ~40% of a SmallCNN SimSiam step.
 *
 * The input is read as `[positions, channels]` (channels last). Per-channel
 * sums are taken four channels at a time in `f32x4` over blocks of
 * {@link BLOCK} positions, each block's sums added into `float64`
 * accumulators: a long float32 sum would lose the small terms (a BatchNorm
 * over 512 images of 28×28 sums 401k values per channel). The per-channel
 * arithmetic between the passes (means, 1/√(var + ε), the gradient's
 * coefficients) is done in JS, in float64, on a few dozen numbers.
 *
 * Forward: `sums` (Σx), `squares` (Σ(x − mean)², the biased variance as
 * `tf.moments` takes it), then `normalize`: `y = (x − mean)·s + shift` with
 * `s = weight/√(var + ε)`.
 * Backward: `gradSums` (Σdy and Σdy·(x − mean)), then `inputGrad`:
 * `dx = a·dy + b·(x − mean) + d`, the usual formula with its per-channel factors gathered.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import {
  backendMemory,
  type Code,
  F32,
  type FunctionDef,
  I32,
  instantiate,
  type Lanes,
  op,
  scalar,
  V128,
  type ValType,
  vector,
} from './wasmModule.js'
import { reluGradOf } from './wasmReluGrad.js'

type Info = tf.TensorInfo

/** Positions summed in float32 before a block's sums go into the float64 accumulators. */
export const BLOCK = 64

const get = op.get
const add = (a: number, b: number): Code => [...get(a), ...get(b), ...op.i32Add]

/**
 * `for (row = 0; row < total; row += rowBytes) { perRow; for (k = 0; k < rowBytes; k += 16 or 4) body(lanes) }`,
 * four channels at a time while four remain. `row` and `k` are byte offsets into `[positions, channels]` float32
 * arrays; per-channel float32 arrays are read at `k`.
 */
const rows = (
  l: { row: number; total: number; rowBytes: number; k: number; vectorEnd: number },
  body: (lanes: Lanes) => Code,
  afterRow: Code = [],
): Code => {
  const channels = (lanes: Lanes, end: Code): Code =>
    op.block(
      op.loop([...get(l.k), ...end, ...op.i32GeU, ...op.brIf(1)], body(lanes), [
        ...get(l.k),
        ...op.i32(lanes.step),
        ...op.i32Add,
        ...op.set(l.k),
        ...op.br(0),
      ]),
    )
  return [
    ...[...get(l.rowBytes), ...op.i32(-16), ...op.i32And, ...op.set(l.vectorEnd)],
    ...[...op.i32(0), ...op.set(l.row)],
    ...op.block(
      op.loop(
        [...get(l.row), ...get(l.total), ...op.i32GeU, ...op.brIf(1)],
        [...op.i32(0), ...op.set(l.k)],
        channels(vector, get(l.vectorEnd)),
        channels(scalar, get(l.rowBytes)),
        afterRow,
        [...get(l.row), ...get(l.rowBytes), ...op.i32Add, ...op.set(l.row), ...op.br(0)],
      ),
    ),
  ]
}

/**
 * A reduction: `terms` per-channel values (pushed by `term(lanes, i)`) summed over every position. Parameters:
 * a, b (inputs), total (bytes of one input), rowBytes, mean (float32 per channel), acc32 (`terms` rows of
 * float32 block sums, zero on entry), acc64 (`terms` rows of float64 sums), and with `relu` z (the ReLU's output,
 * read at a's offsets). Locals from {@link reductionLocals}.
 */
const reduction = (
  name: string,
  terms: number,
  term: (lanes: Lanes, i: number, at: Code) => Code,
  extraLocals: ReadonlyArray<ValType> = [],
  relu = false,
): FunctionDef => {
  const P = { a: 0, b: 1, total: 2, rowBytes: 3, mean: 4, acc32: 5, acc64: 6 }
  const L = reductionLocals(relu)
  const loops = { row: L.row, total: P.total, rowBytes: P.rowBytes, k: L.k, vectorEnd: L.vectorEnd }
  /** Byte address of term i's float32 block sum for the channel(s) at k. */
  const acc32 = (i: number, k: number): Code => [
    ...add(P.acc32, k),
    ...[...get(P.rowBytes), ...op.i32(i), ...op.i32Mul, ...op.i32Add],
  ]
  const accumulate = (lanes: Lanes): Code =>
    Array.from({ length: terms }, (_, i) => [
      ...acc32(i, L.k),
      ...[...acc32(i, L.k), ...lanes.load],
      ...term(lanes, i, [...get(P.a), ...get(L.row), ...op.i32Add, ...get(L.k), ...op.i32Add]),
      ...[...lanes.add, ...lanes.store],
    ]).flat()
  // Every BLOCK rows and after the last: acc64[c] += acc32[c]; acc32[c] = 0 (c over terms × channels, in bytes).
  const flushAll: Code = [
    ...[...op.i32(0), ...op.set(L.c)],
    ...op.block(
      op.loop(
        [...get(L.c), ...get(P.rowBytes), ...op.i32(terms), ...op.i32Mul, ...op.i32GeU, ...op.brIf(1)],
        // acc64 + 2c ← acc64 + 2c + promote(acc32 + c)
        [...get(P.acc64), ...get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add],
        [...get(P.acc64), ...get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...op.f64Load],
        [...add(P.acc32, L.c), ...op.f32Load, ...op.f64PromoteF32, ...op.f64Add, ...op.f64Store],
        [...add(P.acc32, L.c), ...op.f32(0), ...op.f32Store],
        [...get(L.c), ...op.i32(4), ...op.i32Add, ...op.set(L.c), ...op.br(0)],
      ),
    ),
    ...[...op.i32(0), ...op.set(L.count)],
  ]
  const afterRow: Code = [
    ...[...get(L.count), ...op.i32(1), ...op.i32Add, ...op.tee(L.count), ...op.i32(BLOCK), ...op.i32GeU],
    ...op.ifElse(flushAll, []),
  ]
  return {
    name,
    params: Array.from({ length: relu ? 8 : 7 }, (): ValType => I32),
    locals: [...Array.from({ length: 5 }, (): ValType => I32), ...extraLocals],
    body: [...rows(loops, accumulate, afterRow), ...flushAll],
  }
}

/**
 * A reduction's locals: loop counters, then `extra` (squares: the centred value in each lane type; with `relu`:
 * the ReLU's output and the masked gradient in each lane type).
 */
const reductionLocals = (relu: boolean) => {
  const first = relu ? 8 : 7
  return {
    row: first,
    k: first + 1,
    vectorEnd: first + 2,
    count: first + 3,
    c: first + 4,
    extra: { v128: first + 5, f32: first + 6, v128b: first + 7, f32b: first + 8 },
  }
}

// A reduction's parameters a, b, mean and (with a ReLU) z.
const R = { a: 0, b: 1, mean: 4, z: 7 }
/** x − mean, x at `at`; `k` the channel offset's local. */
const centred = (lanes: Lanes, x: Code, k: number): Code => [
  ...x,
  ...lanes.load,
  ...add(R.mean, k),
  ...lanes.load,
  ...lanes.sub,
]
/** The same element of the input at parameter `other` as `at` is of input a. */
const inOther = (at: Code, other: number): Code => [...at, ...get(R.a), ...op.i32Sub, ...get(other), ...op.i32Add]

const sums = reduction('sums', 1, (lanes, _, at) => [...at, ...lanes.load])
const squares = reduction(
  'squares',
  1,
  (lanes, _, at) => {
    const l = reductionLocals(false)
    const d = lanes.type === V128 ? l.extra.v128 : l.extra.f32
    return [...centred(lanes, at, l.k), ...op.tee(d), ...get(d), ...lanes.mul]
  },
  [V128, F32],
)
/** a = dy, b = x: Σdy and Σdy·(x − mean); with `relu`, dy is first masked by the ReLU's output z. */
const gradSumsOf = (relu: boolean): FunctionDef => {
  const l = reductionLocals(relu)
  const dy = (lanes: Lanes, at: Code, i: number): Code => {
    if (!relu) return [...at, ...lanes.load]
    const [z, masked] = lanes.type === V128 ? [l.extra.v128, l.extra.v128b] : [l.extra.f32, l.extra.f32b]
    // The masked gradient is computed once per element (term 0) and read again by term 1.
    if (i === 1) return get(masked)
    return [...reluGradOf(lanes, [...at, ...lanes.load], [...inOther(at, R.z), ...lanes.load], z), ...op.tee(masked)]
  }
  return reduction(
    relu ? 'gradSumsRelu' : 'gradSums',
    2,
    (lanes, i, at) =>
      i === 0 ? dy(lanes, at, 0) : [...dy(lanes, at, 1), ...centred(lanes, inOther(at, R.b), l.k), ...lanes.mul],
    relu ? [V128, F32, V128, F32] : [],
    relu,
  )
}
const gradSums = gradSumsOf(false)
const gradSumsRelu = gradSumsOf(true)

/**
 * An element-wise pass with per-channel factors: out = f(inputs, factors). Parameters: a, b, out, total,
 * rowBytes, then the per-channel float32 arrays, then with `relu` z (the ReLU's output, read at a's offsets).
 * `f` gets the locals after the loop counters (one of each lane type) for its own use.
 */
const perChannel = (
  name: string,
  factors: number,
  f: (lanes: Lanes, at: Code, factor: (i: number) => Code, scratch: number, z: number) => Code,
  relu = false,
): FunctionDef => {
  const Q = { a: 0, b: 1, out: 2, total: 3, rowBytes: 4, factors: 5 }
  const z = 5 + factors
  const first = z + (relu ? 1 : 0)
  const L = { row: first, k: first + 1, vectorEnd: first + 2, v128: first + 3, f32: first + 4 }
  const loops = { row: L.row, total: Q.total, rowBytes: Q.rowBytes, k: L.k, vectorEnd: L.vectorEnd }
  const body = (lanes: Lanes): Code => [
    ...[...get(Q.out), ...get(L.row), ...op.i32Add, ...get(L.k), ...op.i32Add],
    ...f(
      lanes,
      [...get(Q.a), ...get(L.row), ...op.i32Add, ...get(L.k), ...op.i32Add],
      (i) => [...add(Q.factors + i, L.k), ...lanes.load],
      lanes.type === V128 ? L.v128 : L.f32,
      z,
    ),
    ...lanes.store,
  ]
  return {
    name,
    params: Array.from({ length: first }, (): ValType => I32),
    locals: [I32, I32, I32, V128, F32],
    body: rows(loops, body),
  }
}

// factors: mean, scale, shift. y = (x − mean)·scale + shift, and with `relu` max(y, 0) (tfjs's Relu on WASM:
// +0 for −0, NaN for NaN).
const normalizeOf = (relu: boolean): FunctionDef =>
  perChannel(relu ? 'normalizeRelu' : 'normalize', 3, (lanes, at, factor) => [
    ...at,
    ...lanes.load,
    ...factor(0),
    ...lanes.sub,
    ...factor(1),
    ...lanes.mul,
    ...factor(2),
    ...lanes.add,
    ...(relu ? [...lanes.constant(0), ...(lanes.type === V128 ? op.f32x4Max : op.f32Max)] : []),
  ])

// a = dy, b = x; factors: mean, ca, cb, cd. dx = (ca·dy + cb·(x − mean)) + cd, with `relu` dy masked by z first.
const inputGradOf = (relu: boolean): FunctionDef =>
  perChannel(
    relu ? 'inputGradRelu' : 'inputGrad',
    4,
    (lanes, at, factor, scratch, z) => {
      const dy = relu
        ? reluGradOf(
            lanes,
            [...at, ...lanes.load],
            [...at, ...get(0), ...op.i32Sub, ...get(z), ...op.i32Add, ...lanes.load],
            scratch,
          )
        : [...at, ...lanes.load]
      return [
        ...[...factor(1), ...dy, ...lanes.mul],
        ...[...factor(2), ...at, ...op.get(0), ...op.i32Sub, ...op.get(1), ...op.i32Add, ...lanes.load, ...factor(0)],
        ...[...lanes.sub, ...lanes.mul, ...lanes.add, ...factor(3), ...lanes.add],
      ]
    },
    relu,
  )

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

const functionsOf = (backend: object) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [
      sums,
      squares,
      gradSums,
      gradSumsRelu,
      normalizeOf(false),
      normalizeOf(true),
      inputGradOf(false),
      inputGradOf(true),
    ])
    compiled.set(backend, fns)
  }
  return fns
}

const address = (wasm: BackendWasm, t: Info): number => wasm.dataIdMap.get(t.dataId)!.memoryOffset

/**
 * The first multiple of `alignment` at or after `address`. In arithmetic, not bitwise: heap addresses pass 2³¹ once
 * tfjs's heap grows past 2 GB (a DenseCL run did), and `&` would turn them negative.
 */
export const alignUp = (address: number, alignment: number): number => Math.ceil(address / alignment) * alignment

/** Scratch space for `terms` rows of per-channel float32 and float64 sums, zeroed; free with `release`. */
const scratch = (wasm: BackendWasm, channels: number, terms: number) => {
  const t32 = wasm.makeOutput([terms * channels], 'float32')
  // Two floats per float64 and one spare, so that the float64 rows start on an 8-byte boundary.
  const t64 = wasm.makeOutput([2 * terms * channels + 1], 'float32')
  const at32 = address(wasm, t32)
  const at64 = alignUp(address(wasm, t64), 8)
  const heap = () => (wasm.typedArrayFromHeap(t32) as Float32Array).buffer
  new Float32Array(heap(), at32, terms * channels).fill(0)
  new Float64Array(heap(), at64, terms * channels).fill(0)
  return {
    at32,
    at64,
    sums: (): Float64Array => new Float64Array(heap(), at64, terms * channels).slice(),
    release: () => {
      wasm.disposeData(t32.dataId)
      wasm.disposeData(t64.dataId)
    },
  }
}

/** A per-channel float32 tensor on the heap holding `values`. */
const channelTensor = (wasm: BackendWasm, values: ArrayLike<number>): Info => {
  const t = wasm.makeOutput([values.length], 'float32')
  ;(wasm.typedArrayFromHeap(t) as Float32Array).set(values)
  return t
}

const channelsOf = (x: Info) => {
  const channels = x.shape.at(-1)!
  const size = x.shape.reduce((a, b) => a * b, 1)
  return { channels, positions: size / channels, total: size * 4, rowBytes: channels * 4 }
}

/** One reduction pass: its float64 sums (`terms` rows of `channels`). */
const reduce = (
  wasm: BackendWasm,
  fn: 'sums' | 'squares' | 'gradSums' | 'gradSumsRelu',
  terms: number,
  a: Info,
  b: Info,
  mean: number,
  z?: Info,
): Float64Array => {
  const { channels, total, rowBytes } = channelsOf(a)
  const acc = scratch(wasm, channels, terms)
  const masked = z === undefined ? [] : [address(wasm, z)]
  functionsOf(wasm)[fn]!(address(wasm, a), address(wasm, b), total, rowBytes, mean, acc.at32, acc.at64, ...masked)
  const out = acc.sums()
  acc.release()
  return out
}

/**
 * Forward, training mode: inputs `x` (channels last) and optional `weight`, `bias`; attributes `eps` and `relu`
 * (a ReLU applied in the same pass). Outputs `y`, the batch mean and the biased batch variance (`[channels]`), as
 * `tf.moments` gives them.
 */
export const batchNormForward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { x, weight, bias } = inputs as { x: Info; weight?: Info; bias?: Info }
  const { eps, relu } = attrs as unknown as { eps: number; relu?: boolean }
  const { channels, positions, total, rowBytes } = channelsOf(x)
  const s = reduce(wasm, 'sums', 1, x, x, 0)
  const mean = channelTensor(
    wasm,
    Array.from(s, (v) => v / positions),
  )
  const q = reduce(wasm, 'squares', 1, x, x, address(wasm, mean))
  const variance = channelTensor(
    wasm,
    Array.from(q, (v) => v / positions),
  )
  const vars = wasm.typedArrayFromHeap(variance) as Float32Array
  const w = weight === undefined ? undefined : (wasm.typedArrayFromHeap(weight) as Float32Array).slice()
  const b = bias === undefined ? undefined : (wasm.typedArrayFromHeap(bias) as Float32Array).slice()
  const scale = channelTensor(
    wasm,
    Array.from({ length: channels }, (_, c) => (w?.[c] ?? 1) / Math.sqrt(vars[c]! + eps)),
  )
  const shift = channelTensor(wasm, b ?? new Float32Array(channels))
  const y = wasm.makeOutput([...x.shape], 'float32')
  const fn = functionsOf(wasm)[relu === true ? 'normalizeRelu' : 'normalize']!
  fn(
    address(wasm, x),
    0,
    address(wasm, y),
    total,
    rowBytes,
    address(wasm, mean),
    address(wasm, scale),
    address(wasm, shift),
  )
  wasm.disposeData(scale.dataId)
  wasm.disposeData(shift.dataId)
  return [y, mean, variance]
}

/**
 * Backward: inputs `dy`, `x`, the forward's `mean` and `variance`, optional `weight`, and `y`, the forward's output,
 * where it applied a ReLU (`dy` is then masked by `y > 0` first, as ReLU's gradient); attribute `eps`. Outputs the
 * gradients of x, of the weight and of the bias (the last two `[channels]`, as if the layer were affine).
 */
export const batchNormBackward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { dy, x, mean, variance, weight, y } = inputs as {
    dy: Info
    x: Info
    mean: Info
    variance: Info
    weight?: Info
    y?: Info
  }
  const { eps } = attrs as unknown as { eps: number }
  const { channels, positions, total, rowBytes } = channelsOf(x)
  const g = reduce(wasm, y === undefined ? 'gradSums' : 'gradSumsRelu', 2, dy, x, address(wasm, mean), y)
  const vars = (wasm.typedArrayFromHeap(variance) as Float32Array).slice()
  const w = weight === undefined ? undefined : (wasm.typedArrayFromHeap(weight) as Float32Array).slice()
  const ca = new Float64Array(channels)
  const cb = new Float64Array(channels)
  const cd = new Float64Array(channels)
  const dWeight = new Float64Array(channels)
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(vars[c]! + eps)
    const sumDy = g[c]!
    const sumDyXm = g[channels + c]!
    const k = (w?.[c] ?? 1) * invStd
    ca[c] = k
    cb[c] = (-k * invStd * invStd * sumDyXm) / positions
    cd[c] = (-k * sumDy) / positions
    dWeight[c] = sumDyXm * invStd
  }
  const factors = [ca, cb, cd].map((v) => channelTensor(wasm, v))
  const dx = wasm.makeOutput([...x.shape], 'float32')
  const fn = functionsOf(wasm)[y === undefined ? 'inputGrad' : 'inputGradRelu']!
  fn(
    address(wasm, dy),
    address(wasm, x),
    address(wasm, dx),
    total,
    rowBytes,
    address(wasm, mean),
    ...factors.map((f) => address(wasm, f)),
    ...(y === undefined ? [] : [address(wasm, y)]),
  )
  for (const f of factors) wasm.disposeData(f.dataId)
  return [dx, channelTensor(wasm, dWeight), channelTensor(wasm, g.subarray(0, channels))]
}
