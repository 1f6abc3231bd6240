/**
 * MMPretrain's `ResNet` / `ResNet_CIFAR` (BasicBlock and Bottleneck) with its
 * (and torchvision's) parameter names, in an `ImageClassifier` with global
 * average pooling and a `LinearClsHead`:
 *
 * ```
 * backbone.conv1.weight                        Conv2d, no bias (3×3 stride 1 CIFAR stem, or 7×7 stride 2 + max pool)
 * backbone.bn1.{weight,bias}                   BatchNorm2d (+ buffers running_mean, running_var, num_batches_tracked)
 * backbone.layer{s}.{b}.conv1.weight           BasicBlock: 3×3 (stride 2 in a later stage's first block);
 *                                              Bottleneck: 1×1 to the middle width
 * backbone.layer{s}.{b}.bn1.*
 * backbone.layer{s}.{b}.conv2.weight           BasicBlock: 3×3; Bottleneck: 3×3 with the stride ('pytorch' style)
 * backbone.layer{s}.{b}.bn2.*
 * backbone.layer{s}.{b}.conv3.weight, bn3.*    Bottleneck only: 1×1 to 4× the middle width
 * backbone.layer{s}.{b}.downsample.0.weight    1×1 conv, when the shape changes
 * backbone.layer{s}.{b}.downsample.1.*         BatchNorm2d
 * head.fc.{weight,bias}                        Linear
 * ```
 *
 * Depth: `stage_blocks` directly (with `block`), or `depth` — MMPretrain's
 * `arch_settings` for 18 and 34 (BasicBlock) and 50, 101, 152 (Bottleneck),
 * base 64 channels; `6n + 2` (8, 14, 20, 32, 44, 56, …) gives He et al.'s
 * CIFAR ResNet of three BasicBlock stages with `n` blocks each (base 16
 * channels), with MMPretrain's 1×1-conv downsample shortcuts instead of the
 * paper's zero-padded identity.
 *
 * The parameters are described once ({@link specs}): the dry run lists them
 * for ResNet-152 without a tensor, and {@link init} draws them from the same
 * list. Initialisation as MMPretrain's `ResNet.init_cfg`: every conv from
 * `kaiming_normal_(mode='fan_out', nonlinearity='relu')` (std √(2 / (out·k·k)),
 * MMEngine's `KaimingInit` defaults, also torchvision's), every BatchNorm
 * weight 1 and bias 0, and with `zero_init_residual` (true here; MMSelfSup's
 * backbone defaults to false) each block's last BatchNorm (`bn2`, `bn3`) weight
 * 0 so blocks start as identities. The head is `LinearClsHead`'s N(0, 0.01²)
 * weight and zero bias. `norm_cfg` may name `BN` or `SyncBN`, which in one
 * process is BatchNorm and across data-parallel workers normalises over every
 * worker's batch (`syncBatchNorm.ts`).
 *
 * BatchNorm runs in train mode (batch statistics, running statistics
 * updated: `forward` returns the new buffers) or eval mode per the
 * forward context.
 *
 * @example
 * ```ts
 * const model = ResNetModel.build({ depth: 8, num_classes: 10 })
 * const { params, buffers } = model.init(Rng.make(0))
 * // params: backbone.conv1.weight [16, 3, 3, 3], backbone.bn1.weight, …, head.fc.bias
 * // buffers: backbone.bn1.running_mean, backbone.bn1.running_var, backbone.bn1.num_batches_tracked, …
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type * as Rng from '../dsl/Rng.js'
import type { Replicas } from '../tensor/Replicas.js'
import type { Tree } from '../tensor/tree.js'
import * as BatchNorm from './BatchNorm.js'
import * as Conv2d from './Conv2d.js'
import { asImages } from './images.js'
import { initFromSpecs } from './init.js'
import * as Linear from './Linear.js'
import { crossEntropy } from './losses.js'
import { freeze } from './frozen.js'
import type { Model, ModelType } from './Model.js'
import { syncedIn } from './normCfg.js'
import * as Pooling from './Pooling.js'
import {
  allUnits,
  type args,
  blocksOf,
  configOf,
  frozenPrefixes,
  info,
  ResNetDescription,
  specs,
  stemUnits,
} from './resnetSpecs.js'
import type { ResNetConfig, Unit } from './resnetSpecs.js'

export type { ResNetConfig } from './resnetSpecs.js'
export {
  archOf,
  args,
  backboneSpecs,
  configOf,
  expansionOf,
  featureChannels,
  frozenPrefixes,
  info,
  ResNetDescription,
  specs,
  stageBlocksOf,
} from './resnetSpecs.js'

/**
 * The buffer names in `named_buffers()` order (three per BatchNorm).
 *
 * @example
 * ```ts
 * bufferNames(cfg).slice(0, 3) // ['backbone.bn1.running_mean', 'backbone.bn1.running_var',
 * 'backbone.bn1.num_batches_tracked']
 * ```
 */
export const bufferNames = (cfg: ResNetConfig): ReadonlyArray<string> =>
  allUnits(cfg).flatMap((u) => (u.kind === 'bn' ? BatchNorm.bufferNames(u.name) : []))

/**
 * Parameters (from {@link specs}) and BatchNorm buffers, the random ones drawn in `named_parameters()` order.
 *
 * @example
 * ```ts
 * const { params, buffers, rng } = init(cfg, Rng.make(0))
 * ```
 */
