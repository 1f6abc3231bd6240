import { describe, expect, it } from 'vitest'
import { clusterFileName, decodeLabels, encodeLabels } from '../../../src/selfsup/clusterFile.js'

describe('cluster files', () => {
  it('are named as MMSelfSup names them and written as numpy.save writes int64 labels (.npy 1.0)', () => {
    expect(clusterFileName(3)).toBe('cluster_epoch_3.npy')
    const bytes = encodeLabels([2, 0, 1])
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
    const headerLength = bytes[8]! + 256 * bytes[9]!
    expect((10 + headerLength) % 64).toBe(0)
    const header = String.fromCharCode(...bytes.subarray(10, 10 + headerLength))
    expect(header).toBe(`{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }${' '.repeat(60)}\n`)
    expect(bytes.length).toBe(10 + headerLength + 24)
    expect(Array.from(bytes.subarray(10 + headerLength, 10 + headerLength + 8))).toEqual([2, 0, 0, 0, 0, 0, 0, 0])
  })

  it('read back to the same labels; a truncated or foreign file is named as such', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 257)
    expect(Array.from(decodeLabels(encodeLabels(labels)))).toEqual(Array.from(labels))
    expect(() => decodeLabels(encodeLabels(labels).subarray(0, 200))).toThrow(/truncated/)
    expect(() => decodeLabels(Uint8Array.from([1, 2, 3]))).toThrow(/bad magic/)
  })
})
