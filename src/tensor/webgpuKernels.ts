/**
 * loopwright's kernels for the WebGPU backend, registered when that backend
 * is selected: each replaces a chain of tfjs's small element-wise programs by
 * one (`bench/dispatches.ts` counts them). The WebGPU package is optional:
 * these files import none of it, only its backend object at run time.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { FINITE_PROBE } from './finiteProbe.js'
import { FUSED_ADAM } from './fusedAdam.js'
import { RELU_GRAD } from './reluGrad.js'
import { SOFTMAX_CROSS_ENTROPY } from './softmaxCrossEntropy.js'
import { webgpuAdamKernel } from './webgpuAdam.js'
import { columnSumKernel } from './webgpuColumnSum.js'
import { webgpuFiniteProbeKernel } from './webgpuFiniteProbe.js'
import { webgpuReluGradKernel } from './webgpuReluGrad.js'
import { webgpuSoftmaxCrossEntropyKernel } from './webgpuSoftmaxCrossEntropy.js'

const kernels: ReadonlyArray<readonly [string, tf.KernelFunc]> = [
  [FUSED_ADAM, webgpuAdamKernel],
  [FINITE_PROBE, webgpuFiniteProbeKernel],
  [RELU_GRAD, webgpuReluGradKernel],
  [SOFTMAX_CROSS_ENTROPY, webgpuSoftmaxCrossEntropyKernel],
]

let replaced = false

/** Register the kernels for the `webgpu` backend (once; later calls do nothing). */
export const installWebgpuKernels = (): void => {
  for (const [kernelName, kernelFunc] of kernels)
    if (tf.getKernel(kernelName, 'webgpu') === undefined)
      tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc })
  if (replaced) return
  replaced = true
  // Stock kernels replaced where a case they handle in several programs takes one; the rest go to them.
  const sum = tf.getKernel('Sum', 'webgpu')
  if (sum === undefined) return
  tf.unregisterKernel('Sum', 'webgpu')
  tf.registerKernel({ ...sum, kernelFunc: columnSumKernel(sum.kernelFunc) })
}
