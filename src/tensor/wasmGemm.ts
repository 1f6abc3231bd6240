/**
 * 2-D matrix products on the WASM backend as compiled WebAssembly SIMD over
 * tfjs's heap, without XNNPACK's per-call packing. XNNPACK packs its second
 * operand into a blocked layout on every call, and a training step's operands
 * (parameters, activations, gradients) are new tensors every step, so no pack
 * is ever reused; at an MLP's sizes the packing and the transposes around it
 * cost about as much as the arithmetic.
 *
 * Two register-tiled kernels read the operands where they lie:
 *
 * - `A·B` and `Aᵀ·B` (the backward products): a tile of 4 rows × 8 columns of
 *   C in eight `f32x4` accumulators; per step of k, two vectors of B's row k
 *   and one splatted element of A per row. A's rows and k are addressed by two
 *   strides, so a transposed A costs nothing. Tiles run column panel by column
 *   panel, so the panel of B (K × 32 bytes) stays in the first-level cache.
 * - `A·Bᵀ` (a layer's forward `x·Wᵀ`): both operands are read along k, four
 *   at a time; a tile of 4 × 2 dot products, summed across lanes at the end.
 *
 * Edges go through narrower tiles (4 and 1 columns, 1 row) and a scalar k
 * tail. Every term is one float32 multiply and one float32 add; the order of
 * the sums differs from XNNPACK's and the CPU backend's, so the result agrees
 * with them to float32 rounding, not bit for bit (`test/unit/tensor/wasmGemm.test.ts`).
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
  op,
  V128,
  type ValType,
} from './wasmModule.js'

type Info = tf.TensorInfo

/** Local indices by name, after the parameters, with their types. */
const frame = (params: ReadonlyArray<string>, locals: ReadonlyArray<readonly [string, ValType]>) => {
  const index = new Map<string, number>([
    ...params.map((p, i) => [p, i] as const),
    ...locals.map(([name], i) => [name, params.length + i] as const),
  ])
  const at = (name: string): number => {
    const i = index.get(name)
    if (i === undefined) throw new Error(`no local ${name}`)
    return i
  }
  return {
    get: (name: string) => op.get(at(name)),
    set: (name: string) => op.set(at(name)),
    types: locals.map(([, t]) => t),
    params: params.map((): ValType => I32),
  }
}

/** `block loop (exit when condition) body br 0 end end`. */
const whileNot = (exitWhen: Code, body: Code): Code => op.block(op.loop(exitWhen, op.brIf(1), body, op.br(0)))

const zero = (type: ValType): Code => (type === V128 ? [...op.f32(0), ...op.f32x4Splat] : op.f32(0))

/** `x += y` on i32 locals. */
const addTo = (f: ReturnType<typeof frame>, x: string, y: Code): Code => [...f.get(x), ...y, ...op.i32Add, ...f.set(x)]

/**
 * `C = A·B` with A addressed by strides (`aRow` between rows, `aK` between k): tiles of `rows` × `cols`,
 * `cols` 8 or 4 (vectors) or 1 (scalar). Parameters: a, b, c (byte addresses of the block), the block's rows
 * and columns (multiples of the tile), K, then the byte strides aRow, aK, bK (B's rows), cRow.
 */
