/**
 * The safetensors format (Hugging Face), read and written exactly:
 *
 * 1. 8 bytes: `N`, an unsigned 64-bit little-endian integer, the header size;
 * 2. `N` bytes: a UTF-8 JSON object
 *    `{ "__metadata__": { string: string }, name: { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, …
 * }`,
 *    padded with spaces so that the data starts at a multiple of 8;
 * 3. the data buffer: each tensor's bytes, little-endian, row-major, at
 *    `[begin, end)` relative to the buffer's start, tensors back to back.
 *
 * Decoding checks everything before using it — the header length against
 * the file, the JSON, every entry's dtype, shape and offsets, that the byte
 * ranges are in bounds, contiguous and exactly `prod(shape) × dtype size`
 * long — and reports the first problem as a {@link SafetensorsError} whose
 * message says what is wrong.
 *
 * F16 and BF16 values are kept as their raw 16-bit patterns (`Uint16Array`),
 * I64 and U64 as `BigInt64Array` / `BigUint64Array`; {@link toTree} converts
 * them for TF.js.
 *
 * @example
 * ```ts
 * const bytes = encode({ w: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } }, { format: 'pt' })
 * const file = decode(bytes)  // right({ tensors: { w: … }, metadata: { format: 'pt' }, order: ['w'] })
 * ```
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import * as tf from '@tensorflow/tfjs-core'
import * as Data from 'effect/Data'
import * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import type { Tree } from './tree.js'

/** A safetensors problem: the message says what is wrong (`truncated: header says 1234 bytes, file has 100`). */
export class SafetensorsError extends Data.TaggedError('SafetensorsError')<{ readonly message: string }> {}

/** The element types loopwright reads and writes. */
export type Dtype =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'I64'
  | 'U64'
  | 'F64'

/** Bytes per element of each dtype. */
export const dtypeSize: { readonly [D in Dtype]: number } = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
}

/** The typed array holding each dtype's values (F16/BF16: raw bit patterns; BOOL: bytes 0/1). */
export interface DtypeArrays {
  BOOL: Uint8Array
  U8: Uint8Array
  I8: Int8Array
  I16: Int16Array
  U16: Uint16Array
  F16: Uint16Array
  BF16: Uint16Array
  I32: Int32Array
  U32: Uint32Array
  F32: Float32Array
  I64: BigInt64Array
  U64: BigUint64Array
  F64: Float64Array
}

export type TensorData = DtypeArrays[Dtype]

/**
 * One tensor: its dtype, shape and values (row-major), held in the dtype's
 * array type ({@link DtypeArrays}; checked by {@link validate} and on encode).
 */
export interface TensorEntry {
  readonly dtype: Dtype
  readonly shape: ReadonlyArray<number>
  readonly data: TensorData
}

/** Tensors by name. */
export type Entries = { readonly [name: string]: TensorEntry }

/** A decoded file. */
export interface Decoded {
  readonly tensors: Entries
  /** `__metadata__` (empty when the file has none). */
  readonly metadata: { readonly [key: string]: string }
  /** The tensor names in the order of their bytes in the file. */
  readonly order: ReadonlyArray<string>
}

/** The largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000

const DTYPES = Object.keys(dtypeSize) as ReadonlyArray<Dtype>

const isDtype = (u: unknown): u is Dtype => typeof u === 'string' && Object.hasOwn(dtypeSize, u)

const arrayType: {
  readonly [D in Dtype]: { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): DtypeArrays[D] }
} = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  F64: Float64Array,
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** Reverse the bytes of every `size`-byte element, in place (big-endian hosts only). */
const swapBytes = (bytes: Uint8Array, size: number): void => {
  if (size === 1) return
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse()
}

const fail = (message: string): E.Either<SafetensorsError, never> => E.left(new SafetensorsError({ message }))

const showShape = (shape: ReadonlyArray<number>): string => `[${shape.join(', ')}]`

const elementCount = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * Check entries before encoding: known dtypes, shapes of non-negative
 * integers, data of the dtype's array type and of `prod(shape)` elements,
 * no tensor called `__metadata__`.
 *
 * @example
 * ```ts
 * validate({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })
 * // left(SafetensorsError: "tensor 'w': shape [3] needs 3 F32 values, data has 2")
 * ```
 */
