import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { describe as describeSelected, selectBackend } from '../../../src/tensor/backend.js'
import { compareWithCpu, opCases } from '../../../src/tensor/opConformance.js'
import { seededTensor } from '../../support/kernels.js'

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

  it('every op the models use: forward and gradient agree within 1e-5', async () => {
    const results = await compareWithCpu('wasm')
    expect(results.map((r) => r.op)).toEqual(opCases.map((c) => c.name))
    expect(results.filter((r) => !r.ok)).toEqual([])
  })

  it('the comparison can fail: a wrong kernel is caught', async () => {
    // Register a deliberately wrong Relu on WASM for one comparison, then restore it.
    const original = tf.getKernel('Relu', 'wasm')!
    tf.unregisterKernel('Relu', 'wasm')
    tf.registerKernel({
      kernelName: 'Relu',
      backendName: 'wasm',
      kernelFunc: (args) => (tf.getKernel('Abs', 'wasm')!.kernelFunc as (a: typeof args) => tf.TensorInfo)(args),
    })
    try {
      const results = await compareWithCpu('wasm')
      expect(results.find((r) => r.op === 'relu')?.ok).toBe(false)
    } finally {
      tf.unregisterKernel('Relu', 'wasm')
      tf.registerKernel(original)
    }
  })

  it('keeps NaN through clipByValue and signs values below float32 epsilon, as the CPU backend does', async () => {
    await tf.setBackend('wasm')
    const [clipped, signs] = tf.tidy(() => [
      Array.from(tf.clipByValue(tf.tensor1d([NaN, 2, -2]), -1, 1).dataSync()),
      Array.from(tf.sign(tf.tensor1d([1e-9, -1e-9, 0])).dataSync()),
    ])
    expect(clipped[0]).toBeNaN()
    expect(clipped.slice(1)).toEqual([1, -1])
    expect(signs).toEqual([1, -1, 0])
  })

  it('the corrected kernels release their temporaries', async () => {
    await tf.setBackend('wasm')
    const tensor = (shape: number[], seed: number) => seededTensor(shape, seed)
    const a = tensor([16, 32], 1)
    const b = tensor([16, 8], 2)
    const big = tensor([2, 128, 256], 3)
    const x = tensor([2, 7, 6, 3], 4)
    const w = tensor([3, 3, 3, 4], 5)
    const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        tf.matMul(a, b, true, false)
        tf.matMul(big, big, true, false) // transposed and split per batch
        tf.grads((p: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, p as tf.Tensor4D, 1, 'same')))([w])
      })
    }
    // Kernel temporaries (transposes, slices, im2col patches) live in the backend, not the engine: count both.
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
    tf.dispose([a, b, big, x, w])
  })
})
