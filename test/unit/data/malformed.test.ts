/**
 * Malformed data is a value, never an exception: truncated or foreign IDX
 * files, images and labels that disagree, labels out of range, non-finite
 * or ragged inline arrays, a `data_root` without the files. Each is a
 * `DataError` (or an issue at the dataset's config path) whose one-line
 * message names the file or the array and says what is wrong; through
 * `train()` it is a `TrainError`, and through the CLI a non-zero exit
 * without a stack trace (docs/reliability.md, "Bad input").
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import fc from 'fast-check'
import type * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../../src/cli/main.js'
import { decode, toProgram } from '../../../src/config/index.js'
import * as ArrayDataset from '../../../src/data/ArrayDataset.js'
import type { Dataset } from '../../../src/data/Dataset.js'
import { DataError, IMAGES_MAGIC, LABELS_MAGIC, encodeIdx } from '../../../src/data/idx.js'
import * as Mnist from '../../../src/data/mnist.js'
import * as Datasets from '../../../src/data/registry.js'
import { train } from '../../../src/interpreters/tensor/train.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { defaultRegistries } from '../../../src/interpreters/registries.js'

let dir = ''
beforeAll(async () => {
  await useCpu()
  dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-malformed-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const IMAGES = '/data/train-images-idx3-ubyte'
const LABELS = '/data/train-labels-idx1-ubyte'

/** `n` images of 28 × 28 and `n` labels 0–9, as IDX bytes. */
const mnistPair = (n: number): { readonly images: Uint8Array; readonly labels: Uint8Array } => ({
  images: encodeIdx(
    [n, 28, 28],
    Uint8Array.from({ length: n * 784 }, (_, i) => (i * 31) % 256),
  ),
  labels: encodeIdx(
    [n],
    Uint8Array.from({ length: n }, (_, i) => i % 10),
  ),
})

const fromIdx = (images: Uint8Array, labels: Uint8Array): E.Either<DataError, Dataset> =>
  Mnist.fromIdx('train', { path: IMAGES, bytes: images }, { path: LABELS, bytes: labels })

/** A DataError whose message is one line, names `file` first, and says `says`. */
const expectDataError = (result: E.Either<DataError, unknown>, file: string, says: string | RegExp): DataError => {
  if (result._tag === 'Right') throw new Error(`expected a DataError naming ${file}`)
  const error = result.left
  expect(error).toBeInstanceOf(DataError)
  expect(error.path).toBe(file)
  expect(error.message.startsWith(`${file}: `)).toBe(true)
  expect(error.message).not.toContain('\n')
  if (typeof says === 'string') expect(error.message).toContain(says)
  else expect(error.message).toMatch(says)
  return error
}

describe('malformed IDX files', () => {
  it('a truncated images or labels file, cut anywhere, says so and names the file', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.nat(), (n, cutImages, at) => {
        const { images, labels } = mnistPair(n)
        const target = cutImages ? images : labels
        const cut = target.slice(0, at % target.length)
        expectDataError(
          cutImages ? fromIdx(cut, labels) : fromIdx(images, cut),
          cutImages ? IMAGES : LABELS,
          'truncated',
        )
      }),
      { numRuns: 150, seed: 1 },
    )
  })

  it('bytes after the data, a wrong magic number and wrong image dimensions are named', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (n, extra, magic) => {
          const { images, labels } = mnistPair(n)
          expectDataError(
            fromIdx(Uint8Array.from([...images, ...new Uint8Array(extra)]), labels),
            IMAGES,
            `${extra} unexpected bytes after the data`,
          )
          fc.pre(magic !== IMAGES_MAGIC && magic !== LABELS_MAGIC)
          const foreign = images.slice()
          new DataView(foreign.buffer).setUint32(0, magic)
          expectDataError(
            fromIdx(foreign, labels),
            IMAGES,
            /^\S+: wrong magic number 0x[0-9a-f]{8} \(.*\): expected 0x00000803 \(IDX unsigned bytes, 3 dimensions\)$/,
          )
          const relabelled = labels.slice()
          new DataView(relabelled.buffer).setUint32(0, magic)
          expectDataError(fromIdx(images, relabelled), LABELS, 'expected 0x00000801')
        },
      ),
      { numRuns: 100, seed: 2 },
    )
    const small = encodeIdx([1, 32, 32], new Uint8Array(1024))
    expectDataError(
      fromIdx(small, mnistPair(1).labels),
      IMAGES,
      'wrong dimensions 1 × 32 × 32: expected images of 28 × 28',
    )
  })

  it('images and labels that disagree in count, and labels out of range, are named', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.integer({ min: 10, max: 255 }),
        (n, m, index, label) => {
          const images = mnistPair(n).images
          const labels = mnistPair(m).labels
          if (n !== m) expectDataError(fromIdx(images, labels), LABELS, `${m} labels, but ${IMAGES} holds ${n} images`)
          const bad = mnistPair(n).labels.slice()
          const i = index % n
          bad[8 + i] = label
          expectDataError(fromIdx(images, bad), LABELS, `label ${label} at index ${i} is out of range: expected 0 to 9`)
        },
      ),
      { numRuns: 100, seed: 3 },
    )
  })
})

