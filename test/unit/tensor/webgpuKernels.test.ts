/**
 * What can be checked of loopwright's WebGPU kernels without the optional WebGPU packages: their registration.
 * What they compute is checked against the CPU backend in `webgpu.optin.test.ts` (`npm run test:webgpu`).
 */
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { FINITE_PROBE } from '../../../src/tensor/finiteProbe.js'
import { FUSED_ADAM } from '../../../src/tensor/fusedAdam.js'
import { RELU_GRAD } from '../../../src/tensor/reluGrad.js'
import { SOFTMAX_CROSS_ENTROPY } from '../../../src/tensor/softmaxCrossEntropy.js'
import { installWebgpuKernels } from '../../../src/tensor/webgpuKernels.js'

describe('installWebgpuKernels', () => {
  const names = [FUSED_ADAM, FINITE_PROBE, RELU_GRAD, SOFTMAX_CROSS_ENTROPY]

  it("registers loopwright's four kernels for the webgpu backend, once", () => {
    expect(names.filter((n) => tf.getKernel(n, 'webgpu') !== undefined)).toEqual([])
    installWebgpuKernels()
    const first = names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc)
    expect(first.every((f) => typeof f === 'function')).toBe(true)
    installWebgpuKernels()
    expect(names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc)).toEqual(first)
  })
})
