import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import * as Conv2d from '../../../src/models/Conv2d.js'
import * as MultiheadAttention from '../../../src/models/MultiheadAttention.js'
import * as PatchEmbed from '../../../src/models/PatchEmbed.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { maxError, values } from './helpers.js'

beforeAll(useCpu)

/** MMPretrain's MultiheadAttention.forward written out with loops over plain arrays. */
const naiveAttention = (
  x: Float32Array,
  [n, tokens, c]: [number, number, number],
  heads: number,
  wqkv: Float32Array,
  bqkv: Float32Array,
  wp: Float32Array,
  bp: Float32Array,
): number[] => {
  const d = c / heads
  const linear = (row: ArrayLike<number>, w: Float32Array, b: Float32Array, out: number, inF: number) =>
    Array.from({ length: out }, (_, o) => {
      let s = b[o]!
      for (let i = 0; i < inF; i++) s += row[i]! * w[o * inF + i]!
      return s
    })
  const result: number[] = []
  for (let s = 0; s < n; s++) {
    const qkv = Array.from({ length: tokens }, (_, t) =>
      linear(x.subarray((s * tokens + t) * c, (s * tokens + t + 1) * c), wqkv, bqkv, 3 * c, c),
    )
    // qkv row layout: [3, heads, d] — q = [0, h, :], k = [1, h, :], v = [2, h, :].
    const merged = Array.from({ length: tokens }, () => new Array<number>(c).fill(0))
    for (let h = 0; h < heads; h++) {
      const at = (which: number, t: number, j: number) => qkv[t]![which * c + h * d + j]!
      for (let i = 0; i < tokens; i++) {
        const scores = Array.from({ length: tokens }, (_, j) => {
          let dot = 0
          for (let k = 0; k < d; k++) dot += at(0, i, k) * at(1, j, k)
          return dot / Math.sqrt(d)
        })
        const max = Math.max(...scores)
        const exps = scores.map((v) => Math.exp(v - max))
        const total = exps.reduce((a, b) => a + b, 0)
        for (let k = 0; k < d; k++) merged[i]![h * d + k] = exps.reduce((a, e, j) => a + (e / total) * at(2, j, k), 0)
      }
    }
    for (let t = 0; t < tokens; t++) result.push(...linear(merged[t]!, wp, bp, c, c))
  }
  return result
}

