/** Shared helpers for the model tests: gradients of a model's loss as plain arrays, and tensor-count checks. */
import * as tf from '@tensorflow/tfjs-core'
import '../../../src/tensor/gradients.js'
import * as Rng from '../../../src/dsl/Rng.js'
import type { Model } from '../../../src/models/Model.js'
import type { Tree } from '../../../src/tensor/tree.js'

export interface StepResult {
  readonly loss: number
  readonly grads: { readonly [name: string]: Float32Array }
  readonly buffers: { readonly [name: string]: number[] }
}

/**
 * One forward + backward of `model`'s loss on (`x`, `labels`) with the
 * gradient of every parameter; everything created is disposed (the returned
 * values are plain arrays).
 */
export const step = (
  model: Model,
  params: Tree,
  buffers: Tree,
  x: tf.Tensor,
  labels: tf.Tensor,
  training = true,
  rng = Rng.make(1),
): StepResult => {
  const names = Object.keys(params)
  let after: Tree = buffers
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    const current = Object.fromEntries(names.map((n, i) => [n, xs[i]!]))
    const forward = model.forward(current, buffers, x, { training, rng })
    after = forward.buffers
    for (const b of Object.values(after)) if (!Object.values(buffers).includes(b)) tf.keep(b)
    const losses = model.losses(forward.output, labels)
    return losses['loss']!
  })(names.map((n) => params[n]!))
  const result: StepResult = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array])),
    buffers: Object.fromEntries(Object.entries(after).map(([n, t]) => [n, Array.from(t.dataSync())])),
  }
  tf.dispose([value, ...grads, ...Object.values(after).filter((b) => !Object.values(buffers).includes(b))])
  return result
}

/** Parameter names whose gradient is all zeros or has a non-finite entry. */
export const badGradients = (grads: StepResult['grads']): ReadonlyArray<string> =>
  Object.entries(grads)
    .filter(([, g]) => !g.some((v) => v !== 0) || g.some((v) => !Number.isFinite(v)))
    .map(([n]) => n)

/** The change in live tensors over `runs` calls of `f` after one warm-up call. */
export const tensorGrowth = (f: () => void, runs = 3): number => {
  f()
  const before = tf.memory().numTensors
  for (let i = 0; i < runs; i++) f()
  return tf.memory().numTensors - before
}

/** Deterministic pseudo-random values in [-1, 1) (no tfjs RNG involved). */
export const values = (count: number, seed: number): Float32Array => {
  const out = new Float32Array(count)
  let r = Rng.make(seed)
  for (let i = 0; i < count; i++) {
    const [u, next] = Rng.uniform(r)
    out[i] = 2 * u - 1
    r = next
  }
  return out
}

/** `[name, shape]` pairs of a tree, in order. */
export const shapes = (tree: Tree): ReadonlyArray<readonly [string, ReadonlyArray<number>]> =>
  Object.entries(tree).map(([n, t]) => [n, t.shape])

export const closeTo = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): boolean => {
  if (actual.length !== expected.length) return false
  for (let i = 0; i < actual.length; i++)
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)))) return false
  return true
}

/** The largest |a − b| / max(1, |b|). */
export const maxError = (actual: ArrayLike<number>, expected: ArrayLike<number>): number => {
  let worst = 0
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)))
  return worst
}
