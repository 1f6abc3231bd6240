/**
 * MMSelfSup's `AvgPool2dNeck(output_size=1)`: global average pooling
 * (DeepCluster, ODC's plain features). Only `output_size=1` is provided; the
 * output is `[n, C]` (PyTorch keeps `[n, C, 1, 1]`, which every head flattens).
 * @module
 */
import type * as t from 'io-ts'
import { literal, struct } from '../../schema/codec.js'
import type { Neck } from '../Component.js'
import { globalAvgPool } from '../functional.js'

export const args = struct('AvgPool2dNeck arguments', {}, { output_size: literal(1) })

export const build = (_a: t.TypeOf<typeof args>): Neck => ({
  kind: 'neck',
  type: 'AvgPool2dNeck',
  // The width is the backbone's; the algorithm reads it from there.
  outChannels: 0,
  init: (_prefix, rng) => ({ params: {}, buffers: {}, rng }),
  info: () => [],
  apply: (_params, _buffers, _prefix, x) => ({ value: globalAvgPool(x), buffers: {} }),
})