describe('MultiheadAttention (MMPretrain names)', () => {
  it('has qkv.weight [3C, C], qkv.bias, proj.weight [C, C], proj.bias with PyTorch’s default Linear bounds', () => {
    const [params, rng] = MultiheadAttention.init('attn', { embed_dims: 8, num_heads: 2 }, Rng.make(0))
    expect(Object.entries(params).map(([n, t]) => [n, t.shape])).toEqual([
      ['attn.qkv.weight', [24, 8]],
      ['attn.qkv.bias', [24]],
      ['attn.proj.weight', [8, 8]],
      ['attn.proj.bias', [8]],
    ])
    expect(rng.counter).toBe(24 * 8 + 24 + 64 + 8)
    expect(Math.max(...Array.from(params['attn.qkv.weight']!.dataSync()).map(Math.abs))).toBeLessThanOrEqual(
      1 / Math.sqrt(8),
    )
    expect(
      Object.keys(MultiheadAttention.init('a', { embed_dims: 8, num_heads: 2, qkv_bias: false }, Rng.make(0))[0]),
    ).toEqual(['a.qkv.weight', 'a.proj.weight', 'a.proj.bias'])
    expect(() => MultiheadAttention.init('a', { embed_dims: 8, num_heads: 3 }, Rng.make(0))).toThrow('not divisible')
  })

  it('matches a loop reference of softmax(q·kᵀ/√d)·v per head, heads concatenated, then proj', () => {
    const [n, tokens, c, heads] = [2, 5, 12, 3]
    const [params] = MultiheadAttention.init('attn', { embed_dims: c, num_heads: heads }, Rng.make(7))
    const x = values(n * tokens * c, 1)
    const [y, rng] = MultiheadAttention.apply(
      params,
      'attn',
      { embed_dims: c, num_heads: heads },
      tf.tensor3d(x, [n, tokens, c]),
    )
    expect(y.shape).toEqual([n, tokens, c])
    expect(rng).toBeUndefined()
    const get = (name: string) => params[name]!.dataSync() as Float32Array
    const expected = naiveAttention(
      x,
      [n, tokens, c],
      heads,
      get('attn.qkv.weight'),
      get('attn.qkv.bias'),
      get('attn.proj.weight'),
      get('attn.proj.bias'),
    )
    expect(maxError(y.dataSync(), expected)).toBeLessThan(1e-5)
  })

  it('draws attention and projection dropout from the stream in train mode only', () => {
    const cfg = { embed_dims: 4, num_heads: 2 }
    const [params] = MultiheadAttention.init('attn', cfg, Rng.make(1))
    const x = tf.tensor3d(values(2 * 3 * 4, 2), [2, 3, 4])
    const [clean] = MultiheadAttention.apply(params, 'attn', cfg, x)
    const [evalOut, evalRng] = MultiheadAttention.apply(params, 'attn', cfg, x, {
      training: false,
      rng: Rng.make(5),
      attn_drop: 0.5,
      proj_drop: 0.5,
    })
    expect(Array.from(evalOut.dataSync())).toEqual(Array.from(clean.dataSync()))
    expect(evalRng).toEqual(Rng.make(5))
    const [a, ra] = MultiheadAttention.apply(params, 'attn', cfg, x, {
      training: true,
      rng: Rng.make(5),
      attn_drop: 0.5,
      proj_drop: 0.5,
    })
    const [b] = MultiheadAttention.apply(params, 'attn', cfg, x, {
      training: true,
      rng: Rng.make(5),
      attn_drop: 0.5,
      proj_drop: 0.5,
    })
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()))
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(clean.dataSync()))
    // Attention weights [n·H, N, N] = 2·2·3·3 = 36 draws, then the output 24.
    expect(ra!.counter).toBe(36 + 24)
  })
})

describe('PatchEmbed (MMPretrain names)', () => {
  it('projection.weight [dim, in, p, p] and .bias; tokens equal the stride-p convolution, flattened row by row', () => {
    const cfg = { in_channels: 3, embed_dims: 5, patch_size: 4 }
    const [params] = PatchEmbed.init('patch_embed', cfg, Rng.make(3))
    expect(Object.entries(params).map(([n, t]) => [n, t.shape])).toEqual([
      ['patch_embed.projection.weight', [5, 3, 4, 4]],
      ['patch_embed.projection.bias', [5]],
    ])
    const x = tf.tensor4d(values(2 * 8 * 12 * 3, 4), [2, 8, 12, 3])
    const tokens = PatchEmbed.apply(params, 'patch_embed', cfg, x)
    expect(tokens.shape).toEqual([2, 6, 5])
    const conv = Conv2d.apply(params, 'patch_embed.projection', { stride: 4 }, x) // [2, 2, 3, 5]
    expect(maxError(tokens.dataSync(), conv.dataSync())).toBeLessThan(1e-5)
  })

  it('pads the bottom and right with zeros when the image is not a multiple of the patch (padding="corner")', () => {
    const cfg = { in_channels: 1, embed_dims: 2, patch_size: 3 }
    const [params] = PatchEmbed.init('pe', cfg, Rng.make(0))
    expect(PatchEmbed.gridSize([7, 6], 3)).toEqual([3, 2])
    const x = tf.tensor4d(values(7 * 6, 5), [1, 7, 6, 1])
    const tokens = PatchEmbed.apply(params, 'pe', cfg, x)
    const padded = tf.pad(x, [
      [0, 0],
      [0, 2],
      [0, 0],
      [0, 0],
    ]) as tf.Tensor4D
    expect(
      maxError(tokens.dataSync(), Conv2d.apply(params, 'pe.projection', { stride: 3 }, padded).dataSync()),
    ).toBeLessThan(1e-5)
  })
})