export const validate = (entries: Entries): E.Either<SafetensorsError, Entries> => {
  for (const [name, entry] of Object.entries(entries)) {
    if (name === '__metadata__')
      return fail("a tensor cannot be called '__metadata__' (the key is reserved for metadata)")
    if (!isDtype(entry.dtype))
      return fail(`tensor '${name}': unknown dtype ${JSON.stringify(entry.dtype)} (known: ${DTYPES.join(', ')})`)
    if (!entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      return fail(`tensor '${name}': shape ${JSON.stringify(entry.shape)} must hold integers ≥ 0`)
    const Expected = arrayType[entry.dtype]
    if (!(entry.data instanceof Expected))
      return fail(
        `tensor '${name}': ${entry.dtype} data must be a ${Expected.name}, got ` +
          `${(entry.data as object)?.constructor?.name ?? typeof entry.data}`,
      )
    const count = elementCount(entry.shape)
    if (entry.data.length !== count)
      return fail(
        `tensor '${name}': shape ${showShape(entry.shape)} needs ${count} ${entry.dtype} ` +
          `values, data has ${entry.data.length}`,
      )
  }
  return E.right(entries)
}

const jsonHeader = (entries: Entries, metadata: { readonly [key: string]: string }): string => {
  const parts: string[] = []
  if (Object.keys(metadata).length > 0) parts.push(`"__metadata__":${JSON.stringify(metadata)}`)
  let offset = 0
  for (const [name, entry] of Object.entries(entries)) {
    const bytes = entry.data.byteLength
    parts.push(
      `${JSON.stringify(name)}:` +
        `${JSON.stringify({ dtype: entry.dtype, shape: entry.shape, data_offsets: [offset, offset + bytes] })}`,
    )
    offset += bytes
  }
  return `{${parts.join(',')}}`
}

/**
 * Encode tensors (laid out in the record's key order) and string metadata
 * as safetensors bytes; `Either` form of {@link encode}.
 *
 * @example
 * ```ts
 * tryEncode({ b: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) } })  // right(Uint8Array)
 * ```
 */
export const tryEncode = (
  entries: Entries,
  metadata: { readonly [key: string]: string } = {},
): E.Either<SafetensorsError, Uint8Array> => {
  const valid = validate(entries)
  if (valid._tag === 'Left') return valid
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') return fail(`__metadata__ '${key}': values must be strings, got ${typeof value}`)
  }
  const text = new TextEncoder().encode(jsonHeader(entries, metadata))
  const headerSize = Math.ceil(text.length / 8) * 8
  const dataSize = Object.values(entries).reduce((n, e) => n + e.data.byteLength, 0)
  const out = new Uint8Array(8 + headerSize + dataSize)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerSize), true)
  out.set(text, 8)
  out.fill(0x20, 8 + text.length, 8 + headerSize)
  let offset = 8 + headerSize
  for (const entry of Object.values(entries)) {
    const bytes = new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength)
    out.set(bytes, offset)
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(offset, offset + bytes.length), dtypeSize[entry.dtype])
    offset += bytes.length
  }
  return E.right(out)
}

/**
 * Encode tensors (laid out in the record's key order) and string metadata
 * as safetensors bytes. The values are copied bit for bit (NaN payloads, −0
 * and subnormals survive). Entries are built by code, so a malformed entry
 * is a bug: it throws the {@link SafetensorsError}; use {@link tryEncode} to
 * get it as a value.
 *
 * @example
 * ```ts
 * const bytes = encode({ 'fc.weight': { dtype: 'F32', shape: [1, 2], data: Float32Array.of(0.5, -1) } }, { format: 'pt'
 * })
 * bytes.length  // 8 + header (multiple of 8) + 8
 * ```
 */
export const encode = (entries: Entries, metadata: { readonly [key: string]: string } = {}): Uint8Array => {
  const encoded = tryEncode(entries, metadata)
  if (encoded._tag === 'Left') throw encoded.left
  return encoded.right
}

const isPlainObject = (u: unknown): u is { readonly [key: string]: unknown } =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

interface Raw {
  readonly name: string
  readonly dtype: Dtype
  readonly shape: ReadonlyArray<number>
  readonly begin: number
  readonly end: number
}

