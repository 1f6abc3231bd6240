/**
 * `nn.Embedding` as a function over named parameters: `weight` is
 * `[num_embeddings, embedding_dim]`, initialised from N(0, 1) as PyTorch
 * does, and a lookup gathers its rows (the gradient scatters back into them).
 * `padding_idx` and `max_norm` are not supported.
 *
 * @example
 * ```ts
 * const [params, rng] = Embedding.init('tok', 100, 16, Rng.make(0)) // { 'tok.weight': [100, 16] }
 * const y = Embedding.apply(params, 'tok', tf.tensor2d([[1, 5]], [1, 2], 'int32')) // [1, 2, 16]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import type { Tree } from '../tensor/tree.js'
import { normalTensor } from './init.js'

/**
 * `${prefix}.weight` `[numEmbeddings, embeddingDim]` from N(0, 1).
 *
 * @example
 * ```ts
 * const [params] = Embedding.init('emb', 10, 4, Rng.make(1))
 * ```
 */
export const init = (
  prefix: string,
  numEmbeddings: number,
  embeddingDim: number,
  rng: Rng.Rng,
): readonly [Tree, Rng.Rng] => {
  const [weight, next] = normalTensor(rng, [numEmbeddings, embeddingDim], 1)
  return [{ [`${prefix}.weight`]: weight }, next]
}

/**
 * The rows of `weight` for integer `ids` of any shape: `[...ids.shape, embedding_dim]`.
 *
 * @example
 * ```ts
 * Embedding.apply(params, 'emb', tf.tensor1d([3, 3], 'int32')).shape // [2, 4]
 * ```
 */
export const apply = (params: Tree, prefix: string, ids: tf.Tensor): tf.Tensor => {
  const weight = params[`${prefix}.weight`]
  if (weight === undefined) throw new Error(`Embedding '${prefix}': parameter ${prefix}.weight is missing`)
  return tf.tidy(() => {
    const flat = tf.reshape(ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32'), [-1])
    return tf.reshape(tf.gather(weight, flat), [...ids.shape, weight.shape[1]!])
  })
}