describe('malformed inline arrays (ArrayDataset)', () => {
  const grid = (rows: number, width: number): number[][] =>
    Array.from({ length: rows }, (_, i) => Array.from({ length: width }, (_, j) => i + j / 10))

  it('NaN or infinite values, in x or in y, are named by row and column', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(NaN, Infinity, -Infinity),
        fc.boolean(),
        (rows, width, a, b, value, inX) => {
          const x = grid(rows, width)
          const y = grid(rows, 2)
          const i = a % rows
          const j = b % (inX ? width : 2)
          ;(inX ? x : y)[i]![j] = value
          const result = ArrayDataset.fromArrays(x, y)
          const array = inX ? 'x' : 'y'
          expectDataError(result, array, `${array}: ${array}[${i}][${j}] is not a finite number (${String(value)})`)
        },
      ),
      { numRuns: 100, seed: 4 },
    )
  })

  it('rows of the wrong length, a y of the wrong length and bad class labels are named', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 8 }),
        (rows, width, a, wrong) => {
          fc.pre(wrong !== width)
          const x = grid(rows, width)
          const i = 1 + (a % (rows - 1))
          x[i] = Array.from({ length: wrong }, () => 0)
          expectDataError(
            ArrayDataset.fromArrays(x, grid(rows, 1)),
            'x',
            `x: row ${i} has ${wrong} values, row 0 has ${width}`,
          )
          expectDataError(
            ArrayDataset.fromArrays(grid(rows, width), grid(rows + 1, 1)),
            'y',
            `y: ${rows + 1} samples, but x has ${rows}`,
          )
          const labels = Array.from({ length: rows }, (_, k) => k % 3)
          labels[i] = -1 - a
          expectDataError(
            ArrayDataset.fromArrays(grid(rows, width), labels, { task: 'class' }),
            'y',
            `y[${i}] is not a class label (an integer ≥ 0): ${-1 - a}`,
          )
          labels[i] = 3 + a
          expectDataError(
            ArrayDataset.fromArrays(grid(rows, width), labels, { numClasses: 3 }),
            'y',
            `label ${3 + a} is out of range for 3 classes`,
          )
        },
      ),
      { numRuns: 100, seed: 5 },
    )
    expectDataError(ArrayDataset.fromArrays('not rows', [1]), 'x', 'expected a list of rows of numbers')
  })

  it('through the dataset registry the issue sits at the dataset config path', async () => {
    const issues = await Effect.runPromise(
      Effect.flip(Datasets.build({ type: 'ArrayDataset', x: [[1, 2], [3]], y: [0, 1] }, 'train_dataloader.dataset')),
    )
    expect(issues).toEqual([{ path: 'train_dataloader.dataset', message: 'x: row 1 has 1 values, row 0 has 2' }])
  })
})

