/**
 * In-memory datasets from plain number arrays: the form recorded conformance
 * scenarios ship their data in (`data.x`, `data.y`), and a quick way to
 * build a dataset in a test or a TS config.
 *
 * - `x`: one row of numbers per sample (all rows the same length `d`): the
 *   sample shape is `[d]` (or `sampleShape`, when given, with the same size).
 * - `y`: one row per sample (regression targets, shape `[k]`), or one
 *   integer per sample (class labels); `task` forces either reading.
 *
 * @example
 * ```ts
 * const ds = ArrayDataset.fromArrays([[0, 1], [2, 3]], [[1], [0]])
 * // right({ length: 2, sampleShape: [2], targets: { kind: 'values', shape: [1], … }, … })
 * ArrayDataset.fromArrays([[0, 1], [2, 3]], [1, 0])   // class labels, numClasses 2
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Dataset, Targets } from './Dataset.js'
import { DataError } from './idx.js'

export interface ArrayOptions {
  /** A name for messages (default `'ArrayDataset'`). */
  readonly name?: string
  /**
   * `'class'`: `y` holds integer labels; `'values'`: `y` holds regression targets. Default: rows of numbers are values,
   * plain integers ≥ 0 are labels.
   */
  readonly task?: 'class' | 'values'
  /** The number of classes (default: the largest label + 1). */
  readonly numClasses?: number
  /** The shape of one sample (default `[d]`); its size must be `d`. */
  readonly sampleShape?: ReadonlyArray<number>
  /** How to name `x` and `y` in messages (default `'x'`, `'y'`). */
  readonly paths?: { readonly x: string; readonly y: string }
}

const fail = (path: string, message: string): E.Either<DataError, never> =>
  E.left(new DataError({ path, message: `${path}: ${message}` }))

const isFiniteNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

/** Flatten equal-length rows of finite numbers into a Float32Array, or say which row is wrong. */
const rows = (
  u: unknown,
  path: string,
): E.Either<DataError, { readonly width: number; readonly flat: Float32Array; readonly count: number }> => {
  if (!Array.isArray(u)) return fail(path, 'expected a list of rows of numbers')
  const count = u.length
  const first: unknown = u[0]
  if (count > 0 && !Array.isArray(first))
    return fail(path, `expected a list of rows of numbers, got ${typeof first} at ${path}[0]`)
  const width = count === 0 ? 0 : (first as unknown[]).length
  const flat = new Float32Array(count * width)
  for (let i = 0; i < count; i++) {
    const row: unknown = u[i]
    if (!Array.isArray(row)) return fail(path, `row ${i} is not a list of numbers`)
    if (row.length !== width) return fail(path, `row ${i} has ${row.length} values, row 0 has ${width}`)
    for (let j = 0; j < width; j++) {
      const v: unknown = row[j]
      if (!isFiniteNumber(v)) return fail(path, `${path}[${i}][${j}] is not a finite number (${String(v)})`)
      flat[i * width + j] = v
    }
  }
  return E.right({ width, flat, count })
}

/**
 * A dataset from arrays (values as float32). Errors name the array and the
 * offending row.
 *
 * @example
 * ```ts
 * fromArrays([[1, 2]], [[3]])       // regression: targets { kind: 'values', shape: [1] }
 * fromArrays([[1, 2]], [4], { numClasses: 10 })  // classification: labels [4]
 * fromArrays([[1, 2]], [[3], [4]])  // left: "y: 2 samples, but x has 1"
 * ```
 */
