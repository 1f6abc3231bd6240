/**
 * MMSelfSup's `AvgPool2dNeck(output_size=1)`: global average pooling
 * (DeepCluster, ODC's plain features). Only `output_size=1` is provided; the
 * output is `[n, C]` (PyTorch keeps `[n, C, 1, 1]`, which every head flattens).
 * @module
 */
import type * as t from 'io-ts'
import type { Neck } from '../Component.js'
import { globalAvgPool } from '../functional.js'
import { args, info } from './AvgPool2dNeckDescription.js'

export { args, info }

export const build = (_a: t.TypeOf<typeof args>): Neck => ({
  kind: 'neck',
  type: 'AvgPool2dNeck',
  // The width is the backbone's; the algorithm reads it from there.
  outChannels: 0,
  init: (_prefix, rng) => ({ params: {}, buffers: {}, rng }),
  info: (prefix) => info(_a, prefix),
  apply: (_params, _buffers, _prefix, x) => ({ value: globalAvgPool(x), buffers: {} }),
})
