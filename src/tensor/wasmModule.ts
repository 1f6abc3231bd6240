/**
 * A small WebAssembly encoder for kernels that run on the WASM backend's own
 * heap: a module of exported functions that imports tfjs's
 * `WebAssembly.Memory` (`env.memory`), so a kernel reads its inputs and writes
 * its outputs where the tensors lie, with 128-bit SIMD, no copies.
 *
 * Only what loopwright's kernels use is encoded: numeric locals, `block`/`loop`
 * control, `i32` address arithmetic, `f32` and `f32x4` arithmetic, loads and
 * stores. Opcodes follow the WebAssembly core specification (2.0, with SIMD).
 * tfjs's WASM backend needs SIMD already, so every engine that runs it runs these.
 * @module
 */

/** Value types (binary encodings). */
export const I32 = 0x7f
export const F32 = 0x7d
export const V128 = 0x7b
export const F64 = 0x7c
export type ValType = typeof I32 | typeof F32 | typeof V128 | typeof F64

/** Encoded instructions. */
export type Code = ReadonlyArray<number>

/** Unsigned LEB128. */
const uleb = (n: number): number[] => {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

/** Signed LEB128 of a 32-bit integer. */
const sleb = (n: number): number[] => {
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

const text = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)]
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()]
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body]
const simd = (opcode: number): number[] => [0xfd, ...uleb(opcode)]
/** A memory argument: alignment hint 2^align bytes, constant offset 0. */
const memarg = (align: number): number[] => [...uleb(align), 0]

/** Instructions, each as its bytes. */
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  f32: (x: number) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Shl: [0x74],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  /** `block … end` with no result. */
  block: (...body: Code[]) => [0x02, 0x40, ...body.flat(), 0x0b],
  /** `loop … end` with no result. */
  loop: (...body: Code[]) => [0x03, 0x40, ...body.flat(), 0x0b],
  /** `if … else … end` with no result, on an i32 condition. */
  ifElse: (then: Code, otherwise: Code) => [0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  f32Load: [0x2a, ...memarg(2)],
  f32Store: [0x38, ...memarg(2)],
  f32Lt: [0x5d],
  f32Abs: [0x8b],
  f32Neg: [0x8c],
  /** `select`: the first operand where the i32 condition is non-zero, else the second. */
  select: [0x1b],
  f32Sqrt: [0x91],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  v128Load: [...simd(0x00), ...memarg(2)],
  v128Store: [...simd(0x0b), ...memarg(2)],
  f32x4Splat: simd(0x13),
  f32x4Lt: simd(0x43),
  /** `v128.bitselect`: the first operand's bits where the mask's are set, else the second's. */
  v128Bitselect: simd(0x52),
  f32x4Abs: simd(0xe0),
  f32x4Neg: simd(0xe1),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  // float64, for accumulators that must not lose the small terms of long sums (wasmBatchNorm.ts)
  f64Load: [0x2b, ...memarg(3)],
  f64Store: [0x39, ...memarg(3)],
  f64Add: [0xa0],
  f64PromoteF32: [0xbb],
  // min and max: NaN when either operand is NaN, and −0 < +0, as JS's Math.min/Math.max (wasmClip.ts)
  f32Min: [0x96],
  f32Max: [0x97],
  f32x4Min: simd(0xe8),
  f32x4Max: simd(0xe9),
  // Loads and stores at a constant byte offset from the address operand (the matrix-product kernels' tiles).
  f32LoadAt: (offset: number) => [0x2a, ...uleb(2), ...uleb(offset)],
  f32StoreAt: (offset: number) => [0x38, ...uleb(2), ...uleb(offset)],
  v128LoadAt: (offset: number) => [...simd(0x00), ...uleb(2), ...uleb(offset)],
  v128StoreAt: (offset: number) => [...simd(0x0b), ...uleb(2), ...uleb(offset)],
  /** `v128.load32_splat`: one float from memory into every lane. */
  v128Load32SplatAt: (offset: number) => [...simd(0x09), ...uleb(2), ...uleb(offset)],
  f32x4ExtractLane: (lane: number) => [...simd(0x1f), lane],
  // The exponential of `wasmContrastiveCrossEntropy.ts`: rounding, float → int, exponent bits, float64 sums.
  f32x4Nearest: simd(0x6a),
  i32x4Splat: simd(0x11),
  i32x4Add: simd(0xae),
  i32x4Shl: simd(0xab),
  i32x4TruncSatF32x4S: simd(0xf8),
  f64x2PromoteLowF32x4: simd(0x5f),
  f64x2Add: simd(0xf0),
  f64x2ExtractLane: (lane: number) => [...simd(0x21), lane],
  /** `i8x16.shuffle` of two vectors by 16 byte indices (0–31). */
  i8x16Shuffle: (lanes: ReadonlyArray<number>) => [...simd(0x0d), ...lanes],
  i32Eqz: [0x45],
  f32Ne: [0x5c],
  f32x4Ne: simd(0x42),
  // Means in float64 rounded once to float32 (the data-parallel average, interpreters/collective/compiledMean.ts).
  f64: (x: number) => [0x44, ...new Uint8Array(new Float64Array([x]).buffer)],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f32DemoteF64: [0xb6],
  f64x2Splat: simd(0x14),
  f64x2Mul: simd(0xf2),
  f64x2Div: simd(0xf3),
  /** `f32x4.demote_f64x2_zero`: two float64 lanes rounded to float32 in lanes 0–1, zeros in 2–3. */
  f32x4DemoteF64x2Zero: simd(0x5e),
} as const

