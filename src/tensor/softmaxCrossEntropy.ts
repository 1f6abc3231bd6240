/**
 * `F.cross_entropy(logits, labels)` (mean over the batch) as one kernel and
 * one gradient multiply, where tfjs composes it from ~25 small kernels
 * (log-softmax, one-hot, product, sums, mean and their gradients), each
 * dispatched and taped: a third of an MLP step's kernels, for 640 numbers.
 *
 * The kernel computes, per row, in float64 and rounded once to float32:
 * `lse = m + log Σ exp(z − m)` (m the row's maximum), the loss
 * `Σ (lse − z[label]) / n`, and the gradient of that mean,
 * `(softmax(z) − onehot(label)) / n`, which the custom gradient scales by the
 * upstream gradient. A label outside `[0, classes)` contributes nothing to
 * either, as the one-hot route gives. On a backend without the kernel the
 * composed ops run (`crossEntropyOps`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name in tfjs's registry (inputs `logits` `[n, classes]` float32, `labels` `[n]` int32). */
export const SOFTMAX_CROSS_ENTROPY = 'LoopwrightSoftmaxCrossEntropy'

/** The loss and the gradient of the mean loss over `logits` (`[n, c]`, row-major) for `labels`. */
export const softmaxCrossEntropyValues = (
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  n: number,
  c: number,
  gradient: Float32Array,
): number => {
  let total = 0
  for (let i = 0; i < n; i++) {
    const row = i * c
    let max = -Infinity
    for (let j = 0; j < c; j++) max = Math.max(max, logits[row + j]!)
    let sum = 0
    for (let j = 0; j < c; j++) sum += Math.exp(logits[row + j]! - max)
    const label = labels[i]!
    const inRange = label >= 0 && label < c
    if (inRange) total += max + Math.log(sum) - logits[row + label]!
    for (let j = 0; j < c; j++) {
      const p = inRange ? Math.exp(logits[row + j]! - max) / sum : 0
      gradient[row + j] = (p - (j === label ? 1 : 0)) / n
    }
  }
  return total / n
}

/** The tfjs ops the kernel replaces (what every backend without it runs). */
export const crossEntropyOps = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar =>
  tf.tidy(() => {
    const classes = logits.shape.at(-1)!
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D)
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes)), -1)
    return tf.neg(tf.mean(picked)) as tf.Scalar
  })

/**
 * The mean softmax cross-entropy of `logits` `[n, classes]` for class indices `labels` `[n]`, differentiable in
 * `logits`.
 * @example
 * softmaxCrossEntropy(tf.tensor2d([[0, 0]]), tf.tensor1d([1], 'int32')) // log 2
 */
export const softmaxCrossEntropy = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar => {
  if (logits.rank !== 2 || tf.getKernel(SOFTMAX_CROSS_ENTROPY, tf.getBackend()) === undefined)
    return crossEntropyOps(logits, labels)
  const int = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32')
  const fused = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, gradient] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits: z, labels: int }) as tf.Tensor[]
    save([gradient!])
    return {
      value: loss!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!),
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  const loss = fused(logits) as tf.Scalar
  if (int !== labels) int.dispose()
  return loss
}