const broadcastTile = (rows: number, cols: number): FunctionDef => {
  const vectors = cols === 1 ? 1 : cols / 4
  const type = cols === 1 ? F32 : V128
  const acc = (r: number, v: number) => `acc${r}_${v}`
  const f = frame(
    ['a', 'b', 'c', 'rows', 'cols', 'K', 'aRow', 'aK', 'bK', 'cRow'],
    [
      ...(['jOff', 'jEnd', 'pa', 'pc', 'iLeft', 'p', 'q', 'kLeft', 'pr'] as const).map((n) => [n, I32] as const),
      ...Array.from({ length: rows * vectors }, (_, i) => [acc(Math.floor(i / vectors), i % vectors), type] as const),
      ...Array.from({ length: vectors }, (_, v) => [`b${v}`, type] as const),
      ['av', type] as const,
    ],
  )
  const load = (offset: number) => (type === V128 ? op.v128LoadAt(offset) : op.f32LoadAt(offset))
  const store = (offset: number) => (type === V128 ? op.v128StoreAt(offset) : op.f32StoreAt(offset))
  const [mul, add] = type === V128 ? [op.f32x4Mul, op.f32x4Add] : [op.f32Mul, op.f32Add]
  const kStep: Code = [
    ...Array.from({ length: vectors }, (_, v) => [...f.get('q'), ...load(16 * v), ...f.set(`b${v}`)]).flat(),
    ...f.get('p'),
    ...f.set('pr'),
    ...Array.from({ length: rows }, (_, r) => [
      ...f.get('pr'),
      ...(type === V128 ? op.v128Load32SplatAt(0) : op.f32LoadAt(0)),
      ...f.set('av'),
      ...Array.from({ length: vectors }, (_, v) => [
        ...[...f.get(acc(r, v)), ...f.get('av'), ...f.get(`b${v}`), ...mul, ...add, ...f.set(acc(r, v))],
      ]).flat(),
      ...(r + 1 < rows ? addTo(f, 'pr', f.get('aRow')) : []),
    ]).flat(),
    ...addTo(f, 'p', f.get('aK')),
    ...addTo(f, 'q', f.get('bK')),
    ...addTo(f, 'kLeft', op.i32(-1)),
  ]
  const tile: Code = [
    ...Array.from({ length: rows * vectors }, (_, i) => [
      ...zero(type),
      ...f.set(acc(Math.floor(i / vectors), i % vectors)),
    ]).flat(),
    ...[...f.get('pa'), ...f.set('p'), ...f.get('b'), ...f.get('jOff'), ...op.i32Add, ...f.set('q')],
    ...[...f.get('K'), ...f.set('kLeft')],
    ...whileNot([...f.get('kLeft'), ...op.i32Eqz], kStep),
    ...[...f.get('pc'), ...f.set('pr')],
    ...Array.from({ length: rows }, (_, r) => [
      ...Array.from({ length: vectors }, (_, v) => [...f.get('pr'), ...f.get(acc(r, v)), ...store(16 * v)]).flat(),
      ...(r + 1 < rows ? addTo(f, 'pr', f.get('cRow')) : []),
    ]).flat(),
    ...addTo(f, 'pa', [...f.get('aRow'), ...op.i32(rows), ...op.i32Mul]),
    ...addTo(f, 'pc', [...f.get('cRow'), ...op.i32(rows), ...op.i32Mul]),
    ...addTo(f, 'iLeft', op.i32(-rows)),
  ]
  return {
    name: `nn${rows}x${cols}`,
    params: f.params,
    locals: f.types,
    body: [
      ...[...f.get('cols'), ...op.i32(4), ...op.i32Mul, ...f.set('jEnd'), ...op.i32(0), ...f.set('jOff')],
      ...whileNot(
        [...f.get('jOff'), ...f.get('jEnd'), ...op.i32GeU],
        [
          ...[...f.get('a'), ...f.set('pa'), ...f.get('c'), ...f.get('jOff'), ...op.i32Add, ...f.set('pc')],
          ...[...f.get('rows'), ...f.set('iLeft')],
          ...whileNot([...f.get('iLeft'), ...op.i32Eqz], tile),
          ...addTo(f, 'jOff', op.i32(cols * 4)),
        ],
      ),
    ],
  }
}

/**
 * `C = A·Bᵀ`, both read along k (rows of A and of B contiguous): tiles of `rows` × `cols` dot products, four
 * terms at a time in `f32x4` accumulators, summed across lanes, then the k tail in scalar. Parameters: a, b, c
 * (byte addresses of the block), the block's rows and columns, the bytes of k in whole vectors and in all, then the
 * byte strides aRow, bRow, cRow.
 */
