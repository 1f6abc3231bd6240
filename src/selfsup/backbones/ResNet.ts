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
import type * as t from 'io-ts'
import { array, boolean, check, json, nonNegativeInt, positiveInt, struct } from '../../schema/codec.js'
import { infoOfSpecs } from '../../models/ParamSpec.js'
import * as R from '../../models/ResNet.js'
import { normCfg } from '../../models/normCfg.js'
import type { Backbone, BackboneType } from './Backbone.js'

// MMSelfSup's ResNet numbers the stem 0 and the stages 1…4; MMPretrain's ResNet_CIFAR numbers the stages 0…3.
const argsFor = (stemIndexed: boolean) =>
  check(
    struct(
      'ResNet backbone arguments (depth, in_channels, base_channels, ' +
        'zero_init_residual, img_size, out_indices, norm_cfg)',
      { depth: positiveInt },
      {
        in_channels: positiveInt,
        base_channels: positiveInt,
        stem_channels: positiveInt,
        zero_init_residual: boolean,
        img_size: positiveInt,
        out_indices: array(nonNegativeInt),
        norm_cfg: normCfg,
        init_cfg: json,
        frozen_stages: json,
      },
    ),
    (a) => {
      if (R.stageBlocksOf(a.depth) === undefined)
        return `depth ${a.depth} is not provided: use 18, 34, 50, 101, 152 or a CIFAR depth 6n + 2 (8, 14, 20, …)`
      const last = R.stageBlocksOf(a.depth)!.length - (stemIndexed ? 0 : 1)
      if (a.out_indices !== undefined && (a.out_indices.length !== 1 || a.out_indices[0] !== last))
        return `out_indices: only the last stage ([${last}]) is provided`
      if (a.frozen_stages !== undefined && a.frozen_stages !== -1)
        return 'frozen_stages: only -1 (nothing frozen) is provided'
      return undefined
    },
  )

type Args = t.TypeOf<ReturnType<typeof argsFor>>

const backbone = (name: string, stem: 'cifar' | 'imagenet'): BackboneType => ({
  name,
  args: argsFor(stem === 'imagenet'),
  build: ((a: Args): Backbone => {
    const cfg = R.configOf({
      depth: a.depth,
      num_classes: 1,
      stem,
      ...(a.in_channels === undefined ? {} : { in_channels: a.in_channels }),
      ...(a.base_channels === undefined ? {} : { base_channels: a.base_channels }),
      ...(a.stem_channels === undefined ? {} : { stem_channels: a.stem_channels }),
      // MMSelfSup's ResNet defaults to False; MMPretrain's ResNet_CIFAR to True.
      zero_init_residual: a.zero_init_residual ?? stem === 'cifar',
      ...(a.img_size === undefined ? {} : { img_size: a.img_size }),
    })
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
      info: infoOfSpecs(R.backboneSpecs(cfg)),
      apply: (params, buffers, x, training) => {
        const r = R.features(cfg, params, buffers, x, training)
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
