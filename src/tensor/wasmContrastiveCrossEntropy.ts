/**
 * The contrastive cross-entropy against a queue (`contrastiveCrossEntropy.ts`) on WASM, a block of rows at a
 * time in one scratch of {@link BLOCK_ROWS} × Q floats: the block's products with the queue (`productAt`, the
 * compiled SIMD products of `wasmGemm.ts`), its softmax and gradient in place, then the gradient's product with
 * the queue's transpose, read where the queue lies (no transposed copy).
 *
 * The softmax of a row runs as three compiled passes over it (maximum; exponentials, summed in float64; scaling
 * to the gradient), four floats at a time, with the row's float64 arithmetic in JS between them. The exponential
 * is Cephes' `expf` (Cody–Waite reduction by ln 2, a degree-6 polynomial, the power of two built in the exponent
 * bits), within 2 ulp of the true value; arguments are clamped at −87.3, where it reaches float32's smallest
 * normal (their terms are ≤ 1.2e-38 of the row's sum, which is ≥ 1). Queues whose length is not a multiple of
 * four take the rows in JS (`contrastiveRow`, float64 `Math.exp`).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { contrastiveRow } from './contrastiveCrossEntropy.js'
import { productAt } from './wasmGemm.js'
import {
  backendMemory,
  type Code,
  F32,
  type FunctionDef,
  I32,
  instantiate,
  op,
  V128,
  type ValType,
} from './wasmModule.js'

type Info = tf.TensorInfo

/** Rows per block: 64 × 4,096 floats is 1 MB, which stays in the second-level cache between the two products. */
export const BLOCK_ROWS = 64

const get = op.get
const splat = (x: number): Code => [...op.f32(x), ...op.f32x4Splat]

/** `for (p = at; p < end; p += 16) body`, p in local `p`. */
const overRow = (at: number, end: number, p: number, body: Code): Code => [
  ...get(at),
  ...op.set(p),
  ...op.block(
    op.loop(get(p), get(end), op.i32GeU, op.brIf(1), body, get(p), op.i32(16), op.i32Add, op.set(p), op.br(0)),
  ),
]

/** `rowMax(at, end, out)`: the float32 maximum of the floats in `[at, end)` at `out`. */
const rowMax: FunctionDef = (() => {
  const [AT, END, OUT, P, ACC] = [0, 1, 2, 3, 4]
  const lane = (l: number) => [...get(ACC), ...op.f32x4ExtractLane(l)]
  return {
    name: 'rowMax',
    params: [I32, I32, I32],
    locals: [I32, V128],
    body: [
      ...splat(-Infinity),
      ...op.set(ACC),
      ...overRow(AT, END, P, [...get(ACC), ...get(P), ...op.v128Load, ...op.f32x4Max, ...op.set(ACC)]),
      ...get(OUT),
      ...[...lane(0), ...lane(1), ...op.f32Max, ...lane(2), ...lane(3), ...op.f32Max, ...op.f32Max],
      ...op.f32Store,
    ],
  }
})()

// Cephes expf: exp(x) = 2^n · exp(r), n = round(x·log₂e), r = x − n·ln 2 (ln 2 in two parts).
const LOG2E = Math.LOG2E
const LN2_HI = 0.693359375
const LN2_LO = -2.1219444e-4
const POLY = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]
const LOWEST = -87.3

/** `rowExp(at, end, inv, m, out)`: each float z in `[at, end)` becomes exp(z·inv − m); their float64 sum at `out`. */
const rowExp: FunctionDef = (() => {
  const [AT, END, INV, M, OUT] = [0, 1, 2, 3, 4]
  const [P, VINV, VM, X, N, R, Y, ACC0, ACC1] = [5, 6, 7, 8, 9, 10, 11, 12, 13]
  const constants = [LOG2E, LN2_HI, LN2_LO, LOWEST, ...POLY]
  const C = (i: number) => 14 + i
  const [CLOG2E, CHI, CLO, CLOW] = [C(0), C(1), C(2), C(3)]
  const CPOLY = (i: number) => C(4 + i)
  const BIAS = C(constants.length)
  const mul = op.f32x4Mul
  const add = op.f32x4Add
  const sub = op.f32x4Sub
  const body: Code = [
    // x = max(z·inv − m, −87.3)
    ...[
      ...get(P),
      ...op.v128Load,
      ...get(VINV),
      ...mul,
      ...get(VM),
      ...sub,
      ...get(CLOW),
      ...op.f32x4Max,
      ...op.set(X),
    ],
    // n = nearest(x·log₂e); r = (x − n·ln2_hi) − n·ln2_lo
    ...[...get(X), ...get(CLOG2E), ...mul, ...op.f32x4Nearest, ...op.set(N)],
    ...[...get(X), ...get(N), ...get(CHI), ...mul, ...sub, ...get(N), ...get(CLO), ...mul, ...sub, ...op.set(R)],
    // y = (((((p0·r + p1)·r + p2)·r + p3)·r + p4)·r + p5)·r² + r + 1
    ...[...get(CPOLY(0)), ...get(R), ...mul],
    ...[1, 2, 3, 4].flatMap((i) => [...get(CPOLY(i)), ...add, ...get(R), ...mul]),
    ...[...get(CPOLY(5)), ...add, ...get(R), ...get(R), ...mul, ...mul, ...get(R), ...add, ...splat(1), ...add],
    ...op.set(Y),
    // e = y · 2^n, the power of two as the float with biased exponent n + 127
    ...[...get(P), ...get(Y), ...get(N), ...op.i32x4TruncSatF32x4S, ...get(BIAS), ...op.i32x4Add],
    ...[...op.i32(23), ...op.i32x4Shl, ...mul, ...op.v128Store],
    // Σe in float64: the low two lanes, then the high two moved down
    ...[...get(ACC0), ...get(P), ...op.v128Load, ...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.set(ACC0)],
    ...[...get(ACC1), ...get(P), ...op.v128Load, ...get(P), ...op.v128Load],
    ...op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]),
    ...[...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.set(ACC1)],
  ]
  const lanes = (v: number) => [...get(v), ...op.f64x2ExtractLane(0), ...get(v), ...op.f64x2ExtractLane(1)]
  return {
    name: 'rowExp',
    params: [I32, I32, F32, F32, I32],
    locals: [I32, ...Array.from({ length: 8 + constants.length + 1 }, (): ValType => V128)],
    body: [
      ...[...get(INV), ...op.f32x4Splat, ...op.set(VINV), ...get(M), ...op.f32x4Splat, ...op.set(VM)],
      ...constants.flatMap((c, i) => [...splat(c), ...op.set(C(i))]),
      ...[...op.i32(127), ...op.i32x4Splat, ...op.set(BIAS)],
      ...[...splat(0), ...op.set(ACC0), ...splat(0), ...op.set(ACC1)],
      ...overRow(AT, END, P, body),
      ...get(OUT),
      ...[...lanes(ACC0), ...op.f64Add, ...lanes(ACC1), ...op.f64Add, ...op.f64Add],
      ...op.f64Store,
    ],
  }
})()

