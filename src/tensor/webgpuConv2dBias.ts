/**
 * The `LoopwrightConv2dBias` kernel (`conv2dBias.ts`) on the WebGPU backend: the bias added in the convolution's
 * program, tfjs-backend-webgpu's own `FusedConv2D` (its convolution programs take a bias), where the stock route
 * runs `Conv2D` and `Add`: two programs.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'

/** The `LoopwrightConv2dBias` kernel for WebGPU, given the backend's `FusedConv2D` kernel. */
export const webgpuConv2dBiasKernel =
  (fusedConv2d: tf.KernelFunc): tf.KernelFunc =>
  ({ inputs, attrs, backend }) => {
    const { strides, pad } = attrs as unknown as { strides: [number, number]; pad: unknown }
    return fusedConv2d({
      inputs,
      attrs: { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear', leakyreluAlpha: 0 },
      backend,
    } as unknown as Parameters<tf.KernelFunc>[0])
  }
