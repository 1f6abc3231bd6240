import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { describe as describeSelected, selectBackend } from '../../../src/tensor/backend.js'

/** Seeded inputs, the same on every backend. */
const input = (shape: number[], seed: number, scale = 1): number[] => {
  let s = seed >>> 0
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return ((s / 2 ** 32) * 2 - 1) * scale
  })
}

interface OpCase {
  readonly name: string
  readonly shapes: ReadonlyArray<number[]>
  readonly f: (...xs: tf.Tensor[]) => tf.Tensor
}

/** Forward and gradient of every op the models use, on one backend. */
const run = async (backend: string, op: OpCase): Promise<{ readonly forward: number[]; readonly grads: number[][] }> => {
  await tf.setBackend(backend)
  return tf.tidy(() => {
    const xs = op.shapes.map((s, i) => tf.tensor(input(s, 7 + i), s))
    const forward = Array.from(op.f(...xs).dataSync())
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(op.f(...args)))(xs).map((g) => Array.from(g.dataSync()))
    return { forward, grads }
  })
}

const maxRelDiff = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!) / Math.max(1, Math.abs(b[i]!))), 0)

const cases: ReadonlyArray<OpCase> = [
  { name: 'matMul', shapes: [[33, 17], [17, 9]], f: (a, b) => tf.matMul(a!, b!) },
  { name: 'matMul transposeA', shapes: [[17, 33], [17, 9]], f: (a, b) => tf.matMul(a!, b!, true, false) },
  { name: 'matMul transposeB', shapes: [[33, 17], [9, 17]], f: (a, b) => tf.matMul(a!, b!, false, true) },
  { name: 'batched matMul', shapes: [[4, 8, 6], [4, 6, 5]], f: (a, b) => tf.matMul(a!, b!) },
  // Large enough (M·K·N ≥ 2²²) for the correction to split the product per batch.
  { name: 'batched matMul, split per batch', shapes: [[2, 256, 128], [2, 128, 256]], f: (a, b) => tf.matMul(a!, b!) },
  { name: 'conv2d (weight gradient via im2col)', shapes: [[2, 7, 6, 3], [3, 3, 3, 4]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'conv2d, stride 2, valid', shapes: [[2, 9, 8, 2], [3, 2, 2, 5]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid') },
  { name: 'depthwise conv2d', shapes: [[2, 6, 6, 3], [3, 3, 3, 2]], f: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'maxPool (windows of negative values)', shapes: [[2, 6, 6, 3]], f: (x) => tf.maxPool(tf.sub(tf.abs(x!), 2) as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'maxPool, padded', shapes: [[1, 5, 5, 2]], f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  { name: 'gather (embedding gradient)', shapes: [[10, 4]], f: (e) => tf.gather(e!, tf.tensor1d([3, 1, 3, 9, 0], 'int32')) },
  { name: 'relu', shapes: [[5, 7]], f: (x) => tf.relu(x!) },
  { name: 'sigmoid · tanh', shapes: [[5, 7]], f: (x) => tf.mul(tf.sigmoid(x!), tf.tanh(x!)) },
  { name: 'softmax', shapes: [[4, 10]], f: (x) => tf.mul(tf.softmax(x!), tf.range(0, 10)) },
  { name: 'logSoftmax', shapes: [[4, 10]], f: (x) => tf.logSoftmax(x!) },
  { name: 'layer norm (moments)', shapes: [[3, 8]], f: (x) => {
    const { mean, variance } = tf.moments(x!, -1, true)
    return tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, 1e-5)))
  } },
  { name: 'exp · log · sqrt', shapes: [[6]], f: (x) => tf.add(tf.exp(x!), tf.log(tf.add(tf.abs(x!), 1))) },
  { name: 'mean, max, sum over axes', shapes: [[4, 5, 3]], f: (x) => tf.add(tf.mean(x!, [0, 2]), tf.max(x!, [0, 2])) },
  { name: 'sign (tiny values)', shapes: [[6]], f: (x) => tf.mul(tf.sign(tf.mul(x!, 1e-8)), x!) },
  { name: 'clipByValue', shapes: [[10]], f: (x) => tf.clipByValue(x!, -0.3, 0.4) },
  { name: 'concat · slice · pad', shapes: [[3, 4], [3, 2]], f: (a, b) => tf.pad(tf.slice(tf.concat([a!, b!], 1), [0, 1], [3, 4]), [[1, 0], [0, 2]]) },
]

describe('backend selection', () => {
  it('auto takes WASM here and says why it passed over the GPU and native backends', async () => {
    const selected = await Effect.runPromise(selectBackend('auto'))
    expect(selected.name).toBe('wasm')
    expect(selected.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow'])
    expect(describeSelected(selected)).toContain('skipped tensorflow-gpu (@tensorflow/tfjs-node-gpu is not installed)')
  })

  it('a forced backend that is not installed is an error value naming the package', async () => {
    const exit = await Effect.runPromiseExit(selectBackend('tensorflow-gpu'))
    expect(exit._tag).toBe('Failure')
    expect(JSON.stringify(exit)).toContain('--backend tensorflow-gpu: @tensorflow/tfjs-node-gpu is not installed')
  })
})

describe('backend conformance: WASM (with loopwright’s corrections) against the CPU reference', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  for (const op of cases) {
    it(`${op.name}: forward and gradient agree`, async () => {
      const cpu = await run('cpu', op)
      const wasm = await run('wasm', op)
      expect(maxRelDiff(wasm.forward, cpu.forward)).toBeLessThan(1e-5)
      wasm.grads.forEach((g, i) => expect(maxRelDiff(g, cpu.grads[i]!)).toBeLessThan(1e-5))
    })
  }

  it('keeps NaN through clipByValue and signs values below float32 epsilon, as the CPU backend does', async () => {
    await tf.setBackend('wasm')
    const [clipped, signs] = tf.tidy(() => [Array.from(tf.clipByValue(tf.tensor1d([NaN, 2, -2]), -1, 1).dataSync()), Array.from(tf.sign(tf.tensor1d([1e-9, -1e-9, 0])).dataSync())])
    expect(clipped[0]).toBeNaN()
    expect(clipped.slice(1)).toEqual([1, -1])
    expect(signs).toEqual([1, -1, 0])
  })

  it('the BatchMatMul correction keeps tensor counts flat', async () => {
    await tf.setBackend('wasm')
    const a = tf.tensor(input([16, 32], 1), [16, 32])
    const b = tf.tensor(input([16, 8], 2), [16, 8])
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    for (let i = 0; i < 20; i++) {
      tf.tidy(() => {
        tf.matMul(a, b, true, false)
        tf.matMul(tf.reshape(a, [2, 8, 32]), tf.reshape(b, [2, 8, 8]), true, false)
      })
    }
    const bigA = tf.tensor(input([2, 128, 256], 3), [2, 128, 256])
    const bigB = tf.tensor(input([2, 128, 256], 4), [2, 128, 256])
    const beforeBig = [tf.memory().numTensors, tf.memory().numDataBuffers]
    // Transposed and large enough to be split per batch.
    for (let i = 0; i < 3; i++) tf.tidy(() => void tf.matMul(bigA, bigB, true, false))
    // The kernel's own temporaries (transposes, slices) live in the backend, not the engine: count both.
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(beforeBig)
    tf.dispose([a, b, bigA, bigB])
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before.map((n) => n - 2))
  })
})
