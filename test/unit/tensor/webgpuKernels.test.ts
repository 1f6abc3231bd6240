/**
 * What can be checked of loopwright's WebGPU kernels without the optional WebGPU packages: their registration.
 * What they compute is checked against the CPU backend in `webgpu.optin.test.ts` (`npm run test:webgpu`).
 */
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { CONV2D_BIAS } from '../../../src/tensor/conv2dBias.js'
import { FINITE_PROBE } from '../../../src/tensor/finiteProbe.js'
import { FUSED_ADAM } from '../../../src/tensor/fusedAdam.js'
import { LINEAR, RELU_BIAS_GRAD } from '../../../src/tensor/linear.js'
import { NORMALIZE } from '../../../src/tensor/normalize.js'
import { RELU_GRAD } from '../../../src/tensor/reluGrad.js'
import { SOFTMAX_CROSS_ENTROPY } from '../../../src/tensor/softmaxCrossEntropy.js'
import { TANH_AVG_POOL, TANH_AVG_POOL_GRAD } from '../../../src/tensor/tanhAvgPool.js'
import { TANH_GRAD } from '../../../src/tensor/tanhGrad.js'
import { installWebgpuKernels } from '../../../src/tensor/webgpuKernels.js'

describe('installWebgpuKernels', () => {
  const names = [
    FUSED_ADAM,
    FINITE_PROBE,
    RELU_GRAD,
    SOFTMAX_CROSS_ENTROPY,
    RELU_BIAS_GRAD,
    TANH_GRAD,
    NORMALIZE,
    TANH_AVG_POOL,
    TANH_AVG_POOL_GRAD,
  ]

  it("registers loopwright's nine WGSL kernels for the webgpu backend, once", () => {
    expect(names.filter((n) => tf.getKernel(n, 'webgpu') !== undefined)).toEqual([])
    installWebgpuKernels()
    const first = names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc)
    expect(first.every((f) => typeof f === 'function')).toBe(true)
    installWebgpuKernels()
    expect(names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc)).toEqual(first)
  })

  it("registers the fused linear layer and convolution only where the backend has tfjs's fused programs", () => {
    // tfjs-backend-webgpu is not loaded here, so its `_FusedMatMul` and `FusedConv2D` are not registered.
    installWebgpuKernels()
    expect(['_FusedMatMul', 'FusedConv2D'].map((n) => tf.getKernel(n, 'webgpu'))).toEqual([undefined, undefined])
    expect([LINEAR, CONV2D_BIAS].map((n) => tf.getKernel(n, 'webgpu'))).toEqual([undefined, undefined])
  })
})
