/**
 * MMPretrain's `MultiheadAttention` (mmpretrain/models/utils/attention.py)
 * as a function over named parameters: self-attention over tokens
 * `[n, N, C]` with one fused projection `qkv` (`weight` `[3·C, C]`, rows
 * ordered q, k, v and, within each, head by head) and an output projection
 * `proj` (`[C, C]`). Both are `nn.Linear`s with PyTorch's default
 * initialisation.
 *
 * `softmax(q·kᵀ · head_dims^−½) · v`, heads concatenated, then `proj`;
 * dropout on the attention weights (`attn_drop`) and after `proj`
 * (`proj_drop`) in train mode, drawn from the given stream.
 *
 * @example
 * ```ts
 * const [params, rng] = MultiheadAttention.init('attn', { embed_dims: 64, num_heads: 4 }, Rng.make(0))
 * const [y] = MultiheadAttention.apply(params, 'attn', { embed_dims: 64, num_heads: 4 }, x) // x: [n, N, 64]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import type { Tree } from '../tensor/tree.js'
import * as Dropout from './Dropout.js'
import * as Linear from './Linear.js'

export interface MultiheadAttentionConfig {
  readonly embed_dims: number
  readonly num_heads: number
  /** Default true, as MMPretrain. */
  readonly qkv_bias?: boolean
  /** Default true, as MMPretrain. */
  readonly proj_bias?: boolean
}

/** Train/eval mode and dropout rates for one call; without it, no dropout (eval). */
export interface AttentionDropout {
  readonly training: boolean
  readonly rng: Rng.Rng
  readonly attn_drop?: number
  readonly proj_drop?: number
}

/**
 * `${prefix}.qkv.weight` `[3·C, C]`, `${prefix}.qkv.bias` `[3·C]`,
 * `${prefix}.proj.weight` `[C, C]`, `${prefix}.proj.bias` `[C]`, drawn in
 * that order with PyTorch's default `nn.Linear` initialisation.
 *
 * @example
 * ```ts
 * Object.keys(MultiheadAttention.init('a', { embed_dims: 8, num_heads: 2 }, Rng.make(0))[0])
 * // ['a.qkv.weight', 'a.qkv.bias', 'a.proj.weight', 'a.proj.bias']
 * ```
 */
export const init = (prefix: string, cfg: MultiheadAttentionConfig, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  check(prefix, cfg)
  const c = cfg.embed_dims
  const [qkv, r1] = Linear.init(`${prefix}.qkv`, c, 3 * c, rng, cfg.qkv_bias ?? true)
  const [proj, r2] = Linear.init(`${prefix}.proj`, c, c, r1, cfg.proj_bias ?? true)
  return [{ ...qkv, ...proj }, r2]
}

const check = (prefix: string, cfg: MultiheadAttentionConfig): void => {
  if (!(Number.isInteger(cfg.num_heads) && cfg.num_heads > 0 && cfg.embed_dims % cfg.num_heads === 0))
    throw new Error(
      `MultiheadAttention '${prefix}': embed_dims ${cfg.embed_dims} is not divisible by num_heads ${cfg.num_heads}`,
    )
}

/**
 * Self-attention over `x` `[n, N, C]` → `[n, N, C]`, and the stream after
 * the dropout draws (unchanged without dropout).
 *
 * @example
 * ```ts
 * const [y, rng] = MultiheadAttention.apply(params, 'attn', cfg, x, { training: true, rng: r, proj_drop: 0.1 })
 * ```
 */
export const apply = (
  params: Tree,
  prefix: string,
  cfg: MultiheadAttentionConfig,
  x: tf.Tensor,
  dropout?: AttentionDropout,
): readonly [tf.Tensor, Rng.Rng | undefined] => {
  check(prefix, cfg)
  if (x.rank !== 3 || x.shape[2] !== cfg.embed_dims)
    throw new Error(
      `MultiheadAttention '${prefix}': expected [n, N, ${cfg.embed_dims}], got shape [${x.shape.join(', ')}]`,
    )
  const [n, tokens] = [x.shape[0]!, x.shape[1]!]
  const heads = cfg.num_heads
  const d = cfg.embed_dims / heads
  let rng = dropout?.rng
  const training = dropout?.training ?? false
  const y = tf.tidy(() => {
    // [n, N, 3C] → [n, N, 3, H, D] → [3, n, H, N, D] → three [n·H, N, D]
    const qkv = tf.transpose(
      tf.reshape(Linear.apply(params, `${prefix}.qkv`, x), [n, tokens, 3, heads, d]),
      [2, 0, 3, 1, 4],
    )
    const [q, k, v] = tf.unstack(tf.reshape(qkv, [3, n * heads, tokens, d])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
    let attn: tf.Tensor = tf.softmax(tf.mul(tf.matMul(q, k, false, true), d ** -0.5))
    if (training && (dropout?.attn_drop ?? 0) > 0) [attn, rng] = Dropout.apply(attn, dropout!.attn_drop!, true, rng!)
    const mixed = tf.matMul(attn as tf.Tensor3D, v) // [n·H, N, D]
    const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [n, heads, tokens, d]), [0, 2, 1, 3]), [
      n,
      tokens,
      cfg.embed_dims,
    ])
    let out = Linear.apply(params, `${prefix}.proj`, merged)
    if (training && (dropout?.proj_drop ?? 0) > 0) [out, rng] = Dropout.apply(out, dropout!.proj_drop!, true, rng!)
    return out
  })
  return [y, rng]
}