export const fromArrays = (x: unknown, y: unknown, options: ArrayOptions = {}): E.Either<DataError, Dataset> => {
  const xPath = options.paths?.x ?? 'x'
  const yPath = options.paths?.y ?? 'y'
  const xs = rows(x, xPath)
  if (xs._tag === 'Left') return xs
  const { count, width, flat } = xs.right
  if (count > 0 && width === 0) return fail(xPath, 'samples have no values')
  const sampleShape = options.sampleShape ?? [width]
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1)
  if (sampleSize !== width)
    return fail(xPath, `sampleShape [${sampleShape.join(', ')}] holds ${sampleSize} values, the rows have ${width}`)
  if (!Array.isArray(y))
    return fail(yPath, 'expected a list of rows of numbers (values) or a list of integers (class labels)')
  if (y.length !== count) return fail(yPath, `${y.length} samples, but ${xPath} has ${count}`)
  const rowTargets = y.length > 0 && Array.isArray(y[0])
  const task =
    options.task ??
    (rowTargets ? 'values' : y.every((v) => Number.isInteger(v) && (v as number) >= 0) ? 'class' : 'values')
  let targets: Targets
  if (task === 'class') {
    if (rowTargets) return fail(yPath, 'class labels must be one integer per sample, got rows')
    const labels = new Int32Array(count)
    let max = -1
    for (let i = 0; i < count; i++) {
      const v: unknown = y[i]
      if (!Number.isInteger(v) || (v as number) < 0)
        return fail(yPath, `${yPath}[${i}] is not a class label (an integer ≥ 0): ${String(v)}`)
      labels[i] = v as number
      max = Math.max(max, v as number)
    }
    const numClasses = options.numClasses ?? max + 1
    if (max >= numClasses) return fail(yPath, `label ${max} is out of range for ${numClasses} classes`)
    targets = { kind: 'class', labels, numClasses }
  } else if (rowTargets) {
    const ys = rows(y, yPath)
    if (ys._tag === 'Left') return ys
    targets = { kind: 'values', values: ys.right.flat, shape: [ys.right.width] }
  } else {
    const values = new Float32Array(count)
    for (let i = 0; i < count; i++) {
      const v: unknown = y[i]
      if (!isFiniteNumber(v)) return fail(yPath, `${yPath}[${i}] is not a finite number (${String(v)})`)
      values[i] = v
    }
    targets = { kind: 'values', values, shape: [] }
  }
  return E.right({ name: options.name ?? 'ArrayDataset', length: count, sampleShape, inputs: flat, targets })
}

/** Python slice bounds `[start:stop]` (step 1) on a sequence of `length` items. */
const pySlice = (length: number, start: number | undefined, stop: number | undefined): readonly [number, number] => {
  const clamp = (v: number | undefined, fallback: number): number =>
    v === undefined ? fallback : v < 0 ? Math.max(0, length + v) : Math.min(length, v)
  const a = clamp(start, 0)
  return [a, Math.max(a, clamp(stop, length))]
}

const DESCRIPTION =
  // ArrayDataset(data.NAME[START:STOP], data.NAME[START:STOP]), the slices optional
  new RegExp(
    String.raw`^\s*ArrayDataset\(\s*data\.(\w+)\s*(?:\[\s*(-?\d+)?\s*:\s*(-?\d+)?\s*\])?\s*,` +
      String.raw`\s*data\.(\w+)\s*(?:\[\s*(-?\d+)?\s*:\s*(-?\d+)?\s*\])?\s*\)\s*$`,
  )

/**
 * The dataset a recorded scenario describes as a string, such as
 * `'ArrayDataset(data.x[:64], data.y[:64])'`, built from the scenario's
 * `data` (Python slice syntax with step 1).
 *
 * @example
 * ```ts
 * fromDescription('ArrayDataset(data.x[:64], data.y[:64])', scenario.data)
 * // right(Dataset of 64 samples)
 * ```
 */
export const fromDescription = (
  description: string,
  data: { readonly [key: string]: unknown },
  options: Omit<ArrayOptions, 'paths'> = {},
): E.Either<DataError, Dataset> => {
  const m = DESCRIPTION.exec(description)
  if (m === null)
    return fail(
      'dataset',
      `cannot read the dataset description ${JSON.stringify(description)}: expected ` +
        `'ArrayDataset(data.<x>[a:b], data.<y>[a:b])'`,
    )
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s))
  const pick = (
    key: string,
    start: string | undefined,
    stop: string | undefined,
  ): E.Either<DataError, readonly [unknown, string]> => {
    const value = data[key]
    const path = `data.${key}`
    if (value === undefined)
      return fail(path, `the scenario ships no data.${key} (it has ${Object.keys(data).join(', ') || 'no data'})`)
    if (!Array.isArray(value)) return fail(path, 'expected a list')
    const [a, b] = pySlice(value.length, num(start), num(stop))
    return E.right([
      value.slice(a, b),
      start === undefined && stop === undefined ? path : `${path}[${start ?? ''}:${stop ?? ''}]`,
    ])
  }
  const x = pick(m[1]!, m[2], m[3])
  if (x._tag === 'Left') return x
  const y = pick(m[4]!, m[5], m[6])
  if (y._tag === 'Left') return y
  return fromArrays(x.right[0], y.right[0], {
    name: description.trim(),
    ...options,
    paths: { x: x.right[1], y: y.right[1] },
  })
}
