/**
 * A convolution and its bias as one op (NHWC input, HWIO filter, dilation 1). Where the backend registers the
 * {@link CONV2D_BIAS} kernel (WebGPU: `webgpuConv2dBias.ts`), the bias is added in the convolution's own program;
 * everywhere else it is tfjs's `Conv2D` then `Add`, the kernels and bits of before.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/**
 * The kernel's name: inputs `x` `[n, h, w, c]`, `filter` `[kh, kw, c, out]`, `bias` `[out]`; attrs `strides` and
 * `pad`.
 */
export const CONV2D_BIAS = 'LoopwrightConv2dBias'

/** tfjs's padding: `'valid'`, `'same'` or explicit NHWC pairs. */
export type Padding = 'valid' | 'same' | tf.backend_util.ExplicitPadding

/**
 * `conv2d(x, filter) + bias` (the bias optional), stride `stride` in both directions. One kernel where the backend
 * has {@link CONV2D_BIAS}; tfjs's `Conv2D` and `Add` otherwise.
 */
export const conv2dBias = (
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: number,
  pad: Padding,
  bias: tf.Tensor | undefined,
): tf.Tensor4D => {
  if (
    bias !== undefined &&
    tf.getKernel(CONV2D_BIAS, tf.getBackend()) !== undefined &&
    [x, filter, bias].every((t) => t.dtype === 'float32')
  )
    return tf.engine().runKernel(CONV2D_BIAS, { x, filter, bias }, {
      strides: [stride, stride],
      pad,
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D
  const y = tf.conv2d(x, filter, stride, pad)
  return bias === undefined ? y : tf.add(y, bias)
}

/**
 * Register {@link CONV2D_BIAS}'s gradient: tfjs's `Conv2D` gradient for `x` and `filter`, the sum over batch and
 * positions for `bias`; each computed only if asked for (a first convolution's input gradient never is).
 */
export const registerConv2dBiasGradient = (): void => {
  if (tf.getGradient(CONV2D_BIAS) !== undefined) return
  tf.registerGradient({
    kernelName: CONV2D_BIAS,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D]
      const upstream = dy as tf.Tensor4D
      const { strides, pad } = attrs as unknown as { strides: [number, number]; pad: Padding }
      return {
        // What tfjs's Conv2D gradient runs (its ops for these are not exported).
        x: () => tf.conv2dTranspose(upstream, filter, x.shape, strides, pad),
        filter: () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: upstream }, {
            strides,
            pad,
            dataFormat: 'NHWC',
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(upstream, [0, 1, 2]),
      }
    },
  })
}
