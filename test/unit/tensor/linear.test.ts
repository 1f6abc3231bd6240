import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { LINEAR, linear } from '../../../src/tensor/linear.js'
import { seededValues } from '../../../src/tensor/opConformance.js'

/** The kernels tfjs's engine runs while `f` runs. */
const kernelsDuring = <A>(f: () => A): { result: A; kernels: string[] } => {
  const engine = tf.engine() as unknown as { runKernelFunc: (p: { kernelName?: string }) => unknown }
  const original = engine.runKernelFunc
  const kernels: string[] = []
  engine.runKernelFunc = function (p) {
    if (p.kernelName !== undefined) kernels.push(p.kernelName)
    return original.call(this, p)
  }
  try {
    return { result: f(), kernels }
  } finally {
    engine.runKernelFunc = original
  }
}

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))

describe('linear', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })

  it(
    "runs tfjs's MatMul, Add and Relu where the backend has no fused kernel (WASM, CPU), " + 'with their bits',
    async () => {
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend)
        expect(tf.getKernel(LINEAR, backend)).toBeUndefined()
        const x = tf.tensor2d(seededValues(5 * 7, 1), [5, 7])
        const w = tf.tensor2d(seededValues(3 * 7, 2), [3, 7])
        const b = tf.tensor1d(seededValues(3, 3))
        const { result, kernels } = kernelsDuring(() => linear(x, w, b, 'relu'))
        expect(kernels, backend).toEqual(['BatchMatMul', 'Add', 'Relu'])
        const want = tf.tidy(() => tf.relu(tf.add(tf.matMul(x, w, false, true), b)))
        expect(bits(result), backend).toEqual(bits(want))
        const plain = kernelsDuring(() => linear(x, w, undefined, undefined))
        expect(plain.kernels, backend).toEqual(['BatchMatMul'])
        tf.dispose([x, w, b, result, want, plain.result])
      }
    },
  )
})
