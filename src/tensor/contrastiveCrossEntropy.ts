/**
 * The contrastive loss against a queue of negatives (MoCo's and DenseCL's `ContrastiveHead` with a
 * cross-entropy loss) without the logits: the mean over rows i of the cross-entropy, against class 0, of
 * `[pos_i, query_i·queue] / τ`.
 *
 * Composed from tfjs ops, the logits are an n × (Q + 1) matrix, made three times (product, concat, scale) and
 * kept with their softmax, one-hot and gradients until the step ends: DenseCL at batch 256 has n = 12,544 query
 * cells and Q = 4,096 (205 MB per copy), and its step held ~3.7 GB of tfjs's WASM heap, whose ceiling is 4 GB.
 * The kernel (`wasmContrastiveCrossEntropy.ts`) takes the rows a block at a time: the block's logits, its softmax
 * and the gradient of the mean loss are computed in one block-sized scratch, and the block's gradient goes at once
 * through the product with the queue, so nothing larger than a block and the outputs is ever allocated.
 *
 * The queue is read as detached (MMSelfSup clones and detaches it): it gets no gradient. The gradient of the
 * mean loss is computed with the loss (the loss is only taken to be differentiated), in float64 per row, and
 * the custom gradient scales it by the upstream gradient. On a backend without the kernel the composed ops run
 * ({@link contrastiveCrossEntropyOps}).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { crossEntropyOps } from './softmaxCrossEntropy.js'

/**
 * The kernel's name in tfjs's registry: inputs `pos` (n values, float32), `query` `[n, d]`, `queue` `[d, Q]`;
 * attribute `temperature`; outputs the loss, the gradient of the mean loss in `pos` (pos's shape) and in `query`.
 */
export const CONTRASTIVE_CROSS_ENTROPY = 'LoopwrightContrastiveCrossEntropy'

/**
 * One row's part: the logits `[pos, neg_0 … neg_{Q−1}] / τ` given as `pos` and the Q products in `neg`
 * (float32, unscaled). Writes `softmax_j / (n·τ)` for the negatives into `negGradient` (it may be `neg` itself:
 * each value is read before it is written) and returns the row's loss and the gradient of the mean in `pos`.
 */
export const contrastiveRow = (
  pos: number,
  neg: Float32Array,
  temperature: number,
  n: number,
  negGradient: Float32Array,
): { readonly loss: number; readonly posGradient: number } => {
  const inv = 1 / temperature
  const l0 = pos * inv
  let max = l0
  for (let j = 0; j < neg.length; j++) {
    const l = neg[j]! * inv
    if (l > max) max = l
  }
  const e0 = Math.exp(l0 - max)
  let sum = e0
  for (let j = 0; j < neg.length; j++) {
    const e = Math.exp(neg[j]! * inv - max)
    negGradient[j] = e
    sum += e
  }
  const scale = 1 / (sum * n * temperature)
  for (let j = 0; j < neg.length; j++) negGradient[j] = negGradient[j]! * scale
  return { loss: max + Math.log(sum) - l0, posGradient: (e0 / sum - 1) / (n * temperature) }
}

/** The tfjs ops the kernel replaces (what MMSelfSup writes, and what every backend without the kernel runs). */
export const contrastiveCrossEntropyOps = (
  pos: tf.Tensor,
  query: tf.Tensor,
  queue: tf.Tensor,
  temperature: number,
): tf.Scalar =>
  tf.tidy(() => {
    const n = query.shape[0]!
    const logits = tf.div(
      tf.concat([tf.reshape(pos, [n, 1]), tf.matMul(query as tf.Tensor2D, queue as tf.Tensor2D)], 1),
      temperature,
    )
    return crossEntropyOps(logits, tf.zeros([n], 'int32'))
  })

/**
 * The mean cross-entropy, against class 0, of `[pos, query·queue] / temperature`, differentiable in `pos`
 * (n values) and `query` (`[n, d]`); `queue` (`[d, Q]`) is taken as detached.
 * @example
 * contrastiveCrossEntropy(tf.tensor2d([[1]]), tf.tensor2d([[1, 0]]), tf.tensor2d([[1], [0]]), 1) // log 2
 */
export const contrastiveCrossEntropy = (
  pos: tf.Tensor,
  query: tf.Tensor,
  queue: tf.Tensor,
  temperature: number,
): tf.Scalar => {
  if (query.rank !== 2 || queue.rank !== 2 || query.shape[1] !== queue.shape[0] || pos.size !== query.shape[0])
    throw new Error(
      `contrastiveCrossEntropy: pos ${JSON.stringify(pos.shape)}, query ${JSON.stringify(query.shape)} and ` +
        `queue ${JSON.stringify(queue.shape)} do not fit ([n], [n, d], [d, Q])`,
    )
  if (tf.getKernel(CONTRASTIVE_CROSS_ENTROPY, tf.getBackend()) === undefined)
    return contrastiveCrossEntropyOps(pos, query, queue, temperature)
  const fused = tf.customGrad(((p: tf.Tensor, q: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, dPos, dQuery] = tf
      .engine()
      .runKernel(CONTRASTIVE_CROSS_ENTROPY, { pos: p, query: q, queue }, { temperature }) as tf.Tensor[]
    save([dPos!, dQuery!])
    return {
      value: loss!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0]!), tf.mul(dy, saved[1]!)],
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  return fused(pos, query) as tf.Scalar
}
