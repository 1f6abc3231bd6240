/**
 * MMEngine's `collect_results` for a validation or test sharded over the
 * data-parallel workers: every rank evaluated its part of the set (rank r
 * the samples at positions r, r + W, r + 2W, … of the sampler's order, as
 * `DefaultSampler` deals them), and the metrics must be those of one process
 * that evaluated the whole set. Each rank's outputs and targets are
 * all-gathered, put back in the sampler's order (one sample of each rank in
 * turn), cut to the dataset's length (dropping the samples `round_up`
 * repeated to even the ranks out) and cut again into the batches one process
 * would have read. Folding those batches gives one process's metrics bit for
 * bit, on every rank, so every rank takes the same decisions (`save_best`,
 * early stopping) without a broadcast.
 * @module
 */
import type { Values } from '../../evaluation/Metric.js'
import type { Communicator } from '../collective/Communicator.js'

/** One evaluated batch as read back from the device. */
export interface EvaluatedBatch {
  readonly output: Values
  readonly targets: Values
}

type Typed = Float32Array | Int32Array | Uint8Array

/** The floats one sample occupies in a batch of shape `[n, ...rest]`. */
const rowLength = (shape: ReadonlyArray<number>): number => shape.slice(1).reduce((a, b) => a * b, 1)

/** 4-byte values travel as their bits; bytes (booleans) as exact floats. */
const encode = (parts: ReadonlyArray<Typed>): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    if (p instanceof Uint8Array) out.set(Float32Array.from(p), at)
    else out.set(new Float32Array(p.buffer, p.byteOffset, p.length), at)
    at += p.length
  }
  return out
}

const decode = (floats: Float32Array, like: Typed | undefined): Typed =>
  like instanceof Int32Array
    ? new Int32Array(floats.buffer, floats.byteOffset, floats.length)
    : like instanceof Uint8Array
      ? Uint8Array.from(floats)
      : floats

/** One field (outputs or targets) of every rank's batches, gathered: per rank its values and its row length. */
const gatherField = (communicator: Communicator, batches: ReadonlyArray<Values>) => {
  const like = batches[0]?.values
  const header = Float32Array.of(batches.length === 0 ? 0 : rowLength(batches[0]!.shape))
  const rows = communicator.allGather(header).map((h) => h[0] ?? 0)
  const values = communicator.allGather(encode(batches.map((b) => b.values))).map((v) => decode(v, like))
  const shape = batches[0]?.shape.slice(1) ?? []
  const allocate = (n: number): Typed =>
    like instanceof Int32Array
      ? new Int32Array(n)
      : like instanceof Uint8Array
        ? new Uint8Array(n)
        : new Float32Array(n)
  return { rows, values, shape, allocate }
}

/**
 * Every rank's evaluated batches, gathered, in the order and the batches of one process over the whole set
 * (`datasetLength` samples in batches of `batchSize`). Collective: every rank calls it at the same point.
 */
export const collectResults = (
  communicator: Communicator,
  batches: ReadonlyArray<EvaluatedBatch>,
  datasetLength: number,
  batchSize: number,
): EvaluatedBatch[] => {
  const samples = Float32Array.of(batches.reduce((n, b) => n + (b.output.shape[0] ?? 0), 0))
  const counts = communicator.allGather(samples).map((c) => c[0] ?? 0)
  const outputs = gatherField(
    communicator,
    batches.map((b) => b.output),
  )
  const targets = gatherField(
    communicator,
    batches.map((b) => b.targets),
  )
  // Sampler order: the k-th sample of every rank in rank order, for k = 0, 1, …; then cut to the dataset.
  const order: Array<readonly [rank: number, k: number]> = []
  const most = Math.max(0, ...counts)
  for (let k = 0; k < most && order.length < datasetLength; k++)
    for (let r = 0; r < counts.length && order.length < datasetLength; r++) if (k < counts[r]!) order.push([r, k])
  const byOrder = (field: ReturnType<typeof gatherField>, from: number, to: number): Values => {
    const row = Math.max(0, ...field.rows)
    const out = field.allocate((to - from) * row)
    for (let i = from; i < to; i++) {
      const [r, k] = order[i]!
      out.set(field.values[r]!.subarray(k * row, (k + 1) * row), (i - from) * row)
    }
    return { values: out, shape: [to - from, ...field.shape] }
  }
  const result: EvaluatedBatch[] = []
  for (let from = 0; from < order.length; from += batchSize) {
    const to = Math.min(order.length, from + batchSize)
    result.push({ output: byOrder(outputs, from, to), targets: byOrder(targets, from, to) })
  }
  return result
}
