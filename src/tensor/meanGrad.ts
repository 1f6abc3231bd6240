/**
 * `Mean`'s gradient as one kernel where the backend has it: every input element gets `dy / n` of the mean it fed
 * (`n` values averaged). tfjs builds it as `dy · ones(x.shape) / n`, the ones made in a JS array of the input's
 * shape and uploaded on every call (global average pooling: 802k floats per view of a SmallCNN-16 batch of 256),
 * then two kernels over the input's size. The kernel divides each value once and copies it across the averaged
 * axes: the same float32 division of the same operands, so the same bits (`test/unit/tensor/meanGrad.test.ts`).
 * It takes means over consecutive axes (pooling over H and W, a whole tensor, one axis); other axes, dtypes and
 * backends keep tfjs's gradient.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name in tfjs's registry: input `dy`, attributes `shape`, `outer`, `reduced`, `inner`. */
export const MEAN_GRAD = 'LoopwrightMeanGrad'

/** The input as `[outer, reduced, inner]` when `axes` are consecutive, else `undefined`. */
export const meanLayout = (
  shape: ReadonlyArray<number>,
  axes: ReadonlyArray<number>,
): { readonly outer: number; readonly reduced: number; readonly inner: number } | undefined => {
  const sorted = [...new Set(axes.map((a) => (a < 0 ? a + shape.length : a)))].sort((a, b) => a - b)
  if (sorted.length === 0 || sorted.some((a, i) => a !== sorted[0]! + i)) return undefined
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1)
  const [first, last] = [sorted[0]!, sorted.at(-1)!]
  return { outer: size(0, first), reduced: size(first, last + 1), inner: size(last + 1, shape.length) }
}

/**
 * Register the kernel-backed gradient for `Mean` over tfjs's (call after tfjs's gradients are registered): it
 * falls back to tfjs's own gradient where the kernel or the layout is missing.
 */
export const registerMeanGradient = (): void => {
  const tfjs = tf.getGradient('Mean')
  if (tfjs === undefined) throw new Error("tfjs's gradient for Mean must be registered first")
  tf.registerGradient({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[]
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x!.shape)
      const layout = meanLayout(x!.shape, axes)
      const g = dy as tf.Tensor
      if (
        layout === undefined ||
        layout.outer * layout.reduced * layout.inner === 0 ||
        g.dtype !== 'float32' ||
        tf.getKernel(MEAN_GRAD, tf.getBackend()) === undefined
      )
        return tfjs.gradFunc(dy, saved, attrs)
      return {
        x: () => tf.engine().runKernel(MEAN_GRAD, { dy: g }, { shape: x!.shape, ...layout }) as tf.Tensor,
      }
    },
  })
}
