/**
 * The ops loopwright's models use, with seeded inputs: their forward pass and
 * their gradients computed on one backend and compared with the CPU backend.
 * Used by the backend conformance tests and by `loopwright doctor`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** Seeded inputs in [−scale, scale), identical on every backend. */
export const seededValues = (count: number, seed: number, scale = 1): number[] => {
  let s = seed >>> 0
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return ((s / 2 ** 32) * 2 - 1) * scale
  })
}

export interface OpCase {
  readonly name: string
  readonly shapes: ReadonlyArray<number[]>
  readonly f: (...xs: tf.Tensor[]) => tf.Tensor
}

export const opCases: ReadonlyArray<OpCase> = [
  {
    name: 'matMul',
    shapes: [
      [33, 17],
      [17, 9],
    ],
    f: (a, b) => tf.matMul(a!, b!),
  },
  {
    name: 'matMul transposeA',
    shapes: [
      [17, 33],
      [17, 9],
    ],
    f: (a, b) => tf.matMul(a!, b!, true, false),
  },
  {
    name: 'matMul transposeB',
    shapes: [
      [33, 17],
      [9, 17],
    ],
    f: (a, b) => tf.matMul(a!, b!, false, true),
  },
  {
    name: 'batched matMul',
    shapes: [
      [4, 8, 6],
      [4, 6, 5],
    ],
    f: (a, b) => tf.matMul(a!, b!),
  },
  // Large enough (M·K·N ≥ 2²²) for the WASM correction to split the product per batch.
  {
    name: 'batched matMul, split per batch',
    shapes: [
      [2, 256, 128],
      [2, 128, 256],
    ],
    f: (a, b) => tf.matMul(a!, b!),
  },
  {
    name: 'conv2d',
    shapes: [
      [2, 7, 6, 3],
      [3, 3, 3, 4],
    ],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'conv2d, stride 2, valid',
    shapes: [
      [2, 9, 8, 2],
      [3, 2, 2, 5],
    ],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'),
  },
  {
    name: 'depthwise conv2d',
    shapes: [
      [2, 6, 6, 3],
      [3, 3, 3, 2],
    ],
    f: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'maxPool over negative windows',
    shapes: [[2, 6, 6, 3]],
    f: (x) => tf.maxPool(tf.sub(tf.abs(x!), 2) as tf.Tensor4D, 2, 2, 'valid'),
  },
  { name: 'maxPool, padded', shapes: [[1, 5, 5, 2]], f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  { name: 'avgPool', shapes: [[1, 6, 6, 2]], f: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'gather (embedding)', shapes: [[10, 4]], f: (e) => tf.gather(e!, tf.tensor1d([3, 1, 3, 9, 0], 'int32')) },
  { name: 'relu', shapes: [[5, 7]], f: (x) => tf.relu(x!) },
  { name: 'sigmoid · tanh', shapes: [[5, 7]], f: (x) => tf.mul(tf.sigmoid(x!), tf.tanh(x!)) },
  { name: 'softmax', shapes: [[4, 10]], f: (x) => tf.mul(tf.softmax(x!), tf.range(0, 10)) },
  { name: 'logSoftmax', shapes: [[4, 10]], f: (x) => tf.logSoftmax(x!) },
  {
    name: 'layer norm (moments)',
    shapes: [[3, 8]],
    f: (x) => {
      const { mean, variance } = tf.moments(x!, -1, true)
      return tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, 1e-5)))
    },
  },
  { name: 'exp · log · abs', shapes: [[6]], f: (x) => tf.add(tf.exp(x!), tf.log(tf.add(tf.abs(x!), 1))) },
  { name: 'mean, max over axes', shapes: [[4, 5, 3]], f: (x) => tf.add(tf.mean(x!, [0, 2]), tf.max(x!, [0, 2])) },
  { name: 'sign of tiny values', shapes: [[6]], f: (x) => tf.mul(tf.sign(tf.mul(x!, 1e-8)), x!) },
  { name: 'clipByValue', shapes: [[10]], f: (x) => tf.clipByValue(x!, -0.3, 0.4) },
  // The ops the model zoo adds: exact GELU (erf), BatchNorm's rsqrt over per-channel moments, attention's transposes,
  // one-hot targets.
  {
    name: 'GELU (erf)',
    shapes: [[4, 6]],
    f: (x) => tf.mul(tf.mul(x!, 0.5), tf.add(tf.erf(tf.mul(x!, Math.SQRT1_2)), 1)),
  },
  {
    name: 'batch norm (NHWC moments, rsqrt)',
    shapes: [[2, 3, 3, 4]],
    f: (x) => {
      const { mean, variance } = tf.moments(x!, [0, 1, 2])
      return tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, 1e-5)))
    },
  },
  {
    name: 'transpose · reshape (attention heads)',
    shapes: [[2, 5, 8]],
    f: (x) =>
      tf.matMul(
        tf.transpose(tf.reshape(x!, [2, 5, 2, 4]), [0, 2, 1, 3]),
        tf.transpose(tf.reshape(x!, [2, 5, 2, 4]), [0, 2, 3, 1]),
      ),
  },
  {
    name: 'cross-entropy (one-hot, logSoftmax)',
    shapes: [[4, 5]],
    f: (x) => tf.mul(tf.logSoftmax(x!), tf.oneHot(tf.tensor1d([0, 3, 4, 1], 'int32'), 5)),
  },
  {
    name: 'concat · slice · pad',
    shapes: [
      [3, 4],
      [3, 2],
    ],
    f: (a, b) =>
      tf.pad(tf.slice(tf.concat([a!, b!], 1), [0, 1], [3, 4]), [
        [1, 0],
        [0, 2],
      ]),
  },
]