const dotTile = (rows: number, cols: number): FunctionDef => {
  const acc = (r: number, c: number) => `acc${r}_${c}`
  const sum = (r: number, c: number) => `s${r}_${c}`
  const f = frame(
    ['a', 'b', 'c', 'rows', 'cols', 'k4', 'kBytes', 'aRow', 'bRow', 'cRow'],
    [
      ...(['jLeft', 'pb', 'pcCol', 'pa', 'pc', 'iLeft', 'kOff', 'pr'] as const).map((n) => [n, I32] as const),
      ...Array.from({ length: rows }, (_, r) => [`ar${r}`, I32] as const),
      ...Array.from({ length: cols }, (_, c) => [`br${c}`, I32] as const),
      ...Array.from({ length: rows * cols }, (_, i) => [acc(Math.floor(i / cols), i % cols), V128] as const),
      ...Array.from({ length: rows * cols }, (_, i) => [sum(Math.floor(i / cols), i % cols), F32] as const),
      ...Array.from({ length: cols }, (_, c) => [`bv${c}`, V128] as const),
      ['av', V128] as const,
      ...Array.from({ length: cols }, (_, c) => [`bs${c}`, F32] as const),
      ['as', F32] as const,
    ],
  )
  const each = (g: (r: number, c: number) => Code): Code =>
    Array.from({ length: rows * cols }, (_, i) => g(Math.floor(i / cols), i % cols)).flat()
  const at = (base: string): Code => [...f.get(base), ...f.get('kOff'), ...op.i32Add]
  const step = (vec: boolean): Code => [
    ...Array.from({ length: cols }, (_, c) => [
      ...at(`br${c}`),
      ...(vec ? op.v128LoadAt(0) : op.f32LoadAt(0)),
      ...f.set(vec ? `bv${c}` : `bs${c}`),
    ]).flat(),
    ...Array.from({ length: rows }, (_, r) => [
      ...at(`ar${r}`),
      ...(vec ? op.v128LoadAt(0) : op.f32LoadAt(0)),
      ...f.set(vec ? 'av' : 'as'),
      ...Array.from({ length: cols }, (_, c) => {
        const [x, b, a] = vec ? [acc(r, c), `bv${c}`, 'av'] : [sum(r, c), `bs${c}`, 'as']
        const [mul, add] = vec ? [op.f32x4Mul, op.f32x4Add] : [op.f32Mul, op.f32Add]
        return [...f.get(x), ...f.get(a), ...f.get(b), ...mul, ...add, ...f.set(x)]
      }).flat(),
    ]).flat(),
    ...addTo(f, 'kOff', op.i32(vec ? 16 : 4)),
  ]
  const lane = (name: string, l: number) => [...f.get(name), ...op.f32x4ExtractLane(l)]
  const tile: Code = [
    ...Array.from({ length: rows }, (_, r) =>
      r === 0
        ? [...f.get('pa'), ...f.set('ar0')]
        : [...f.get(`ar${r - 1}`), ...f.get('aRow'), ...op.i32Add, ...f.set(`ar${r}`)],
    ).flat(),
    ...Array.from({ length: cols }, (_, c) =>
      c === 0
        ? [...f.get('pb'), ...f.set('br0')]
        : [...f.get(`br${c - 1}`), ...f.get('bRow'), ...op.i32Add, ...f.set(`br${c}`)],
    ).flat(),
    ...each((r, c) => [...zero(V128), ...f.set(acc(r, c))]),
    ...[...op.i32(0), ...f.set('kOff')],
    ...whileNot([...f.get('kOff'), ...f.get('k4'), ...op.i32GeU], step(true)),
    ...each((r, c) => {
      const a = acc(r, c)
      return [...lane(a, 0), ...lane(a, 1), ...op.f32Add, ...lane(a, 2), ...lane(a, 3), ...op.f32Add].concat([
        ...op.f32Add,
        ...f.set(sum(r, c)),
      ])
    }),
    ...whileNot([...f.get('kOff'), ...f.get('kBytes'), ...op.i32GeU], step(false)),
    ...[...f.get('pc'), ...f.set('pr')],
    ...Array.from({ length: rows }, (_, r) => [
      ...Array.from({ length: cols }, (_, c) => [...f.get('pr'), ...f.get(sum(r, c)), ...op.f32StoreAt(4 * c)]).flat(),
      ...(r + 1 < rows ? addTo(f, 'pr', f.get('cRow')) : []),
    ]).flat(),
    ...addTo(f, 'pa', [...f.get('aRow'), ...op.i32(rows), ...op.i32Mul]),
    ...addTo(f, 'pc', [...f.get('cRow'), ...op.i32(rows), ...op.i32Mul]),
    ...addTo(f, 'iLeft', op.i32(-rows)),
  ]
  return {
    name: `nt${rows}x${cols}`,
    params: f.params,
    locals: f.types,
    body: [
      ...[...f.get('b'), ...f.set('pb'), ...f.get('c'), ...f.set('pcCol'), ...f.get('cols'), ...f.set('jLeft')],
      ...whileNot(
        [...f.get('jLeft'), ...op.i32Eqz],
        [
          ...[...f.get('a'), ...f.set('pa'), ...f.get('pcCol'), ...f.set('pc'), ...f.get('rows'), ...f.set('iLeft')],
          ...whileNot([...f.get('iLeft'), ...op.i32Eqz], tile),
          ...addTo(f, 'pb', [...f.get('bRow'), ...op.i32(cols), ...op.i32Mul]),
          ...addTo(f, 'pcCol', op.i32(cols * 4)),
          ...addTo(f, 'jLeft', op.i32(-cols)),
        ],
      ),
    ],
  }
}