const checkEntry = (name: string, u: unknown): E.Either<SafetensorsError, Raw> => {
  const where = `tensor ${JSON.stringify(name)}`
  if (!isPlainObject(u)) return fail(`${where}: expected an object with dtype, shape and data_offsets`)
  for (const key of Object.keys(u)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets')
      return fail(`${where}: unknown key ${JSON.stringify(key)} (an entry holds dtype, shape and data_offsets)`)
  }
  const { dtype, shape, data_offsets: offsets } = u as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
  if (dtype === undefined) return fail(`${where}: no dtype`)
  if (!isDtype(dtype)) return fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${DTYPES.join(', ')})`)
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    return fail(`${where}: shape must be a list of integers ≥ 0, got ${JSON.stringify(shape)}`)
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
  ) {
    return fail(`${where}: data_offsets must be [begin, end] with integers ≥ 0, got ${JSON.stringify(offsets)}`)
  }
  const [begin, end] = offsets as [number, number]
  if (end < begin) return fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`)
  const count = elementCount(shape as number[])
  const needed = count * dtypeSize[dtype]
  if (!Number.isSafeInteger(needed)) return fail(`${where}: shape ${showShape(shape as number[])} is too large`)
  if (end - begin !== needed) {
    return fail(
      `${where}: ${dtype} ${showShape(shape as number[])} needs ${needed} bytes, ` +
        `data_offsets [${begin}, ${end}] hold ${end - begin}`,
    )
  }
  return E.right({ name, dtype, shape: shape as number[], begin, end })
}

/**
 * Decode safetensors bytes, checking the whole file first. The tensors'
 * values are copied out of `bytes` (each into its own aligned buffer).
 *
 * @example
 * ```ts
 * decode(new Uint8Array(4))
 * // left(SafetensorsError: "truncated: a safetensors file starts with an 8-byte header size, file has 4 bytes")
 * ```
 */
export const decode = (bytes: Uint8Array): E.Either<SafetensorsError, Decoded> => {
  if (bytes.length < 8)
    return fail(`truncated: a safetensors file starts with an 8-byte header size, file has ${bytes.length} bytes`)
  const size = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)
  const available = bytes.length - 8
  if (size > BigInt(available))
    return fail(`truncated: header says ${size} bytes, file has ${available} after the 8-byte size`)
  const headerSize = Number(size)
  if (headerSize > MAX_HEADER_BYTES) return fail(`header too large: ${headerSize} bytes (at most ${MAX_HEADER_BYTES})`)
  if (headerSize < 2 || bytes[8] !== 0x7b) return fail('the header is not a JSON object (it must start with "{")')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerSize))
  } catch {
    return fail('the header is not valid UTF-8')
  }
  let header: unknown
  try {
    header = JSON.parse(text)
  } catch (e) {
    return fail(`the header is not valid JSON: ${(e as Error).message}`)
  }
  if (!isPlainObject(header)) return fail('the header is not a JSON object')
  // Entries are collected as pairs and turned into objects with Object.fromEntries, which defines
  // own properties: a name such as "__proto__" stays a name and never reaches a prototype.
  const metadataPairs: Array<readonly [string, string]> = []
  const raws: Raw[] = []
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(value)) return fail('__metadata__ must be an object of strings')
      for (const [key, v] of Object.entries(value)) {
        if (typeof v !== 'string')
          return fail(`__metadata__ ${JSON.stringify(key)}: values must be strings, got ${JSON.stringify(v)}`)
        metadataPairs.push([key, v])
      }
      continue
    }
    const raw = checkEntry(name, value)
    if (raw._tag === 'Left') return raw
    raws.push(raw.right)
  }
  const dataStart = 8 + headerSize
  const bufferSize = bytes.length - dataStart
  for (const r of raws) {
    if (r.end > bufferSize)
      return fail(
        `truncated: tensor ${JSON.stringify(r.name)} has data_offsets [${r.begin}, ` +
          `${r.end}], the data buffer has ${bufferSize} bytes`,
      )
  }
  const sorted = [...raws].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let expected = 0
  for (const r of sorted) {
    if (r.begin !== expected) {
      return fail(
        r.begin > expected
          ? `data_offsets are not contiguous: tensor ${JSON.stringify(r.name)} begins at ` +
              `${r.begin}, the previous tensor ends at ${expected} (a gap)`
          : `data_offsets overlap: tensor ${JSON.stringify(r.name)} begins at ${r.begin}, ` +
              `before the previous tensor ends at ${expected}`,
      )
    }
    expected = r.end
  }
  if (expected !== bufferSize)
    return fail(
      `the tensors cover ${expected} bytes, the data buffer has ${bufferSize} ` +
        `(${bufferSize - expected} bytes unaccounted for)`,
    )
  const tensorPairs: Array<readonly [string, TensorEntry]> = []
  for (const r of sorted) {
    const copy = bytes.slice(dataStart + r.begin, dataStart + r.end)
    if (!LITTLE_ENDIAN) swapBytes(copy, dtypeSize[r.dtype])
    const data = new arrayType[r.dtype](copy.buffer, 0, elementCount(r.shape))
    tensorPairs.push([r.name, { dtype: r.dtype, shape: r.shape, data }])
  }
  return E.right({
    tensors: Object.fromEntries(tensorPairs),
    metadata: Object.fromEntries(metadataPairs),
    order: sorted.map((r) => r.name),
  })
}

