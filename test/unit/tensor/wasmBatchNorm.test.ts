import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import * as BatchNorm from '../../../src/models/BatchNorm.js'
import { selectBackend } from '../../../src/tensor/backend.js'
import { hasFusedBatchNorm } from '../../../src/tensor/fusedBatchNorm.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { alignUp } from '../../../src/tensor/wasmBatchNorm.js'

interface Case {
  readonly shape: ReadonlyArray<number>
  readonly affine: boolean
  /** Added to every input, so that the mean is far from zero against the spread. */
  readonly offset: number
  readonly seed: number
}

/** A train-mode BatchNorm's output, new running statistics and gradients under a non-uniform output gradient. */
const run = async (backend: string, c: Case) => {
  await tf.setBackend(backend)
  const channels = c.shape.at(-1)!
  const size = c.shape.reduce((a, b) => a * b, 1)
  const x = tf.tidy(() => tf.add(tf.tensor(seededValues(size, c.seed, 3), [...c.shape]), c.offset))
  // Seeded weight and bias rather than init's ones and zeros, so that their gradients matter.
  const { buffers } = BatchNorm.init('bn', channels, false)
  const gamma = c.affine ? tf.tensor1d(seededValues(channels, c.seed + 1, 1)) : undefined
  const beta = c.affine ? tf.tensor1d(seededValues(channels, c.seed + 2, 1)) : undefined
  const dy = tf.tensor(seededValues(size, c.seed + 3, 1), [...c.shape])
  const ps = c.affine ? { 'bn.weight': gamma!, 'bn.bias': beta! } : {}
  let updates: { [name: string]: tf.Tensor } = {}
  const f = (xs: tf.Tensor, ...affine: tf.Tensor[]) => {
    const current = c.affine ? { 'bn.weight': affine[0]!, 'bn.bias': affine[1]! } : {}
    const [y, up] = BatchNorm.apply(current, buffers, 'bn', xs, { training: true })
    updates = Object.fromEntries(Object.entries(up).map(([n, t]) => [n, tf.keep(t)]))
    return tf.sum(tf.mul(y, dy)) as tf.Scalar
  }
  const y = tf.tidy(() => BatchNorm.apply(ps, buffers, 'bn', x, { training: true })[0])
  const { value, grads } = tf.valueAndGrads(f)([x, ...Object.values(ps)])
  const read = async (t: tf.Tensor) => Array.from((await t.data()) as Float32Array)
  const out = {
    x: await read(x),
    gamma: gamma === undefined ? undefined : await read(gamma),
    beta: beta === undefined ? undefined : await read(beta),
    dy: await read(dy),
    y: await read(y),
    runningMean: await read(updates['bn.running_mean']!),
    runningVar: await read(updates['bn.running_var']!),
    grads: await Promise.all(grads.map(read)),
    fused: hasFusedBatchNorm(),
  }
  tf.dispose([x, y, dy, value, grads, Object.values(updates), Object.values(buffers), gamma, beta])
  return out
}

/**
 * The largest |a − b| relative to the largest |b|, or to 1 where every |b| is smaller (a normalised layer's
 * values and gradients are of order 1; with two values per channel the input gradient is ~0 and only absolute
 * errors mean anything).
 */
const relativeError = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  let scale = 1
  let worst = 0
  b.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v))
    worst = Math.max(worst, Math.abs(a[i]! - v))
  })
  return worst / scale
}

type Outputs = Awaited<ReturnType<typeof run>>