/** `rowScale(at, end, s)`: each float in `[at, end)` times s. */
const rowScale: FunctionDef = (() => {
  const [AT, END, S, P, VS] = [0, 1, 2, 3, 4]
  return {
    name: 'rowScale',
    params: [I32, I32, F32],
    locals: [I32, V128],
    body: [
      ...[...get(S), ...op.f32x4Splat, ...op.set(VS)],
      ...overRow(AT, END, P, [...get(P), ...get(P), ...op.v128Load, ...get(VS), ...op.f32x4Mul, ...op.v128Store]),
    ],
  }
})()

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()
const functionsOf = (backend: object) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [rowMax, rowExp, rowScale])
    compiled.set(backend, fns)
  }
  return fns
}

/** The `LoopwrightContrastiveCrossEntropy` kernel for the WASM backend: `[loss, dPos, dQuery]` of the mean loss. */
export const wasmContrastiveCrossEntropyKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { pos, query, queue } = inputs as { pos: Info; query: Info; queue: Info }
  const { temperature } = attrs as unknown as { temperature: number }
  const [n, d] = query.shape as [number, number]
  const q = queue.shape[1]!
  const compiledRows = q % 4 === 0
  const blockRows = Math.min(BLOCK_ROWS, n)
  // Allocate everything first: allocating may grow the heap, which detaches views taken before.
  const loss = wasm.makeOutput([], 'float32')
  const dPos = wasm.makeOutput([...pos.shape], 'float32')
  const dQuery = wasm.makeOutput([n, d], 'float32')
  // The block, then 8 bytes (at an 8-byte boundary) for the row passes' results.
  const scratch = wasm.makeOutput([blockRows * q + 3], 'float32')
  const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const [atQuery, atQueue, atDQuery, atScratch] = [query, queue, dQuery, scratch].map(address) as [
    number,
    number,
    number,
    number,
  ]
  const posValues = wasm.typedArrayFromHeap(pos) as Float32Array
  const posGradient = wasm.typedArrayFromHeap(dPos) as Float32Array
  const block = wasm.typedArrayFromHeap(scratch) as Float32Array
  // In arithmetic, not bitwise: addresses pass 2³¹ once the heap grows past 2 GB.
  const atResult = Math.ceil((atScratch + blockRows * q * 4) / 8) * 8
  const maxResult = new Float32Array(block.buffer, atResult, 1)
  const sumResult = new Float64Array(block.buffer, atResult, 1)
  const fns = functionsOf(wasm)
  const [rowMaxFn, rowExpFn, rowScaleFn] = [fns['rowMax']!, fns['rowExp']!, fns['rowScale']!]
  const inv = Math.fround(1 / temperature)
  let total = 0
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, n - i0)
    productAt(wasm, atQuery + i0 * d * 4, atQueue, atScratch, rows, d, q, false, false)
    for (let r = 0; r < rows; r++) {
      if (!compiledRows) {
        const row = block.subarray(r * q, (r + 1) * q)
        const part = contrastiveRow(posValues[i0 + r]!, row, temperature, n, row)
        total += part.loss
        posGradient[i0 + r] = part.posGradient
        continue
      }
      const [start, end] = [atScratch + r * q * 4, atScratch + (r + 1) * q * 4]
      const l0 = Math.fround(posValues[i0 + r]! * inv)
      rowMaxFn(start, end, atResult)
      const m = Math.max(Math.fround(maxResult[0]! * inv), l0)
      rowExpFn(start, end, inv, m, atResult)
      const e0 = Math.exp(l0 - m)
      const sum = sumResult[0]! + e0
      total += m + Math.log(sum) - l0
      posGradient[i0 + r] = (e0 / sum - 1) / (n * temperature)
      rowScaleFn(start, end, 1 / (sum * n * temperature))
    }
    productAt(wasm, atScratch, atQueue, atDQuery + i0 * d * 4, rows, q, d, false, true)
  }
  ;(wasm.typedArrayFromHeap(loss) as Float32Array)[0] = total / n
  wasm.disposeData(scratch.dataId)
  return [loss, dPos, dQuery]
}