/** A float16 bit pattern's value (exact in float32). */
export const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >>> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN
  return sign * (1024 + fraction) * 2 ** (exponent - 25)
}

/** Values ready for `tf.tensor`, and what conversion (if any) produced them. */
export interface TfData {
  readonly dtype: 'float32' | 'int32' | 'bool'
  readonly values: Float32Array | Int32Array | Uint8Array
  /** Set when the values changed type: e.g. `'F16 → float32 (exact)'`. */
  readonly conversion?: string
}

const toInt32 = (
  name: string,
  dtype: Dtype,
  data: ArrayLike<number | bigint>,
): E.Either<SafetensorsError, Int32Array> => {
  const out = new Int32Array(data.length)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    const n =
      typeof v === 'bigint'
        ? v >= -2147483648n && v <= 2147483647n
          ? Number(v)
          : undefined
        : v >= -2147483648 && v <= 2147483647
          ? v
          : undefined
    if (n === undefined)
      return fail(`tensor ${JSON.stringify(name)}: ${dtype} value ${v} at index ${i} does not fit in int32`)
    out[i] = n
  }
  return E.right(out)
}

/**
 * The values of one entry as TF.js holds them: F32 → float32, I32 → int32,
 * BOOL → bool (any non-zero byte is true), and with a `conversion` note:
 * F16, BF16 → float32 (exact), F64 → float32 (rounded), U8, I8, I16, U16 →
 * int32 (exact), U32, I64, U64 → int32 (an error when a value does not fit).
 *
 * @example
 * ```ts
 * toTfData('h', { dtype: 'F16', shape: [1], data: Uint16Array.of(0x3c00) })
 * // right({ dtype: 'float32', values: Float32Array [1], conversion: 'F16 → float32 (exact)' })
 * ```
 */
export const toTfData = (name: string, entry: TensorEntry): E.Either<SafetensorsError, TfData> => {
  const data = entry.data
  switch (entry.dtype) {
    case 'F32':
      return E.right({ dtype: 'float32', values: data as Float32Array })
    case 'I32':
      return E.right({ dtype: 'int32', values: data as Int32Array })
    case 'BOOL':
      return E.right({ dtype: 'bool', values: (data as Uint8Array).map((b) => (b !== 0 ? 1 : 0)) })
    case 'F16':
      return E.right({
        dtype: 'float32',
        values: Float32Array.from(data as Uint16Array, halfToFloat),
        conversion: 'F16 → float32 (exact)',
      })
    case 'BF16': {
      const halves = data as Uint16Array
      const bits = new Uint32Array(halves.length)
      for (let i = 0; i < bits.length; i++) bits[i] = halves[i]! << 16
      return E.right({ dtype: 'float32', values: new Float32Array(bits.buffer), conversion: 'BF16 → float32 (exact)' })
    }
    case 'F64':
      return E.right({
        dtype: 'float32',
        values: Float32Array.from(data as Float64Array),
        conversion: 'F64 → float32 (rounded)',
      })
    case 'U8':
    case 'I8':
    case 'I16':
    case 'U16':
      return E.right({
        dtype: 'int32',
        values: Int32Array.from(data as Uint8Array),
        conversion: `${entry.dtype} → int32 (exact)`,
      })
    case 'U32':
    case 'I64':
    case 'U64': {
      const values = toInt32(name, entry.dtype, data as ArrayLike<number | bigint>)
      return values._tag === 'Left'
        ? values
        : E.right({
            dtype: 'int32',
            values: values.right,
            conversion: `${entry.dtype} → int32 (values checked to fit)`,
          })
    }
  }
}