const ROWS = [4, 1] as const
const functions: ReadonlyArray<FunctionDef> = [
  ...ROWS.flatMap((r) => [8, 4, 1].map((c) => broadcastTile(r, c))),
  ...ROWS.flatMap((r) => [2, 1].map((c) => dotTile(r, c))),
]

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()
const functionsOf = (backend: object) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), functions)
    compiled.set(backend, fns)
  }
  return fns
}

/** `[start, count, tile]` blocks of `n` for tiles of the given widths, widest first. */
const blocks = (n: number, widths: ReadonlyArray<number>): Array<readonly [number, number, number]> => {
  const out: Array<readonly [number, number, number]> = []
  let start = 0
  for (const w of widths) {
    const count = Math.floor((n - start) / w) * w
    if (count > 0) out.push([start, count, w])
    start += count
  }
  return out
}

let enabled = true

/** Switch the tiled products off (and on again), to measure XNNPACK's side by side in benchmarks. */
export const setWasmGemm = (on: boolean): void => {
  enabled = on
}

/** Elements of A beyond which XNNPACK's packing is repaid (A is re-read from the second-level cache per panel). */
const MAX_A_ELEMENTS = 2 ** 18
/** A stored transposed is read with a stride of M floats per k; beyond this many rows the cache sets conflict. */
const MAX_TRANSPOSED_A_ROWS = 512

/**
 * `C = op(A)·op(B)` on the WASM heap as a new tensor, or `undefined` where XNNPACK is the better engine (measured:
 * a batch of products, `Aᵀ·Bᵀ`, A over 2^18 elements or a transposed A of over 512 rows) or where the operands are
 * not float32. Leading dimensions of one are allowed.
 */
export const wasmGemm = (
  wasm: BackendWasm,
  a: Info,
  b: Info,
  transposeA: boolean,
  transposeB: boolean,
): Info | undefined => {
  if (!enabled || (transposeA && transposeB)) return undefined
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined
  if (a.shape.length < 2 || b.shape.length < 2) return undefined
  const lead = [...a.shape.slice(0, -2), ...b.shape.slice(0, -2)]
  if (lead.some((d) => d !== 1)) return undefined
  const [ar, ac] = a.shape.slice(-2) as [number, number]
  const [m, k] = transposeA ? [ac, ar] : [ar, ac]
  const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!
  if (m * k > MAX_A_ELEMENTS || (transposeA && m > MAX_TRANSPOSED_A_ROWS)) return undefined
  const outShape = [...Array(Math.max(a.shape.length, b.shape.length) - 2).fill(1), m, n]
  const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const out = wasm.makeOutput(outShape, 'float32')
  productAt(wasm, address(a), address(b), address(out), m, k, n, transposeA, transposeB)
  return out
}

/**
 * `C = op(A)·op(B)` between heap addresses (bytes): A is M×K (stored K×M when `transposeA`), B is K×N (stored N×K
 * when `transposeB`), C is M×N, all row-major float32; not both transposed. For kernels that take products of parts
 * of their operands (`wasmContrastiveCrossEntropy.ts`).
 */
export const productAt = (
  wasm: BackendWasm,
  pa: number,
  pb: number,
  pc: number,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): void => {
  const fns = functionsOf(wasm)
  const cRow = n * 4
  for (const [i0, rows, r] of blocks(m, ROWS)) {
    if (!transposeB) {
      // A(i, k) lies at i·aRow + k·aK: rows of A, or columns of the stored Aᵀ.
      const [aRow, aK] = transposeA ? [4, m * 4] : [k * 4, 4]
      for (const [j0, cols, c] of blocks(n, [8, 4, 1]))
        fns[`nn${r}x${c}`]!(pa + i0 * aRow, pb + j0 * 4, pc + (i0 * n + j0) * 4, rows, cols, k, aRow, aK, n * 4, cRow)
    } else {
      const k4 = (k - (k % 4)) * 4
      for (const [j0, cols, c] of blocks(n, [2, 1]))
        fns[`nt${r}x${c}`]!(
          pa + i0 * k * 4,
          pb + j0 * k * 4,
          pc + (i0 * n + j0) * 4,
          rows,
          cols,
          k4,
          k * 4,
          k * 4,
          k * 4,
          cRow,
        )
    }
  }
}
