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
import * as BatchNorm from '../../models/BatchNorm.js'
import * as Conv2d from '../../models/Conv2d.js'
import { asImages } from '../../models/images.js'
import { syncedIn } from '../../models/normCfg.js'
import { kaimingNormalStd, normalTensor } from '../../models/init.js'
import type { Tree } from '../../tensor/tree.js'
import type { Backbone, BackboneType } from './Backbone.js'
import { type args, info, layersOf, SmallCNNDescription } from './SmallCNNDescription.js'

/** `norm_cfg`'s type (`BN` when absent): `SyncBN` normalises across data-parallel replicas. */
const normTypeOf = (cfg: unknown): string => {
  const type = typeof cfg === 'object' && cfg !== null ? (cfg as { readonly type?: unknown }).type : undefined
  return typeof type === 'string' ? type : 'BN'
}

export const SmallCNNBackbone: BackboneType = {
  ...SmallCNNDescription,
  build: ((a: t.TypeOf<typeof args>): Backbone => {
    const inC = a.in_channels ?? 1
    const size = a.img_size ?? 28
    const layers = layersOf(a)
    return {
      type: 'SmallCNN',
      outChannels: layers.at(-1)!.out,
      inputShape: [size, size, inC],
      info: info(a),
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
      apply: (params, buffers, x, training, replicas) => {
        const synced = syncedIn(normTypeOf(a.norm_cfg), replicas)
        const [value, updates] = tf.tidy((): [tf.Tensor4D, Tree] => {
          const updates: { [n: string]: tf.Tensor } = {}
          let y = asImages(x, [size, size, inC], 'SmallCNN')
          for (const l of layers) {
            // The ReLU inside BatchNorm's fused kernels where the backend has them.
            const [z, up] = BatchNorm.apply2d(
              params,
              buffers,
              `${l.name}.bn`,
              Conv2d.apply(params, `${l.name}.conv`, { stride: l.stride, padding: 1 }, y),
              { training, relu: true, ...synced },
            )
            Object.assign(updates, up)
            y = z
          }
          return [y, updates]
        })
        return { value, buffers: updates }
      },
    }
  }) as BackboneType['build'],
}
