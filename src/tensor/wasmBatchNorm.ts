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
 * float32 block sums, zero on entry), acc64 (`terms` rows of float64 sums).
 */
const reduction = (
  name: string,
  terms: number,
  term: (lanes: Lanes, i: number, at: Code) => Code,
  extraLocals: ReadonlyArray<ValType> = [],
): FunctionDef => {
  const P = { a: 0, b: 1, total: 2, rowBytes: 3, mean: 4, acc32: 5, acc64: 6 }
  const L = { row: 7, k: 8, vectorEnd: 9, count: 10, c: 11 }
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
    params: Array.from({ length: 7 }, (): ValType => I32),
    locals: [...Array.from({ length: 5 }, (): ValType => I32), ...extraLocals],
    body: [...rows(loops, accumulate, afterRow), ...flushAll],
  }
}

// A reduction's parameters a, b and mean, its channel offset k, and the two locals its squares use.
const R = { a: 0, b: 1, mean: 4, k: 8, v128: 12, f32: 13 }
/** x − mean, x at `at`. */
const centred = (lanes: Lanes, x: Code): Code => [...x, ...lanes.load, ...add(R.mean, R.k), ...lanes.load, ...lanes.sub]
/** The same element of input b as `at` is of input a. */
const inB = (at: Code): Code => [...at, ...get(R.a), ...op.i32Sub, ...get(R.b), ...op.i32Add]

const sums = reduction('sums', 1, (lanes, _, at) => [...at, ...lanes.load])
const squares = reduction(
  'squares',
  1,
  (lanes, _, at) => {
    const d = lanes.type === V128 ? R.v128 : R.f32
    return [...centred(lanes, at), ...op.tee(d), ...get(d), ...lanes.mul]
  },
  [V128, F32],
)
// a = dy, b = x: Σdy and Σdy·(x − mean).
const gradSums = reduction('gradSums', 2, (lanes, i, at) =>
  i === 0 ? [...at, ...lanes.load] : [...at, ...lanes.load, ...centred(lanes, inB(at)), ...lanes.mul],
)

/**
 * An element-wise pass with per-channel factors: out = f(inputs, factors). Parameters: a, b, out, total,
 * rowBytes, then the per-channel float32 arrays.
 */
const perChannel = (
  name: string,
  factors: number,
  f: (lanes: Lanes, at: Code, factor: (i: number) => Code) => Code,
): FunctionDef => {
  const Q = { a: 0, b: 1, out: 2, total: 3, rowBytes: 4, factors: 5 }
  const L = { row: 5 + factors, k: 6 + factors, vectorEnd: 7 + factors }
  const loops = { row: L.row, total: Q.total, rowBytes: Q.rowBytes, k: L.k, vectorEnd: L.vectorEnd }
  const body = (lanes: Lanes): Code => [
    ...[...get(Q.out), ...get(L.row), ...op.i32Add, ...get(L.k), ...op.i32Add],
    ...f(lanes, [...get(Q.a), ...get(L.row), ...op.i32Add, ...get(L.k), ...op.i32Add], (i) => [
      ...add(Q.factors + i, L.k),
      ...lanes.load,
    ]),
    ...lanes.store,
  ]
  return {
    name,
    params: Array.from({ length: 5 + factors }, (): ValType => I32),
    locals: [I32, I32, I32],
    body: rows(loops, body),
  }
}

// factors: mean, scale, shift. y = (x − mean)·scale + shift
const normalize = perChannel('normalize', 3, (lanes, at, factor) => [
  ...at,
  ...lanes.load,
  ...factor(0),
  ...lanes.sub,
  ...factor(1),
  ...lanes.mul,
  ...factor(2),
  ...lanes.add,
])

// a = dy, b = x; factors: mean, ca, cb, cd. dx = (ca·dy + cb·(x − mean)) + cd
const inputGrad = perChannel('inputGrad', 4, (lanes, at, factor) => [
  ...[...factor(1), ...at, ...lanes.load, ...lanes.mul],
  ...[...factor(2), ...at, ...op.get(0), ...op.i32Sub, ...op.get(1), ...op.i32Add, ...lanes.load, ...factor(0)],
  ...[...lanes.sub, ...lanes.mul, ...lanes.add, ...factor(3), ...lanes.add],
])

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

const functionsOf = (backend: object) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [sums, squares, gradSums, normalize, inputGrad])
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
  fn: 'sums' | 'squares' | 'gradSums',
  terms: number,
  a: Info,
  b: Info,
  mean: number,
): Float64Array => {
  const { channels, total, rowBytes } = channelsOf(a)
  const acc = scratch(wasm, channels, terms)
  functionsOf(wasm)[fn]!(address(wasm, a), address(wasm, b), total, rowBytes, mean, acc.at32, acc.at64)
  const out = acc.sums()
  acc.release()
  return out
}

/**
 * Forward, training mode: inputs `x` (channels last) and optional `weight`, `bias`; attribute `eps`. Outputs `y`,
 * the batch mean and the biased batch variance (`[channels]`), as `tf.moments` gives them.
 */
export const batchNormForward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { x, weight, bias } = inputs as { x: Info; weight?: Info; bias?: Info }
  const { eps } = attrs as unknown as { eps: number }
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
  const fn = functionsOf(wasm)['normalize']!
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
 * Backward: inputs `dy`, `x`, the forward's `mean` and `variance`, optional `weight`; attribute `eps`. Outputs the
 * gradients of x, of the weight and of the bias (the last two `[channels]`, as if the layer were affine).
 */
export const batchNormBackward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { dy, x, mean, variance, weight } = inputs as { dy: Info; x: Info; mean: Info; variance: Info; weight?: Info }
  const { eps } = attrs as unknown as { eps: number }
  const { channels, positions, total, rowBytes } = channelsOf(x)
  const g = reduce(wasm, 'gradSums', 2, dy, x, address(wasm, mean))
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
  const fn = functionsOf(wasm)['inputGrad']!
  fn(
    address(wasm, dy),
    address(wasm, x),
    address(wasm, dx),
    total,
    rowBytes,
    address(wasm, mean),
    ...factors.map((f) => address(wasm, f)),
  )
  for (const f of factors) wasm.disposeData(f.dataId)
  return [dx, channelTensor(wasm, dWeight), channelTensor(wasm, g.subarray(0, channels))]
}
