/**
 * MMSelfSup's `ResNet` and MMPretrain's `ResNet_CIFAR` as self-supervised
 * backbones (BasicBlock depths 18 and 34, Bottleneck depths 50, 101 and 152,
 * and the CIFAR depths 6n + 2 of loopwright's ResNet): `depth`,
 * `in_channels`, `zero_init_residual` (default False for `ResNet`, as
 * MMSelfSup; True for `ResNet_CIFAR`, as MMPretrain), `norm_cfg` (BatchNorm
 * kinds; one process). `ResNet` has the 7×7 stride-2 stem with max pooling,
 * `ResNet_CIFAR` the 3×3 stride-1 stem. `out_indices` may only name the last
 * stage: `[4]` for `ResNet` (MMSelfSup counts the stem as 0) and `[3]` for
 * `ResNet_CIFAR` (MMPretrain's count). loopwright's own knobs `base_channels`
 * and `img_size` size it for small images. The parameters come from the
 * same description as the classifier's (`backboneSpecs` of `models/ResNet`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { syncedIn } from '../../models/normCfg.js'
import * as R from '../../models/ResNet.js'
import type { Backbone, BackboneType } from './Backbone.js'
import { type Args, configOf, describedBackbone, info } from './ResNetDescription.js'

const backbone = (name: string, stem: 'cifar' | 'imagenet'): BackboneType => ({
  ...describedBackbone(name, stem),
  build: ((a: Args): Backbone => {
    const cfg = configOf(a, stem)
    const isBackbone = (n: string): boolean => n.startsWith('backbone.')
    return {
      type: name,
      outChannels: R.featureChannels(cfg),
      inputShape: [cfg.img_size, cfg.img_size, cfg.in_channels],
      init: (rng) => {
        const all = R.init(cfg, rng)
        tf.dispose(
          Object.entries(all.params)
            .filter(([n]) => !isBackbone(n))
            .map(([, v]) => v),
        )
        return {
          params: Object.fromEntries(Object.entries(all.params).filter(([n]) => isBackbone(n))),
          buffers: all.buffers,
          rng: all.rng,
        }
      },
      info: info(a, stem),
      apply: (params, buffers, x, training, replicas) => {
        // MMSelfSup's ResNet defaults to BN; its configs name SyncBN.
        const r = R.features(cfg, params, buffers, x, training, syncedIn(a.norm_cfg?.type ?? 'BN', replicas))
        return {
          value: r.output,
          buffers: training ? Object.fromEntries(Object.entries(r.buffers).filter(([n, v]) => buffers[n] !== v)) : {},
        }
      },
    }
  }) as BackboneType['build'],
})

/** `dict(type='ResNet', depth=18)`: the ImageNet stem. */
export const ResNetBackbone = backbone('ResNet', 'imagenet')
/** `dict(type='ResNet_CIFAR', depth=18)`: the CIFAR stem. */
export const ResNetCifarBackbone = backbone('ResNet_CIFAR', 'cifar')