/** Forward values and input gradients of one op on the current backend. */
export const evaluate = async (
  op: OpCase,
): Promise<{ readonly forward: Float32Array; readonly grads: ReadonlyArray<Float32Array> }> => {
  const xs = op.shapes.map((s, i) =>
    tf.tensor(
      seededValues(
        s.reduce((a, b) => a * b, 1),
        7 + i,
      ),
      s,
    ),
  )
  const forward = op.f(...xs)
  const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(op.f(...args)))(xs)
  // Async reads work on every backend (WebGPU has no synchronous read in Node).
  const result = {
    forward: (await forward.data()) as Float32Array,
    grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[],
  }
  tf.dispose([...xs, forward, ...grads])
  return result
}

/** max |a − b| / max(1, |b|) over all elements. */
export const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return worst
}

export interface OpResult {
  readonly backend: string
  readonly op: string
  readonly ok: boolean
  readonly maxAbsDiff: number
  readonly error?: string
}

/** Run every op on `backend` and on CPU; one result per op (an op that throws is not ok, with its error). */
export const compareWithCpu = async (backend: string, tolerance = 1e-5): Promise<ReadonlyArray<OpResult>> => {
  const results: OpResult[] = []
  for (const op of opCases) {
    try {
      await tf.setBackend('cpu')
      const reference = await evaluate(op)
      await tf.setBackend(backend)
      const got = await evaluate(op)
      let diff = 0
      for (let i = 0; i < reference.forward.length; i++)
        diff = Math.max(diff, Math.abs(got.forward[i]! - reference.forward[i]!))
      reference.grads.forEach((g, j) => {
        for (let i = 0; i < g.length; i++) diff = Math.max(diff, Math.abs(got.grads[j]![i]! - g[i]!))
      })
      const rel = Math.max(
        maxRelDiff(got.forward, reference.forward),
        ...reference.grads.map((g, j) => maxRelDiff(got.grads[j]!, g)),
      )
      results.push({ backend, op: op.name, ok: rel < tolerance, maxAbsDiff: diff })
    } catch (error) {
      results.push({
        backend,
        op: op.name,
        ok: false,
        maxAbsDiff: NaN,
        error: (error as Error).message.split('\n')[0]!,
      })
    }
  }
  await tf.setBackend(backend)
  return results
}
