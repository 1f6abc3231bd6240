/**
 * The patch loops of the convolution gradients (`wasmConv.ts`) as compiled
 * WebAssembly. In JS they cost ~2.4 ns per value, as much as the XNNPACK
 * products around them.
 *
 * - gather (weights): for one filter tap (u, v, c), the row of the
 *   transposed patch matrix that holds, for every output position, the input
 *   value the tap multiplies (0 where it reads padding);
 * - scatter (inputs, col2im): every patch row added back to the input
 *   positions it was read from, in the order the JS loop added them (the same
 *   float32 sums), four channels at a time (each value's sum keeps its order).
 *
 * Per output row, the columns that read inside the input (`j0 … j1`) are
 * copied with the input's stride, the others are zero-filled.
 * @module
 */
import { backendMemory, type Code, type FunctionDef, I32, instantiate, op, scalar, vector } from './wasmModule.js'

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

// scatter(g, dx, n, h, w, cin, oh, ow, sh, sw, fh, fw, top, left): byte addresses g ([rows, taps]) and dx (NHWC).
const S = { g: 0, dx: 1, n: 2, h: 3, w: 4, cin: 5, oh: 6, ow: 7, sh: 8, sw: 9, fh: 10, fw: 11, top: 12, left: 13 }
// Locals: loop counters, the input row and column, the source and target byte addresses, the channel bytes (and
// those of the whole groups of four channels).
const L = {
  b: 14,
  i: 15,
  j: 16,
  u: 17,
  v: 18,
  row: 19,
  col: 20,
  from: 21,
  to: 22,
  k: 23,
  channelBytes: 24,
  vectorBytes: 25,
}

/** `dx[to + c] += g[from + c]` for every channel: four at a time while four remain, then one by one. */
const addChannels: Code = [
  ...op.i32(0),
  ...op.set(L.k),
  ...[vector, scalar].flatMap((lanes) =>
    op.block(
      op.loop(
        [...get(L.k), ...get(lanes === vector ? L.vectorBytes : L.channelBytes), ...op.i32GeU, ...op.brIf(1)],
        [...get(L.to), ...get(L.k), ...op.i32Add],
        [...get(L.to), ...get(L.k), ...op.i32Add, ...lanes.load],
        [...get(L.from), ...get(L.k), ...op.i32Add, ...lanes.load],
        [...lanes.add, ...lanes.store],
        [...get(L.k), ...op.i32(lanes.step), ...op.i32Add, ...op.set(L.k)],
        op.br(0),
      ),
    ),
  ),
]

/** One filter column v of one output position and filter row: add back what it read, if inside the input. */
const scatterTap: Code = [
  ...[
    ...get(L.j),
    ...get(S.sw),
    ...op.i32Mul,
    ...get(L.v),
    ...op.i32Add,
    ...get(S.left),
    ...op.i32Sub,
    ...op.set(L.col),
  ],
  ...[...get(L.col), ...get(S.w), ...op.i32LtU],
  ...op.ifElse(
    [
      // to = dx + ((b·h + row)·w + col)·cin·4
      ...[...get(L.b), ...get(S.h), ...op.i32Mul, ...get(L.row), ...op.i32Add, ...get(S.w), ...op.i32Mul],
      ...[...get(L.col), ...op.i32Add, ...get(L.channelBytes), ...op.i32Mul, ...get(S.dx), ...op.i32Add],
      ...op.set(L.to),
      ...addChannels,
    ],
    [],
  ),
  ...[...get(L.from), ...get(L.channelBytes), ...op.i32Add, ...op.set(L.from)],
]

/** One filter row u of one output position. */
const scatterRow: Code = [
  ...[
    ...get(L.i),
    ...get(S.sh),
    ...op.i32Mul,
    ...get(L.u),
    ...op.i32Add,
    ...get(S.top),
    ...op.i32Sub,
    ...op.set(L.row),
  ],
  ...[...get(L.row), ...get(S.h), ...op.i32LtU],
  ...op.ifElse(
    count(L.v, get(S.fw), scatterTap),
    // Outside the input: skip the row's taps.
    [...get(L.from), ...get(S.fw), ...get(L.channelBytes), ...op.i32Mul, ...op.i32Add, ...op.set(L.from)],
  ),
]

const scatter: FunctionDef = {
  name: 'scatter',
  params: Array.from({ length: 14 }, () => I32),
  locals: Array.from({ length: 12 }, () => I32),
  body: [
    ...[...get(S.g), ...op.set(L.from), ...get(S.cin), ...op.i32(2), ...op.i32Shl, ...op.set(L.channelBytes)],
    ...[...get(L.channelBytes), ...op.i32(-16), ...op.i32And, ...op.set(L.vectorBytes)],
    ...count(L.b, get(S.n), count(L.i, get(S.oh), count(L.j, get(S.ow), count(L.u, get(S.fh), scatterRow)))),
  ],
}

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

const functionsOf = (backend: object) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [tap, scatter])
    compiled.set(backend, fns)
  }
  return fns
}

/** The input bytes one round of the gather covers (a few images: well inside a core's L2 cache). */
const CHUNK_BYTES = 128 * 1024

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
  const fn = functionsOf(backend)['tap']!
  const { n, h, w, cin, oh, ow, sh, sw, fh, fw, top, left, rows } = g
  // A few images at a time, every tap of them: their input stays in cache while each tap row reads it again.
  const imageBytes = h * w * cin * 4
  const chunk = Math.max(1, Math.min(n, Math.floor(CHUNK_BYTES / imageBytes)))
  for (let first = 0; first < n; first += chunk) {
    const images = Math.min(chunk, n - first)
    const from = x + first * imageBytes
    const to = p + first * oh * ow * 4
    for (let u = 0; u < fh; u++)
      for (let v = 0; v < fw; v++) {
        // The output columns whose tap v reads inside the input (col = j·sw + v − left in [0, w)).
        const j0 = Math.min(ow, Math.max(0, Math.ceil((left - v) / sw)))
        const j1 = Math.max(j0, Math.min(ow, Math.ceil((w + left - v) / sw)))
        for (let c = 0; c < cin; c++) {
          const row = to + ((u * fw + v) * cin + c) * rows * 4
          fn(from, row, images, h, w * cin, oh, ow, sh, u - top, j0, j1, (j0 * sw + v - left) * cin + c, sw * cin * 4)
        }
      }
  }
}

/**
 * col2im: add every row of `g` (`[rows, fh·fw·cin]`, what each output position sends back through each tap) to
 * the NHWC input gradient at byte address `dx` (zero-filled by the caller), positions and taps in order.
 */
export const scatterPatches = (backend: object, g: number, dx: number, geometry: Geometry): void => {
  const { n, h, w, cin, oh, ow, sh, sw, fh, fw, top, left } = geometry
  functionsOf(backend)['scatter']!(g, dx, n, h, w, cin, oh, ow, sh, sw, fh, fw, top, left)
}
