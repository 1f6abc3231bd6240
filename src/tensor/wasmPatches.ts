/**
 * The patch gather of the convolution weight gradient (`wasmConv.ts`) as
 * compiled WebAssembly: for one filter tap (u, v, c), the row of the
 * transposed patch matrix that holds, for every output position, the input
 * value the tap multiplies (0 where it reads padding). In JS the gather cost
 * ~2.4 ns per value, as much as LeNet-5's conv1 weight-gradient product.
 *
 * Per output row, the columns that read inside the input (`j0 … j1`) are
 * copied with the input's stride, the others are zero-filled.
 * @module
 */
import { backendMemory, type Code, type FunctionDef, I32, instantiate, op } from './wasmModule.js'

// tap(x, p, n, h, rowFloats, oh, ow, sh, rowShift, j0, j1, first, step): byte addresses x and p; the input row
// `rowFloats = w·cin` floats long; the output row i reads input row i·sh + rowShift; `first` is the input
// float offset within a row of column j0's value, `step` the bytes between consecutive columns' values.
const [X, P, N, H, ROW_FLOATS, OH, OW, SH, ROW_SHIFT, J0, J1, FIRST, STEP] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
] as const
// Locals: b, i, at (bytes), row, source (bytes), k (bytes), end (bytes).
const [B, I, AT, ROW, SOURCE, K, END] = [13, 14, 15, 16, 17, 18, 19] as const

const get = op.get
const bytes = (local: number): Code => [...get(local), ...op.i32(2), ...op.i32Shl]
/** `for (v = 0; v < bound; v++) body` */
const count = (v: number, bound: Code, body: Code): Code => [
  ...op.i32(0),
  ...op.set(v),
  ...op.block(op.loop(get(v), bound, op.i32GeU, op.brIf(1), body, get(v), op.i32(1), op.i32Add, op.set(v), op.br(0))),
]

/** `while (k < end) { store(k, value); k += 4; … }`: `value` pushes the float, `advance` runs after each store. */
const storeLoop = (value: Code, advance: Code = []): Code =>
  op.block(
    op.loop(
      [...get(K), ...get(END), ...op.i32GeU, ...op.brIf(1)],
      [...get(K), ...value, ...op.f32Store],
      [...get(K), ...op.i32(4), ...op.i32Add, ...op.set(K)],
      advance,
      op.br(0),
    ),
  )

/** Set `k` and `end` to `at + from·4` and `at + to·4`. */
const span = (from: Code, to: Code): Code => [
  ...[...get(AT), ...from, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(K)],
  ...[...get(AT), ...to, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(END)],
]

// Plain loops, not `memory.fill`/`memory.copy`: those are runtime calls, too dear for rows of a few floats.
const zeros = (from: Code, to: Code): Code => [...span(from, to), ...storeLoop(op.f32(0))]

const outputRow: Code = [
  // row = i·sh + rowShift; inside the input when 0 ≤ row < h (one unsigned comparison)
  ...[...get(I), ...get(SH), ...op.i32Mul, ...get(ROW_SHIFT), ...op.i32Add, ...op.set(ROW)],
  ...[...get(ROW), ...get(H), ...op.i32LtU],
  ...op.ifElse(
    [
      ...zeros(op.i32(0), get(J0)),
      // source = x + ((b·h + row)·rowFloats + first)·4
      ...[...get(B), ...get(H), ...op.i32Mul, ...get(ROW), ...op.i32Add, ...get(ROW_FLOATS), ...op.i32Mul],
      ...[...get(FIRST), ...op.i32Add, ...op.i32(2), ...op.i32Shl, ...get(X), ...op.i32Add, ...op.set(SOURCE)],
      ...span(get(J0), get(J1)),
      ...storeLoop([...get(SOURCE), ...op.f32Load], [...get(SOURCE), ...get(STEP), ...op.i32Add, ...op.set(SOURCE)]),
      ...zeros(get(J1), get(OW)),
    ],
    zeros(op.i32(0), get(OW)),
  ),
  ...[...get(AT), ...bytes(OW), ...op.i32Add, ...op.set(AT)],
]

const tap: FunctionDef = {
  name: 'tap',
  params: Array.from({ length: 13 }, () => I32),
  locals: Array.from({ length: 7 }, () => I32),
  body: [...get(P), ...op.set(AT), ...count(B, get(N), count(I, get(OH), outputRow))],
}

const compiled = new WeakMap<object, (...args: number[]) => void>()

/** The geometry `wasmConv.ts` computes, in its names. */
export interface Geometry {
  readonly n: number
  readonly h: number
  readonly w: number
  readonly cin: number
  readonly oh: number
  readonly ow: number
  readonly sh: number
  readonly sw: number
  readonly fh: number
  readonly fw: number
  readonly top: number
  readonly left: number
  readonly rows: number
}

/**
 * Fill the transposed patch matrix `[fh·fw·cin, rows]` at byte address `p` from the NHWC input at byte
 * address `x`, both on `backend`'s heap.
 */
export const gatherPatches = (backend: object, x: number, p: number, g: Geometry): void => {
  let fn = compiled.get(backend)
  if (fn === undefined) {
    fn = instantiate(backendMemory(backend), [tap])['tap']!
    compiled.set(backend, fn)
  }
  const { n, h, w, cin, oh, ow, sh, sw, fh, fw, top, left, rows } = g
  for (let u = 0; u < fh; u++)
    for (let v = 0; v < fw; v++) {
      // The output columns whose tap v reads inside the input (col = j·sw + v − left in [0, w)).
      const j0 = Math.min(ow, Math.max(0, Math.ceil((left - v) / sw)))
      const j1 = Math.max(j0, Math.min(ow, Math.ceil((w + left - v) / sw)))
      for (let c = 0; c < cin; c++) {
        const row = p + ((u * fw + v) * cin + c) * rows * 4
        fn(x, row, n, h, w * cin, oh, ow, sh, u - top, j0, j1, (j0 * sw + v - left) * cin + c, sw * cin * 4)
      }
    }
}