export const init = (
  cfg: ResNetConfig,
  rng: Rng.Rng,
): { readonly params: Tree; readonly buffers: Tree; readonly rng: Rng.Rng } => {
  const [params, next] = initFromSpecs(specs(cfg), rng)
  const buffers = Object.assign(
    {},
    ...allUnits(cfg).map((u) => (u.kind === 'bn' ? BatchNorm.init(u.name, u.channels, false).buffers : {})),
  ) as Tree
  return { params, buffers, rng: next }
}

/**
 * Logits `[n, num_classes]` for NHWC images, and the BatchNorm buffers after
 * the pass (new running statistics in train mode; the given tree in eval mode).
 *
 * @example
 * ```ts
 * const { output, buffers: next } = apply(cfg, params, buffers, x, true)
 * ```
 */
export const apply = (
  cfg: ResNetConfig,
  params: Tree,
  buffers: Tree,
  inputs: tf.Tensor,
  training: boolean,
  synced: { readonly replicas?: Replicas } = {},
): { readonly output: tf.Tensor; readonly buffers: Tree } => {
  const { output: map, buffers: next } = features(cfg, params, buffers, inputs, training, synced)
  const output = tf.tidy(() =>
    Linear.apply(params, 'head.fc', tf.reshape(Pooling.adaptiveAvgPool2d(map), [map.shape[0], -1])),
  )
  map.dispose()
  return { output, buffers: next }
}

/**
 * The backbone alone: the last stage's NHWC feature map for NHWC images, and
 * the BatchNorm buffers after the pass (what self-supervised algorithms put
 * their necks on; `head.*` parameters are not read).
 *
 * @example
 * ```ts
 * const { output: map } = features(cfg, params, buffers, x, true) // [n, h', w', featureChannels(cfg)]
 * ```
 */
export const features = (
  cfg: ResNetConfig,
  params: Tree,
  buffers: Tree,
  inputs: tf.Tensor,
  training: boolean,
  /** `SyncBN` across data-parallel replicas (`normCfg.ts`'s `syncedIn`); none: BatchNorm per replica. */
  synced: { readonly replicas?: Replicas } = {},
): { readonly output: tf.Tensor4D; readonly buffers: Tree } => {
  const [output, updates] = tf.tidy((): [tf.Tensor4D, Tree] => {
    const updates: { [name: string]: tf.Tensor } = {}
    const conv = (u: Unit, x: tf.Tensor4D): tf.Tensor4D => {
      if (u.kind !== 'conv') throw new Error(`ResNet: ${u.name} is not a conv`)
      return Conv2d.apply(params, u.name, { stride: u.stride, padding: u.padding }, x)
    }
    const bn = (u: Unit, x: tf.Tensor4D): tf.Tensor4D => {
      const [y, up] = BatchNorm.apply2d(params, buffers, u.name, x, { training, ...synced })
      Object.assign(updates, up)
      return y
    }
    const [stemConv, stemBn] = stemUnits(cfg) as [Unit, Unit]
    let x = tf.relu(
      bn(stemBn, conv(stemConv, asImages(inputs, [cfg.img_size, cfg.img_size, cfg.in_channels], 'ResNet'))),
    )
    if (cfg.stem === 'imagenet') x = Pooling.maxPool2d(x, { kernel_size: 3, stride: 2, padding: 1 })
    for (const { block, units } of blocksOf(cfg)) {
      // Conv/BN pairs: the residual branch (ReLU between pairs, not after the last), then the downsample pair.
      const pairs = units.length / 2 - (block.downsample ? 1 : 0)
      let out = x
      for (let i = 0; i < pairs; i++) {
        out = bn(units[2 * i + 1]!, conv(units[2 * i]!, out))
        if (i < pairs - 1) out = tf.relu(out)
      }
      const identity = block.downsample ? bn(units[2 * pairs + 1]!, conv(units[2 * pairs]!, x)) : x
      x = tf.relu(tf.add(out, identity))
    }
    return [x, updates]
  })
  return { output, buffers: training ? { ...buffers, ...updates } : buffers }
}

/**
 * `model = dict(type='ResNet', depth=20, num_classes=10)`: a classifier trained with cross-entropy.
 *
 * @example
 * ```ts
 * const model = ResNetModel.build({ depth: 20, num_classes: 10 }) // inputShape [32, 32, 3]
 * ```
 */
export const ResNetModel: ModelType<t.TypeOf<typeof args>> = {
  ...ResNetDescription,
  build: (a) => {
    const cfg = configOf(a)
    const model: Model = {
      type: 'ResNet',
      task: 'classification',
      init: (rng) => init(cfg, rng),
      info: info(cfg),
      inputShape: [cfg.img_size, cfg.img_size, cfg.in_channels],
      forward: (params, buffers, inputs, ctx) =>
        apply(cfg, params, buffers, inputs, ctx.training, syncedIn(a.norm_cfg?.type ?? 'BN', ctx.replicas)),
      losses: (output, targets) => ({ loss: crossEntropy(output, targets) }),
    }
    // norm_eval keeps BatchNorm in eval mode.
    const prefixes = frozenPrefixes(a)
    if (prefixes.length === 0 && a.norm_eval !== true) return model
    return freeze(model, (name) => prefixes.some((p) => name.startsWith(p)), a.norm_eval === true)
  },
}