/**
 * The tensors of a decoded file as a TF.js tree (in file order), with one
 * note per conversion kind (`'2 F16 tensors converted: F16 → float32
 * (exact): a, b'`). Tensors are created only when every entry converts; the
 * caller owns them.
 *
 * @example
 * ```ts
 * const { tree, notes } = E.getOrElseW(() => { throw … })(toTree(decoded))
 * tree['fc.weight'].shape  // [10, 784]
 * ```
 */
export const toTree = (
  decoded: Decoded,
): E.Either<SafetensorsError, { readonly tree: Tree; readonly notes: ReadonlyArray<string> }> => {
  const converted: Array<readonly [string, TfData, ReadonlyArray<number>]> = []
  for (const name of decoded.order) {
    const entry = decoded.tensors[name]!
    const data = toTfData(name, entry)
    if (data._tag === 'Left') return data
    converted.push([name, data.right, entry.shape])
  }
  const tree: Tree = Object.fromEntries(
    converted.map(([name, data, shape]) => [name, tf.tensor(data.values, [...shape], data.dtype)]),
  )
  return E.right({ tree, notes: conversionNotes(converted.map(([name, data]) => [name, data.conversion])) })
}

/** Group conversion notes by kind: `'3 F16 tensors converted: F16 → float32 (exact): a, b, c'`. */
export const conversionNotes = (
  conversions: ReadonlyArray<readonly [string, string | undefined]>,
): ReadonlyArray<string> => {
  const byKind = new Map<string, string[]>()
  for (const [name, conversion] of conversions) {
    if (conversion === undefined) continue
    byKind.set(conversion, [...(byKind.get(conversion) ?? []), name])
  }
  return [...byKind].map(([kind, names]) => {
    const listed = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ')
    return `${names.length} ${kind.split(' ')[0]} tensor${names.length === 1 ? '' : 's'} converted: ${kind}: ${listed}`
  })
}

/**
 * Entries from a TF.js tree (values read with `dataSync`): float32 → F32,
 * int32 → I32, bool → BOOL. Other dtypes (complex64, string) are errors.
 *
 * @example
 * ```ts
 * fromTree({ w: tf.tensor1d([1, 2]) })  // right({ w: { dtype: 'F32', shape: [2], data: Float32Array [1, 2] } })
 * ```
 */
export const fromTree = (tree: { readonly [name: string]: tf.Tensor }): E.Either<SafetensorsError, Entries> => {
  const pairs: Array<readonly [string, TensorEntry]> = []
  for (const [name, t] of Object.entries(tree)) {
    const shape = [...t.shape]
    if (t.dtype === 'float32') pairs.push([name, { dtype: 'F32', shape, data: t.dataSync() as Float32Array }])
    else if (t.dtype === 'int32') pairs.push([name, { dtype: 'I32', shape, data: t.dataSync() as Int32Array }])
    else if (t.dtype === 'bool')
      pairs.push([name, { dtype: 'BOOL', shape, data: Uint8Array.from(t.dataSync() as Uint8Array) }])
    else return fail(`tensor ${JSON.stringify(name)}: dtype ${t.dtype} has no safetensors form`)
  }
  return E.right(Object.fromEntries(pairs))
}

/**
 * Read and decode a safetensors file (an Effect: it reads the file).
 *
 * @example
 * ```ts
 * const weights = await Effect.runPromise(read('model.safetensors'))
 * ```
 */
export const read = (path: string): Effect.Effect<Decoded, SafetensorsError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: () => readFile(path),
      catch: (e) =>
        new SafetensorsError({
          message:
            `${path}: cannot read: ` +
            `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
        }),
    }),
    (buffer) => {
      const decoded = decode(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))
      return decoded._tag === 'Left'
        ? Effect.fail(new SafetensorsError({ message: `${path}: ${decoded.left.message}` }))
        : Effect.succeed(decoded.right)
    },
  )

/**
 * Encode and write a safetensors file (an Effect: it writes the file).
 *
 * @example
 * ```ts
 * await Effect.runPromise(write('weights.safetensors', entries, { format: 'pt' }))
 * ```
 */
export const write = (
  path: string,
  entries: Entries,
  metadata: { readonly [key: string]: string } = {},
): Effect.Effect<void, SafetensorsError> =>
  Effect.gen(function* () {
    const encoded = tryEncode(entries, metadata)
    if (encoded._tag === 'Left') return yield* Effect.fail(encoded.left)
    yield* Effect.tryPromise({
      try: () => writeFile(path, encoded.right),
      catch: (e) => new SafetensorsError({ message: `${path}: cannot write: ${String((e as Error).message)}` }),
    })
  })