/**
 * One lane type of an element-wise kernel: four floats per `v128`, or one `f32` for the last `n mod 4`.
 * A kernel body written against `Lanes` is emitted once per type and computes the same float32 operations.
 */
export interface Lanes {
  /** Bytes per iteration. */
  readonly step: number
  readonly type: ValType
  readonly load: Code
  readonly store: Code
  readonly add: Code
  readonly sub: Code
  readonly mul: Code
  readonly div: Code
  readonly sqrt: Code
  readonly neg: Code
  readonly abs: Code
  /** `a < b`, as a mask (`v128`) or an `i32` (`f32`). */
  readonly lt: Code
  /** `(a, b, condition) → condition ? a : b`. */
  readonly select: Code
  /** A float32 constant in every lane. */
  readonly constant: (x: number) => Code
}

export const vector: Lanes = {
  step: 16,
  type: V128,
  load: op.v128Load,
  store: op.v128Store,
  add: op.f32x4Add,
  sub: op.f32x4Sub,
  mul: op.f32x4Mul,
  div: op.f32x4Div,
  sqrt: op.f32x4Sqrt,
  neg: op.f32x4Neg,
  abs: op.f32x4Abs,
  lt: op.f32x4Lt,
  select: op.v128Bitselect,
  constant: (x) => [...op.f32(x), ...op.f32x4Splat],
}

export const scalar: Lanes = {
  step: 4,
  type: F32,
  load: op.f32Load,
  store: op.f32Store,
  add: op.f32Add,
  sub: op.f32Sub,
  mul: op.f32Mul,
  div: op.f32Div,
  sqrt: op.f32Sqrt,
  neg: op.f32Neg,
  abs: op.f32Abs,
  lt: op.f32Lt,
  select: op.select,
  constant: (x) => op.f32(x),
}

/** `while (offset < end) { body; offset += lanes.step }`, the byte offset in local `offset`. */
export const loopTo = (offset: number, end: Code, lanes: Lanes, body: Code): Code =>
  op.block(
    op.loop(
      op.get(offset),
      end,
      op.i32GeU,
      op.brIf(1),
      body,
      op.get(offset),
      op.i32(lanes.step),
      op.i32Add,
      op.set(offset),
      op.br(0),
    ),
  )

