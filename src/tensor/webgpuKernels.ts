/**
 * loopwright's kernels for the WebGPU backend, registered when that backend
 * is selected: each replaces a chain of tfjs's small element-wise programs by
 * one (`bench/dispatches.ts` counts them). The WebGPU package is optional:
 * these files import none of it, only its backend object at run time.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { CONV2D_BIAS, registerConv2dBiasGradient } from './conv2dBias.js'
import { FINITE_PROBE } from './finiteProbe.js'
import { FUSED_ADAM } from './fusedAdam.js'
import { LINEAR, RELU_BIAS_GRAD, registerLinearGradient } from './linear.js'
import { NORMALIZE } from './normalize.js'
import { RELU_GRAD } from './reluGrad.js'
import { SOFTMAX_CROSS_ENTROPY } from './softmaxCrossEntropy.js'
import { registerTanhAvgPoolGradient, TANH_AVG_POOL, TANH_AVG_POOL_GRAD } from './tanhAvgPool.js'
import { TANH_GRAD } from './tanhGrad.js'
import { webgpuAdamKernel } from './webgpuAdam.js'
import { webgpuConv2dBiasKernel } from './webgpuConv2dBias.js'
import { columnSumKernel } from './webgpuColumnSum.js'
import { webgpuFiniteProbeKernel } from './webgpuFiniteProbe.js'
import { webgpuLinearKernel } from './webgpuLinear.js'
import { webgpuNormalizeKernel } from './webgpuNormalize.js'
import { webgpuReluBiasGradKernel } from './webgpuReluBiasGrad.js'
import { webgpuReluGradKernel } from './webgpuReluGrad.js'
import { webgpuSoftmaxCrossEntropyKernel } from './webgpuSoftmaxCrossEntropy.js'
import { webgpuTanhAvgPoolGradKernel, webgpuTanhAvgPoolKernel } from './webgpuTanhAvgPool.js'
import { webgpuTanhGradKernel } from './webgpuTanhGrad.js'

const kernels: ReadonlyArray<readonly [string, tf.KernelFunc]> = [
  [FUSED_ADAM, webgpuAdamKernel],
  [FINITE_PROBE, webgpuFiniteProbeKernel],
  [RELU_GRAD, webgpuReluGradKernel],
  [SOFTMAX_CROSS_ENTROPY, webgpuSoftmaxCrossEntropyKernel],
  [RELU_BIAS_GRAD, webgpuReluBiasGradKernel],
  [TANH_GRAD, webgpuTanhGradKernel],
  [NORMALIZE, webgpuNormalizeKernel],
  [TANH_AVG_POOL, webgpuTanhAvgPoolKernel],
  [TANH_AVG_POOL_GRAD, webgpuTanhAvgPoolGradKernel],
]

let replaced = false

/** Register the kernels for the `webgpu` backend (once; later calls do nothing). */
export const installWebgpuKernels = (): void => {
  for (const [kernelName, kernelFunc] of kernels)
    if (tf.getKernel(kernelName, 'webgpu') === undefined)
      tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc })
  registerTanhAvgPoolGradient()
  // The fused linear layer and convolution run tfjs's own fused programs, so they exist where the backend has those.
  const fused: ReadonlyArray<readonly [string, string, (stock: tf.KernelFunc) => tf.KernelFunc, () => void]> = [
    [LINEAR, '_FusedMatMul', webgpuLinearKernel, registerLinearGradient],
    [CONV2D_BIAS, 'FusedConv2D', webgpuConv2dBiasKernel, registerConv2dBiasGradient],
  ]
  for (const [kernelName, stockName, kernel, registerGradient] of fused) {
    const stock = tf.getKernel(stockName, 'webgpu')
    if (stock === undefined || tf.getKernel(kernelName, 'webgpu') !== undefined) continue
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernel(stock.kernelFunc) })
    registerGradient()
  }
  if (replaced) return
  replaced = true
  // Stock kernels replaced where a case they handle in several programs takes one; the rest go to them.
  const sum = tf.getKernel('Sum', 'webgpu')
  if (sum === undefined) return
  tf.unregisterKernel('Sum', 'webgpu')
  tf.registerKernel({ ...sum, kernelFunc: columnSumKernel(sum.kernelFunc) })
}
