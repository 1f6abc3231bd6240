/**
 * MMSelfSup's `ResNet` and MMPretrain's `ResNet_CIFAR` backbones described without tensors: their arguments,
 * configuration and parameters (`backboneSpecs` of `models/resnetSpecs`); `./ResNet.ts` builds them.
 * @module
 */
import type * as t from 'io-ts'
import { array, boolean, check, json, nonNegativeInt, positiveInt, struct } from '../../schema/codec.js'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { infoOfSpecs } from '../../models/ParamSpec.js'
import * as R from '../../models/resnetSpecs.js'
import { normCfg } from '../../models/normCfg.js'
import type { BackboneDescription } from './Backbone.js'

// MMSelfSup's ResNet numbers the stem 0 and the stages 1…4; MMPretrain's ResNet_CIFAR numbers the stages 0…3.
export const argsFor = (stemIndexed: boolean) =>
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

export type Args = t.TypeOf<ReturnType<typeof argsFor>>

/** The classifier configuration whose backbone this is (the head is dropped). */
export const configOf = (a: Args, stem: 'cifar' | 'imagenet'): R.ResNetConfig =>
  R.configOf({
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

/** The backbone's parameters. */
export const info = (a: Args, stem: 'cifar' | 'imagenet'): ReadonlyArray<ParamInfo> =>
  infoOfSpecs(R.backboneSpecs(configOf(a, stem)))

/** A ResNet backbone type without tensors, by its stem. */
export const describedBackbone = (name: string, stem: 'cifar' | 'imagenet'): BackboneDescription => ({
  name,
  args: argsFor(stem === 'imagenet'),
  info: ((a: Args) => info(a, stem)) as BackboneDescription['info'],
  outChannels: ((a: Args) => R.featureChannels(configOf(a, stem))) as BackboneDescription['outChannels'],
})

/** `dict(type='ResNet', depth=18)`: the ImageNet stem. */
export const ResNetDescription = describedBackbone('ResNet', 'imagenet')
/** `dict(type='ResNet_CIFAR', depth=18)`: the CIFAR stem. */
export const ResNetCifarDescription = describedBackbone('ResNet_CIFAR', 'cifar')