/**
 * An element-wise loop over `bytes` bytes (local `bytes`): `body(vector)` four floats at a time, then
 * `body(scalar)` for the rest. `offset` and `vectorEnd` are two i32 locals it uses.
 */
export const elementwise = (bytes: number, offset: number, vectorEnd: number, body: (lanes: Lanes) => Code): Code => [
  ...[...op.get(bytes), ...op.i32(-16), ...op.i32And, ...op.set(vectorEnd)],
  ...loopTo(offset, op.get(vectorEnd), vector, body(vector)),
  ...loopTo(offset, op.get(bytes), scalar, body(scalar)),
]

/** One exported function: parameter and local types, and its body (without the final `end`). */
export interface FunctionDef {
  readonly name: string
  readonly params: ReadonlyArray<ValType>
  readonly locals: ReadonlyArray<ValType>
  readonly body: ReadonlyArray<number>
}

/**
 * The memory a module imports: an unshared one of any size (tfjs's heap), or a shared one (a `SharedArrayBuffer`
 * that worker threads see) of at most `maximumPages` pages of 64 KiB, as shared memories must declare a maximum.
 */
export type MemoryImport = { readonly shared: false } | { readonly shared: true; readonly maximumPages: number }
const unshared: MemoryImport = { shared: false }

/** The binary module: `env.memory` imported, every function exported under its name, none returns a value. */
export const encode = (functions: ReadonlyArray<FunctionDef>, memory: MemoryImport = unshared): Uint8Array => {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0])
  // Limits: flag 0 (a minimum only), or 3 (shared, with a maximum); the minimum 0 accepts any current size.
  const limits = memory.shared ? [0x03, 0x00, ...uleb(memory.maximumPages)] : [0x00, 0x00]
  const memoryImport = [...text('env'), ...text('memory'), 0x02, ...limits]
  const exports = functions.map((f, i) => [...text(f.name), 0x00, ...uleb(i)])
  const codes = functions.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]))
    const body = [...locals, ...f.body, 0x0b]
    return [...uleb(body.length), ...body]
  })
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ])
}

/** The engine's WebAssembly API (the project's TypeScript libraries do not declare it). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports: object) => { readonly exports: object }
  readonly Memory: new (descriptor: {
    readonly initial: number
    readonly maximum?: number
    readonly shared?: boolean
  }) => { readonly buffer: ArrayBuffer | SharedArrayBuffer }
}
const wasmApi = (globalThis as unknown as { readonly WebAssembly: WebAssemblyApi }).WebAssembly

/** A `WebAssembly.Memory`. */
export type Memory = object

/** Compile and instantiate `functions` over `memory`; the exports by name. */
export const instantiate = (
  memory: Memory,
  functions: ReadonlyArray<FunctionDef>,
  memoryImport: MemoryImport = unshared,
): Record<string, (...args: number[]) => void> => {
  const module = new wasmApi.Module(encode(functions, memoryImport))
  const instance = new wasmApi.Instance(module, { env: { memory } })
  return instance.exports as Record<string, (...args: number[]) => void>
}

/** Bytes in a page of WebAssembly memory. */
export const PAGE_BYTES = 65536

/** A new shared `WebAssembly.Memory` of `pages` pages that cannot grow, and its `SharedArrayBuffer`. */
export const sharedMemory = (pages: number): { readonly memory: Memory; readonly buffer: SharedArrayBuffer } => {
  const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true })
  return { memory, buffer: memory.buffer as SharedArrayBuffer }
}

/** The linear memory of a tfjs WASM backend (emscripten exports it as `asm.memory`). */
export const backendMemory = (backend: object): Memory => {
  const module = (backend as { wasm: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm
  const memory = module.asm?.memory ?? module.wasmMemory
  if (!(memory instanceof wasmApi.Memory)) throw new Error('the WASM backend does not expose its memory')
  return memory
}