/** The layer in float64 from the same float32 inputs: what both backends approximate. */
const reference = (r: Outputs, channels: number) => {
  const n = r.x.length / channels
  const eps = 1e-5
  const perChannel = (f: (c: number) => number) => Array.from({ length: channels }, (_, c) => f(c))
  const sum = (c: number, f: (i: number) => number) => {
    let s = 0
    for (let i = c; i < r.x.length; i += channels) s += f(i)
    return s
  }
  const mean = perChannel((c) => sum(c, (i) => r.x[i]!) / n)
  const variance = perChannel((c) => sum(c, (i) => (r.x[i]! - mean[c]!) ** 2) / n)
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps))
  const gamma = (c: number) => r.gamma?.[c] ?? 1
  const xhat = r.x.map((v, i) => (v - mean[i % channels]!) * invStd[i % channels]!)
  const dBias = perChannel((c) => sum(c, (i) => r.dy[i]!))
  const dWeight = perChannel((c) => sum(c, (i) => r.dy[i]! * xhat[i]!))
  const dx = r.x.map((_, i) => {
    const c = i % channels
    return ((gamma(c) * invStd[c]!) / n) * (n * r.dy[i]! - dBias[c]! - xhat[i]! * dWeight[c]!)
  })
  return {
    y: xhat.map((v, i) => v * gamma(i % channels) + (r.beta?.[i % channels] ?? 0)),
    runningMean: mean.map((m) => 0.1 * m),
    runningVar: variance.map((v) => 0.9 + (0.1 * v * n) / (n - 1)),
    grads: [dx, ...(r.gamma === undefined ? [] : [dWeight, dBias])],
  }
}

/**
 * The fused kernels (WASM) are about as accurate as the composed ops (CPU backend), measured against float64: within
 * eight times their error, or 1e-4 of the values' scale where theirs is smaller (a generated case reached 2.7e-5
 * against the composed ops' 5.7e-6). Both subtract a float32 mean, which
 * dominates the error when the mean is large against the spread or a channel has two values; a wrong formula
 * is off by the values' whole scale.
 */
const agree = async (c: Case) => {
  const wasm = await run('wasm', c)
  const cpu = await run('cpu', c)
  expect(wasm.fused).toBe(true)
  expect(cpu.fused).toBe(false)
  expect(wasm.x.findIndex((v, i) => v !== cpu.x[i])).toBe(-1)
  const exact = reference(wasm, c.shape.at(-1)!)
  const asAccurate = (fused: ReadonlyArray<number>, composed: ReadonlyArray<number>, truth: ReadonlyArray<number>) => {
    expect(relativeError(fused, truth)).toBeLessThanOrEqual(Math.max(8 * relativeError(composed, truth), 1e-4))
  }
  asAccurate(wasm.y, cpu.y, exact.y)
  asAccurate(wasm.runningMean, cpu.runningMean, exact.runningMean)
  asAccurate(wasm.runningVar, cpu.runningVar, exact.runningVar)
  expect(wasm.grads).toHaveLength(exact.grads.length)
  for (const [i, g] of wasm.grads.entries()) asAccurate(g, cpu.grads[i]!, exact.grads[i]!)
}

describe('the fused BatchNorm on WASM agrees with the composed ops on the CPU backend', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('a SmallCNN layer: 16 images of 28×28 with 16 channels, far from zero mean', async () => {
    await agree({ shape: [16, 28, 28, 16], affine: true, offset: 40, seed: 1 })
  })

  it('any rank ≥ 2, any channel count (odd, below four), with and without weight and bias', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 11 }),
        fc.boolean(),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        async (spatial, n, channels, affine, offset, seed) => {
          await agree({ shape: [n, ...spatial, channels], affine, offset, seed })
        },
      ),
      { numRuns: 60 },
    )
  })

  it('more positions than one float32 block, so the float64 accumulation is exercised', async () => {
    await agree({ shape: [3, 67, 5], affine: false, offset: 1000, seed: 7 })
  })

  it('keeps the number of tensors flat over a training step', async () => {
    await tf.setBackend('wasm')
    const before = tf.memory().numTensors
    await run('wasm', { shape: [4, 6, 6, 8], affine: true, offset: 0, seed: 3 })
    expect(tf.memory().numTensors).toBe(before)
  })
})

