/**
 * IDX files, the format MNIST ships in: a 4-byte magic number
 * (`0x00 0x00 <type> <ndims>`), `ndims` big-endian unsigned 32-bit
 * dimensions, then the values in row-major order. MNIST uses unsigned bytes
 * (type `0x08`): images are `0x00000803` (count × rows × cols) and labels
 * `0x00000801` (count).
 *
 * Parsing is pure and total: every problem is a {@link DataError} value whose
 * message is one line naming the file.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 5, 0])
 * parseLabels(bytes, 'labels-idx1-ubyte', 10)  // right(Int32Array [5, 0])
 * ```
 * @module
 */
import * as Data from 'effect/Data'
import * as E from 'fp-ts/lib/Either.js'

/**
 * Loading or checking data failed; `path` says which file (or which config value), and `message` says what is wrong,
 * naming the file.
 */
export class DataError extends Data.TaggedError('DataError')<{ readonly path: string; readonly message: string }> {}

/** A parsed IDX file of unsigned bytes. `data` is a view on the input bytes (no copy). */
export interface IdxArray {
  readonly dims: ReadonlyArray<number>
  readonly data: Uint8Array
}

/** The magic number of IDX unsigned-byte images (3 dimensions). */
export const IMAGES_MAGIC = 0x00000803
/** The magic number of IDX unsigned-byte labels (1 dimension). */
export const LABELS_MAGIC = 0x00000801

const TYPE_NAMES: { readonly [code: number]: string } = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`

const describeMagic = (magic: number): string => {
  const type = (magic >>> 8) & 0xff
  const ndims = magic & 0xff
  if (magic >>> 16 !== 0 || TYPE_NAMES[type] === undefined) return 'not an IDX file'
  return `IDX ${TYPE_NAMES[type]}s, ${ndims} dimension${ndims === 1 ? '' : 's'}`
}

const fail = (path: string, message: string): E.Either<DataError, never> =>
  E.left(new DataError({ path, message: `${path}: ${message}` }))

const readU32BE = (bytes: Uint8Array, offset: number): number =>
  ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0

/**
 * Parse an IDX file of unsigned bytes with any number of dimensions. When
 * `expectedMagic` is given, any other magic number is an error.
 *
 * Errors: truncated file (shorter than its header or its data), a magic
 * number that is not unsigned-byte IDX (or not the expected one), trailing
 * bytes after the data.
 *
 * @example
 * ```ts
 * parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9]), 'm.idx')
 * // right({ dims: [1, 2], data: Uint8Array [7, 9] })
 * ```
 */
export const parseIdx = (bytes: Uint8Array, path: string, expectedMagic?: number): E.Either<DataError, IdxArray> => {
  if (bytes.length < 4) return fail(path, `truncated: ${bytes.length} bytes, shorter than the 4-byte IDX magic number`)
  const magic = readU32BE(bytes, 0)
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    return fail(
      path,
      `wrong magic number ${hex(magic)} (${describeMagic(magic)}): expected ` +
        `${hex(expectedMagic)} (${describeMagic(expectedMagic)})`,
    )
  }
  const type = (magic >>> 8) & 0xff
  if (magic >>> 16 !== 0 || type !== 0x08) {
    return fail(
      path,
      `wrong magic number ${hex(magic)} (${describeMagic(magic)}): only IDX unsigned bytes (0x000008nn) are supported`,
    )
  }
  const ndims = magic & 0xff
  const headerBytes = 4 + 4 * ndims
  if (bytes.length < headerBytes)
    return fail(
      path,
      `truncated: the header needs ${headerBytes} bytes for ${ndims} dimensions, the file has ${bytes.length}`,
    )
  const dims: number[] = []
  for (let i = 0; i < ndims; i++) dims.push(readU32BE(bytes, 4 + 4 * i))
  const count = dims.reduce((a, b) => a * b, 1)
  const available = bytes.length - headerBytes
  const shape = dims.join(' × ')
  if (available < count)
    return fail(path, `truncated: the header says ${shape} = ${count} data bytes, the file has ${available}`)
  if (available > count)
    return fail(
      path,
      `${available - count} unexpected bytes after the data (the header says ${shape} = ${count} data bytes)`,
    )
  return E.right({ dims, data: bytes.subarray(headerBytes, headerBytes + count) })
}

/** Images parsed from an IDX file: `count` images of `rows × cols` bytes, concatenated. */
export interface IdxImages {
  readonly count: number
  readonly rows: number
  readonly cols: number
  readonly pixels: Uint8Array
}

/**
 * Parse an IDX images file (`0x00000803`). With `expected`, the image size
 * must be exactly `rows × cols`.
 *
 * @example
 * ```ts
 * parseImages(bytes, 'train-images-idx3-ubyte', { rows: 28, cols: 28 })
 * // right({ count: 60000, rows: 28, cols: 28, pixels }) or left(DataError)
 * ```
 */
export const parseImages = (
  bytes: Uint8Array,
  path: string,
  expected?: { readonly rows: number; readonly cols: number },
): E.Either<DataError, IdxImages> => {
  const parsed = parseIdx(bytes, path, IMAGES_MAGIC)
  if (parsed._tag === 'Left') return parsed
  const [count, rows, cols] = parsed.right.dims as [number, number, number]
  if (expected !== undefined && (rows !== expected.rows || cols !== expected.cols)) {
    return fail(
      path,
      `wrong dimensions ${count} × ${rows} × ${cols}: expected images of ` +
        `${expected.rows} × ${expected.cols} (N × ${expected.rows} × ${expected.cols})`,
    )
  }
  return E.right({ count, rows, cols, pixels: parsed.right.data })
}

/**
 * Parse an IDX labels file (`0x00000801`) into class indices, each checked
 * to lie in `0 .. numClasses - 1`.
 *
 * @example
 * ```ts
 * parseLabels(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 12]), 'l', 10)
 * // left(DataError: "l: label 12 at index 0 is out of range: expected 0 to 9")
 * ```
 */
export const parseLabels = (bytes: Uint8Array, path: string, numClasses: number): E.Either<DataError, Int32Array> => {
  const parsed = parseIdx(bytes, path, LABELS_MAGIC)
  if (parsed._tag === 'Left') return parsed
  const data = parsed.right.data
  for (let i = 0; i < data.length; i++) {
    if (data[i]! >= numClasses)
      return fail(path, `label ${data[i]} at index ${i} is out of range: expected 0 to ${numClasses - 1}`)
  }
  return E.right(Int32Array.from(data))
}

/**
 * Build an IDX file of unsigned bytes (for tests and for writing subsets).
 *
 * @example
 * ```ts
 * encodeIdx([2], new Uint8Array([3, 4]))  // Uint8Array [0, 0, 8, 1, 0, 0, 0, 2, 3, 4]
 * ```
 */
export const encodeIdx = (dims: ReadonlyArray<number>, data: Uint8Array): Uint8Array => {
  const header = 4 + 4 * dims.length
  const out = new Uint8Array(header + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, 0x00000800 | dims.length)
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d)
  })
  out.set(data, header)
  return out
}
