/**
 * loopwright's `SmallCNN` backbone for quick work on small images: `stages`
 * blocks of `conv 3×3 → BatchNorm2d → ReLU`, the first of each stride 1 and the
 * others stride 2, channels `base_channels · 2^i` (default 2 stages from 16).
 * Names: `backbone.layers.<i>.conv.weight`, `backbone.layers.<i>.bn.*`; convs
 * without bias, initialised as MMPretrain's ResNet (Kaiming normal, fan out).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { json, positiveInt, struct } from '../../schema/codec.js'
import * as BatchNorm from '../../models/BatchNorm.js'
import * as Conv2d from '../../models/Conv2d.js'
import { asImages } from '../../models/images.js'
import { kaimingNormalStd, normalTensor } from '../../models/init.js'
import type { ParamInfo } from '../../models/ModelInfo.js'
import type { Tree } from '../../tensor/tree.js'
import { batchNormInfo } from '../params.js'
import type { Backbone, BackboneType } from './Backbone.js'

const args = struct(
  'SmallCNN arguments (in_channels, base_channels, stages, img_size)',
  {},
  { in_channels: positiveInt, base_channels: positiveInt, stages: positiveInt, img_size: positiveInt, norm_cfg: json },
)

export const SmallCNNBackbone: BackboneType = {
  name: 'SmallCNN',
  args,
  build: ((a: t.TypeOf<typeof args>): Backbone => {
    const inC = a.in_channels ?? 1
    const base = a.base_channels ?? 16
    const stages = a.stages ?? 2
    const size = a.img_size ?? 28
    const layers = Array.from({ length: stages }, (_, i) => ({
      name: `backbone.layers.${i}`,
      in: i === 0 ? inC : base * 2 ** (i - 1),
      out: base * 2 ** i,
      stride: i === 0 ? 1 : 2,
    }))
    const info: ParamInfo[] = layers.flatMap((l) => [
      {
        name: `${l.name}.conv.weight`,
        shape: [l.out, l.in, 3, 3],
        requiresGrad: true,
        module: { type: 'Conv2d', inChannels: l.in, groups: 1 },
      },
      ...batchNormInfo(`${l.name}.bn`, l.out, true, 'BatchNorm2d'),
    ])
    return {
      type: 'SmallCNN',
      outChannels: layers.at(-1)!.out,
      inputShape: [size, size, inC],
      info,
      init: (rng) => {
        const params: { [n: string]: tf.Tensor } = {}
        const buffers: { [n: string]: tf.Tensor } = {}
        let r = rng
        for (const l of layers) {
          const [w, next] = normalTensor(r, [l.out, l.in, 3, 3], kaimingNormalStd(l.out * 9))
          r = next
          params[`${l.name}.conv.weight`] = w
          const bn = BatchNorm.init(`${l.name}.bn`, l.out)
          Object.assign(params, bn.params)
          Object.assign(buffers, bn.buffers)
        }
        return { params, buffers, rng: r }
      },
      apply: (params, buffers, x, training) => {
        const [value, updates] = tf.tidy((): [tf.Tensor4D, Tree] => {
          const updates: { [n: string]: tf.Tensor } = {}
          let y = asImages(x, [size, size, inC], 'SmallCNN')
          for (const l of layers) {
            const [z, up] = BatchNorm.apply2d(
              params,
              buffers,
              `${l.name}.bn`,
              Conv2d.apply(params, `${l.name}.conv`, { stride: l.stride, padding: 1 }, y),
              { training },
            )
            Object.assign(updates, up)
            y = tf.relu(z) as tf.Tensor4D
          }
          return [y, updates]
        })
        return { value, buffers: updates }
      },
    }
  }) as BackboneType['build'],
}