describe('a data_root without the right files', () => {
  const failure = (options: Mnist.MnistOptions): Promise<DataError> =>
    Effect.runPromise(Effect.flip(Mnist.load(options)))

  it('names the missing file, whichever is missing', async () => {
    const empty = fs.mkdtempSync(nodePath.join(dir, 'empty-'))
    expect((await failure({ split: 'train', data_root: empty })).message).toBe(
      `${nodePath.join(empty, 'train-images-idx3-ubyte')}: cannot read: no such file`,
    )
    expect((await failure({ split: 'test', data_root: empty })).message).toBe(
      `${nodePath.join(empty, 't10k-images-idx3-ubyte')}: cannot read: no such file`,
    )
    const half = fs.mkdtempSync(nodePath.join(dir, 'half-'))
    fs.writeFileSync(nodePath.join(half, 'train-images-idx3-ubyte'), mnistPair(2).images)
    expect((await failure({ split: 'train', data_root: half })).message).toBe(
      `${nodePath.join(half, 'train-labels-idx1-ubyte')}: cannot read: no such file`,
    )
    const [issue] = await Effect.runPromise(
      Effect.flip(Datasets.build({ type: 'MNIST', data_root: empty }, 'val_dataloader.dataset')),
    )
    expect(issue).toEqual({
      path: 'val_dataloader.dataset',
      message: `${nodePath.join(empty, 'train-images-idx3-ubyte')}: cannot read: no such file`,
    })
  })

  it('a file instead of a folder, and a broken .gz, are one-line errors naming the file', async () => {
    const file = nodePath.join(dir, 'not-a-folder')
    fs.writeFileSync(file, 'x')
    const notFolder = await failure({ split: 'train', data_root: file })
    expect(notFolder.message.startsWith(`${nodePath.join(file, 'train-images-idx3-ubyte')}: cannot read: `)).toBe(true)
    expect(notFolder.message).not.toContain('\n')
    const gz = fs.mkdtempSync(nodePath.join(dir, 'gz-'))
    fs.writeFileSync(nodePath.join(gz, 'train-images-idx3-ubyte.gz'), 'not gzip at all')
    fs.writeFileSync(nodePath.join(gz, 'train-labels-idx1-ubyte'), mnistPair(2).labels)
    const broken = await failure({ split: 'train', data_root: gz })
    expect(broken.message).toMatch(
      /^\S+train-images-idx3-ubyte: cannot read: \S+train-images-idx3-ubyte\.gz is not a valid gzip file \(.+\)$/,
    )
  })
})

describe('through train() and the CLI', () => {
  const config = (root: string) => ({
    model: { type: 'MLP', in_features: 784, hidden: [8], num_classes: 10 },
    train_dataloader: {
      batch_size: 2,
      dataset: { type: 'MNIST', split: 'train', data_root: root },
      sampler: { type: 'DefaultSampler', shuffle: false },
    },
    train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
    optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
    randomness: { seed: 1 },
  })
  const truncatedRoot = (): string => {
    const root = fs.mkdtempSync(nodePath.join(dir, 'truncated-'))
    const { images, labels } = mnistPair(4)
    fs.writeFileSync(nodePath.join(root, 'train-images-idx3-ubyte'), images.slice(0, images.length - 100))
    fs.writeFileSync(nodePath.join(root, 'train-labels-idx1-ubyte'), labels)
    return root
  }

  it('train() fails with an issue at train_dataloader.dataset naming the truncated file', async () => {
    const root = truncatedRoot()
    const decoded = decode(config(root), defaultRegistries)
    if (decoded._tag === 'Left') throw new Error(decoded.left.message)
    const result = await Effect.runPromise(
      Effect.result(
        train(toProgram(decoded.right), {
          print: () => {},
          writeCheckpoints: false,
          workDir: nodePath.join(dir, 'run'),
        }),
      ),
    )
    if (result._tag === 'Success') throw new Error('expected the run to fail')
    expect(result.failure.issues).toEqual([
      {
        path: 'train_dataloader.dataset',
        message:
          `${nodePath.join(root, 'train-images-idx3-ubyte')}: truncated: the header says 4 ` +
          `× 28 × 28 = 3136 data bytes, the file has 3036`,
      },
    ])
  })

  it('loopwright train exits 1 or 2 with one line naming the key and the file', async () => {
    const root = truncatedRoot()
    const file = nodePath.join(root, 'config.json')
    fs.writeFileSync(file, JSON.stringify(config(root)))
    let stderr = ''
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      stderr += String(chunk)
      return true
    }) as never)
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((() => true) as never)
    let code: number
    try {
      code = await main(['train', file, '--backend', 'cpu', '--work-dir', nodePath.join(root, 'work')])
    } finally {
      err.mockRestore()
      out.mockRestore()
    }
    expect([1, 2]).toContain(code)
    expect(stderr).not.toMatch(/\n\s+at /)
    const lines = stderr.split('\n').filter((l) => l.trim() !== '')
    expect(lines).toEqual([
      `${file}: train_dataloader.dataset: ` +
        `${nodePath.join(root, 'train-images-idx3-ubyte')}: truncated: the header says 4 ` +
        `× 28 × 28 = 3136 data bytes, the file has 3036`,
    ])
  })
})
