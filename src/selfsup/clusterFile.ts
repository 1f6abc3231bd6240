/**
 * Cluster files as MMSelfSup writes them (`np.save(f'{work_dir}/cluster_epoch_{n}.npy', labels)`): a NumPy `.npy`
 * file (format 1.0) holding the labels as little-endian int64, so `np.load` reads loopwright's files unchanged.
 *
 * @example
 * ```ts
 * const bytes = encodeLabels(Int32Array.from([2, 0, 1]))
 * decodeLabels(bytes)  // Int32Array [2, 0, 1]
 * ```
 * @module
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

/** The file name MMSelfSup gives the labels of epoch `n`. */
export const clusterFileName = (epoch: number): string => `cluster_epoch_${epoch}.npy`

/** Labels as the bytes of an `.npy` file of dtype `<i8` and shape `(n,)`. */
export const encodeLabels = (labels: ArrayLike<number>): Uint8Array => {
  const dict = `{'descr': '<i8', 'fortran_order': False, 'shape': (${labels.length},), }`
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + dict.length + 1
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`
  const bytes = new Uint8Array(10 + header.length + labels.length * 8)
  bytes.set(MAGIC, 0)
  bytes[6] = 1
  bytes[7] = 0
  new DataView(bytes.buffer).setUint16(8, header.length, true)
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i)
  const body = new DataView(bytes.buffer, 10 + header.length)
  for (let i = 0; i < labels.length; i++) body.setBigInt64(i * 8, BigInt(labels[i]!), true)
  return bytes
}

/** The labels of an `.npy` file as {@link encodeLabels} writes it (`<i8`, one dimension); errors say what is wrong. */
export const decodeLabels = (bytes: Uint8Array): Int32Array => {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an .npy file (bad magic)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint16(8, true)
  const header = String.fromCharCode(...bytes.subarray(10, 10 + headerLength))
  const shape = /'shape': \((\d+),\)/.exec(header)
  if (!header.includes("'descr': '<i8'") || shape === null)
    throw new Error(`expected a 1-D little-endian int64 .npy file, got the header ${header.trim()}`)
  const n = Number(shape[1])
  const start = 10 + headerLength
  if (bytes.length < start + n * 8) throw new Error(`the .npy file is truncated: ${n} labels need ${n * 8} bytes`)
  return Int32Array.from({ length: n }, (_, i) => Number(view.getBigInt64(start + i * 8, true)))
}