/** A train-mode BatchNorm and a ReLU on WASM, fused (`relu: true`) or `tf.relu` after it: bits and kernels. */
const withRelu = async (c: Case, fused: boolean) => {
  await tf.setBackend('wasm')
  const channels = c.shape.at(-1)!
  const size = c.shape.reduce((a, b) => a * b, 1)
  const x = tf.tidy(() => tf.add(tf.tensor(seededValues(size, c.seed, 3), [...c.shape]), c.offset))
  const { buffers } = BatchNorm.init('bn', channels, false)
  const ps = c.affine
    ? {
        'bn.weight': tf.tensor1d(seededValues(channels, c.seed + 1, 1)),
        'bn.bias': tf.tensor1d(seededValues(channels, c.seed + 2, 1)),
      }
    : {}
  const dy = tf.tensor(seededValues(size, c.seed + 3, 1), [...c.shape])
  let kept: tf.Tensor[] = []
  const f = (xs: tf.Tensor, ...affine: tf.Tensor[]) => {
    const current = c.affine ? { 'bn.weight': affine[0]!, 'bn.bias': affine[1]! } : {}
    const [y, up] = BatchNorm.apply(current, buffers, 'bn', xs, { training: true, relu: fused })
    const z = fused ? y : tf.relu(y)
    kept = [tf.keep(z), ...Object.values(up).map((t) => tf.keep(t))]
    return tf.sum(tf.mul(z, dy)) as tf.Scalar
  }
  let result: { value: tf.Scalar; grads: tf.Tensor[] } | undefined
  const profile = await tf.profile(() => {
    result = tf.valueAndGrads(f)([x, ...Object.values(ps)])
    return [result.value, ...result.grads]
  })
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))
  const out = {
    outputs: [...kept, ...result!.grads].map(bits),
    kernels: profile.kernels.map((k) => k.name),
  }
  tf.dispose([x, dy, kept, result!.value, result!.grads, Object.values(ps), Object.values(buffers)])
  return out
}

describe('BatchNorm with the ReLU fused into its WASM kernels', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('gives tf.relu after the layer bit for bit: output, running statistics and every gradient', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 11 }),
        fc.boolean(),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        async (spatial, n, channels, affine, offset, seed) => {
          const c: Case = { shape: [n, ...spatial, channels], affine, offset, seed }
          const [fused, composed] = [await withRelu(c, true), await withRelu(c, false)]
          expect(fused.outputs).toEqual(composed.outputs)
          expect(fused.kernels).not.toContain('Relu')
          expect(fused.kernels).not.toContain('LoopwrightReluGrad')
          expect(composed.kernels).toContain('LoopwrightReluGrad')
        },
      ),
      { numRuns: 60 },
    )
  })

  it('zeroes about half of a SmallCNN layer (16 channels) and keeps the number of tensors flat', async () => {
    const c: Case = { shape: [8, 28, 28, 16], affine: true, offset: 40, seed: 5 }
    const before = tf.memory().numTensors
    const fused = await withRelu(c, true)
    expect(tf.memory().numTensors).toBe(before)
    expect(fused.outputs).toEqual((await withRelu(c, false)).outputs)
    const zeros = fused.outputs[0]!.filter((b) => b === 0).length
    expect(zeros / fused.outputs[0]!.length).toBeGreaterThan(0.3)
    expect(zeros / fused.outputs[0]!.length).toBeLessThan(0.7)
  })
})

describe('the scratch alignment', () => {
  it('stays positive and aligned for heap addresses past 2 GB (bitwise rounding turned them negative)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 16 }), (address) => {
        const at = alignUp(address, 8)
        expect(at % 8).toBe(0)
        expect(at - address).toBeGreaterThanOrEqual(0)
        expect(at - address).toBeLessThan(8)
      }),
    )
    expect(alignUp(2 ** 31 + 1, 8)).toBe(2 ** 31 + 8)
  })
})
