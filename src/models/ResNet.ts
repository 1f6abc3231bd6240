/**
 * A small ResNet of `BasicBlock`s with MMPretrain's (and torchvision's)
 * parameter names, in an `ImageClassifier` with global average pooling and a
 * `LinearClsHead`:
 *
 * ```
 * backbone.conv1.weight                        Conv2d, no bias (3×3 stride 1 CIFAR stem, or 7×7 stride 2 + max pool)
 * backbone.bn1.{weight,bias}                   BatchNorm2d (+ buffers running_mean, running_var, num_batches_tracked)
 * backbone.layer{s}.{b}.conv1.weight           3×3, stride 2 in a stage's first block (stages after the first)
 * backbone.layer{s}.{b}.bn1.*
 * backbone.layer{s}.{b}.conv2.weight           3×3
 * backbone.layer{s}.{b}.bn2.*
 * backbone.layer{s}.{b}.downsample.0.weight    1×1 conv, when the shape changes
 * backbone.layer{s}.{b}.downsample.1.*         BatchNorm2d
 * head.fc.{weight,bias}                        Linear
 * ```
 *
 * Depth: `stage_blocks` directly, or `depth` — 18 and 34 take MMPretrain's
 * four-stage BasicBlock settings (`[2, 2, 2, 2]`, `[3, 4, 6, 3]`, base 64
 * channels: `ResNet_CIFAR(depth=18)`); `6n + 2` (8, 14, 20, 32, 44, 56, …)
 * gives He et al.'s CIFAR ResNet of three stages with `n` blocks each (base
 * 16 channels), but with MMPretrain's 1×1-conv downsample shortcuts instead
 * of the paper's zero-padded identity. Bottleneck depths (50+) are not
 * provided.
 *
 * Initialisation as MMPretrain's `ResNet.init_cfg`: every conv from
 * `kaiming_normal_(mode='fan_out', nonlinearity='relu')` (std √(2 / (out·k·k)),
 * MMEngine's `KaimingInit` defaults, also torchvision's), every BatchNorm
 * weight 1 and bias 0, and with `zero_init_residual` (MMPretrain's default,
 * true) each block's `bn2` weight 0 so blocks start as identities. The head
 * is `LinearClsHead`'s N(0, 0.01²) weight and zero bias.
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
import { array, boolean, check, int, json, literal, positiveInt, struct } from '../schema/codec.js'
import type * as Rng from '../dsl/Rng.js'
import type { ModelInfo, ParamInfo } from './ModelInfo.js'
import type { Tree } from '../tensor/tree.js'
import * as BatchNorm from './BatchNorm.js'
import * as Conv2d from './Conv2d.js'
import { asImages } from './images.js'
import { kaimingNormalStd, normalTensor } from './init.js'
import * as Linear from './Linear.js'
import { crossEntropy } from './losses.js'
import { freeze } from './frozen.js'
import type { Model, ModelType } from './Model.js'
import * as Pooling from './Pooling.js'

export interface ResNetConfig {
  /** Blocks per stage. */
  readonly stage_blocks: ReadonlyArray<number>
  /** Output channels of the first stage; each later stage doubles them. */
  readonly base_channels: number
  /** Output channels of the stem conv. */
  readonly stem_channels: number
  readonly in_channels: number
  readonly num_classes: number
  /** The stride of each stage's first block. */
  readonly strides: ReadonlyArray<number>
  /**
   * `'cifar'`: conv 3×3 stride 1, no max pool (`ResNet_CIFAR`). `'imagenet'`: conv 7×7 stride 2 pad 3, then max pool
   * 3×3 stride 2 pad 1 (`ResNet`).
   */
  readonly stem: 'cifar' | 'imagenet'
  readonly zero_init_residual: boolean
  /** The side of the (square) images, for `inputShape`; the network itself takes any size. */
  readonly img_size: number
}

/** One conv or BatchNorm in `named_parameters()` order. */
type Unit =
  | {
      readonly kind: 'conv'
      readonly name: string
      readonly in: number
      readonly out: number
      readonly k: number
      readonly stride: number
      readonly padding: number
    }
  | { readonly kind: 'bn'; readonly name: string; readonly channels: number; readonly zero: boolean }

interface Block {
  readonly prefix: string
  readonly stride: number
  readonly downsample: boolean
}

const stemUnits = (cfg: ResNetConfig): ReadonlyArray<Unit> => {
  const k = cfg.stem === 'cifar' ? 3 : 7
  return [
    {
      kind: 'conv',
      name: 'backbone.conv1',
      in: cfg.in_channels,
      out: cfg.stem_channels,
      k,
      stride: cfg.stem === 'cifar' ? 1 : 2,
      padding: (k - 1) / 2,
    },
    { kind: 'bn', name: 'backbone.bn1', channels: cfg.stem_channels, zero: false },
  ]
}

const blocksOf = (cfg: ResNetConfig): ReadonlyArray<{ readonly block: Block; readonly units: ReadonlyArray<Unit> }> => {
  const out: Array<{ block: Block; units: Unit[] }> = []
  let inC = cfg.stem_channels
  cfg.stage_blocks.forEach((count, s) => {
    const outC = cfg.base_channels * 2 ** s
    for (let b = 0; b < count; b++) {
      const prefix = `backbone.layer${s + 1}.${b}`
      const stride = b === 0 ? cfg.strides[s]! : 1
      const downsample = b === 0 && (stride !== 1 || inC !== outC)
      const units: Unit[] = [
        { kind: 'conv', name: `${prefix}.conv1`, in: inC, out: outC, k: 3, stride, padding: 1 },
        { kind: 'bn', name: `${prefix}.bn1`, channels: outC, zero: false },
        { kind: 'conv', name: `${prefix}.conv2`, in: outC, out: outC, k: 3, stride: 1, padding: 1 },
        { kind: 'bn', name: `${prefix}.bn2`, channels: outC, zero: cfg.zero_init_residual },
      ]
      if (downsample)
        units.push(
          { kind: 'conv', name: `${prefix}.downsample.0`, in: inC, out: outC, k: 1, stride, padding: 0 },
          { kind: 'bn', name: `${prefix}.downsample.1`, channels: outC, zero: false },
        )
      out.push({ block: { prefix, stride, downsample }, units })
      inC = outC
    }
  })
  return out
}

/**
 * The channels reaching the head: `base_channels · 2^(stages − 1)`.
 *
 * @example
 * ```ts
 * featureChannels(configOf({ depth: 20, num_classes: 10 })) // 64
 * ```
 */
export const featureChannels = (cfg: ResNetConfig): number => cfg.base_channels * 2 ** (cfg.stage_blocks.length - 1)

const allUnits = (cfg: ResNetConfig): ReadonlyArray<Unit> => [
  ...stemUnits(cfg),
  ...blocksOf(cfg).flatMap((b) => b.units),
]

/**
 * The parameters in `named_parameters()` order with their owning modules (`Conv2d`, `BatchNorm2d`, `Linear`).
 *
 * @example
 * ```ts
 * info(cfg).params.slice(0, 3).map((p) => p.name) // ['backbone.conv1.weight', 'backbone.bn1.weight',
 * 'backbone.bn1.bias']
 * ```
 */
export const info = (cfg: ResNetConfig): ModelInfo => {
  const params: ParamInfo[] = []
  for (const u of allUnits(cfg)) {
    if (u.kind === 'conv')
      params.push({
        name: `${u.name}.weight`,
        shape: [u.out, u.in, u.k, u.k],
        requiresGrad: true,
        module: { type: 'Conv2d', inChannels: u.in, groups: 1 },
      })
    else {
      const module = { type: 'BatchNorm2d' }
      params.push(
        { name: `${u.name}.weight`, shape: [u.channels], requiresGrad: true, module },
        { name: `${u.name}.bias`, shape: [u.channels], requiresGrad: true, module },
      )
    }
  }
  const fc = { type: 'Linear' }
  params.push(
    { name: 'head.fc.weight', shape: [cfg.num_classes, featureChannels(cfg)], requiresGrad: true, module: fc },
    { name: 'head.fc.bias', shape: [cfg.num_classes], requiresGrad: true, module: fc },
  )
  return { params }
}

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
 * Parameters and buffers, initialised as MMPretrain does (see the module
 * comment), the random ones drawn in `named_parameters()` order.
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
  const params: { [name: string]: tf.Tensor } = {}
  const buffers: { [name: string]: tf.Tensor } = {}
  let r = rng
  for (const u of allUnits(cfg)) {
    if (u.kind === 'conv') {
      const [weight, next] = normalTensor(r, [u.out, u.in, u.k, u.k], kaimingNormalStd(u.out * u.k * u.k))
      params[`${u.name}.weight`] = weight
      r = next
    } else {
      const bn = BatchNorm.init(u.name, u.channels)
      if (u.zero) {
        tf.dispose(bn.params[`${u.name}.weight`]!)
        params[`${u.name}.weight`] = tf.zeros([u.channels])
        params[`${u.name}.bias`] = bn.params[`${u.name}.bias`]!
      } else Object.assign(params, bn.params)
      Object.assign(buffers, bn.buffers)
    }
  }
  const [weight, next] = normalTensor(r, [cfg.num_classes, featureChannels(cfg)], 0.01)
  params['head.fc.weight'] = weight
  params['head.fc.bias'] = tf.zeros([cfg.num_classes])
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
): { readonly output: tf.Tensor; readonly buffers: Tree } => {
  const { output: map, buffers: next } = features(cfg, params, buffers, inputs, training)
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
): { readonly output: tf.Tensor4D; readonly buffers: Tree } => {
  const [output, updates] = tf.tidy((): [tf.Tensor4D, Tree] => {
    const updates: { [name: string]: tf.Tensor } = {}
    const conv = (u: Unit, x: tf.Tensor4D): tf.Tensor4D => {
      if (u.kind !== 'conv') throw new Error(`ResNet: ${u.name} is not a conv`)
      return Conv2d.apply(params, u.name, { stride: u.stride, padding: u.padding }, x)
    }
    const bn = (u: Unit, x: tf.Tensor4D): tf.Tensor4D => {
      const [y, up] = BatchNorm.apply2d(params, buffers, u.name, x, { training })
      Object.assign(updates, up)
      return y
    }
    const [stemConv, stemBn] = stemUnits(cfg) as [Unit, Unit]
    let x = tf.relu(
      bn(stemBn, conv(stemConv, asImages(inputs, [cfg.img_size, cfg.img_size, cfg.in_channels], 'ResNet'))),
    )
    if (cfg.stem === 'imagenet') x = Pooling.maxPool2d(x, { kernel_size: 3, stride: 2, padding: 1 })
    for (const { block, units } of blocksOf(cfg)) {
      const [c1, b1, c2, b2, d0, d1] = units as [Unit, Unit, Unit, Unit, Unit | undefined, Unit | undefined]
      const out = bn(b2, conv(c2, tf.relu(bn(b1, conv(c1, x)))))
      const identity = block.downsample ? bn(d1!, conv(d0!, x)) : x
      x = tf.relu(tf.add(out, identity))
    }
    return [x, updates]
  })
  return { output, buffers: training ? { ...buffers, ...updates } : buffers }
}

/**
 * The stage layout for `depth`: MMPretrain's BasicBlock settings for 18 and
 * 34, three stages of `(depth − 2) / 6` blocks for CIFAR depths 6n + 2
 * (except 50 and 152, MMPretrain's Bottleneck depths, which are not provided).
 *
 * @example
 * ```ts
 * stageBlocksOf(20) // [3, 3, 3]
 * stageBlocksOf(18) // [2, 2, 2, 2]
 * ```
 */
export const stageBlocksOf = (depth: number): ReadonlyArray<number> | undefined => {
  if (depth === 18) return [2, 2, 2, 2]
  if (depth === 34) return [3, 4, 6, 3]
  // MMPretrain's Bottleneck depths: not provided, and not to be read as 6n + 2 (50 and 152 are).
  if (depth === 50 || depth === 101 || depth === 152) return undefined
  if (depth >= 8 && (depth - 2) % 6 === 0) return Array.from({ length: 3 }, () => (depth - 2) / 6)
  return undefined
}

const args = check(
  struct(
    'ResNet arguments (depth or stage_blocks, num_classes, base_channels, ' +
      'stem_channels, in_channels, strides, stem, zero_init_residual, img_size, ' +
      'frozen_stages, norm_eval)',
    { num_classes: positiveInt },
    {
      depth: positiveInt,
      stage_blocks: array(positiveInt),
      base_channels: positiveInt,
      stem_channels: positiveInt,
      in_channels: positiveInt,
      strides: array(positiveInt),
      stem: literal('cifar', 'imagenet'),
      zero_init_residual: boolean,
      img_size: positiveInt,
      frozen_stages: int,
      norm_eval: boolean,
      data_preprocessor: json,
    },
  ),
  (a) => {
    if (a.depth !== undefined && stageBlocksOf(a.depth) === undefined)
      return (
        `depth ${a.depth} is not provided: use 18, 34 or a CIFAR depth 6n + 2 (8, 14, ` +
        `20, 32, 44, 56, …), or give stage_blocks (Bottleneck depths 50+ are not ` +
        `provided)`
      )
    if (a.depth !== undefined && a.stage_blocks !== undefined) return 'give depth or stage_blocks, not both'
    const stages = (a.stage_blocks ?? stageBlocksOf(a.depth ?? 8)!).length
    if (stages === 0) return 'stage_blocks must list at least one stage'
    if (a.strides !== undefined && a.strides.length !== stages)
      return `strides has ${a.strides.length} entries but there are ${stages} stages`
    if (a.frozen_stages !== undefined && (a.frozen_stages < -1 || a.frozen_stages > stages))
      return `frozen_stages must be -1 (none) to ${stages} (every stage), got ${a.frozen_stages}`
    return undefined
  },
)

/**
 * The resolved configuration of decoded arguments (defaults filled in).
 *
 * @example
 * ```ts
 * configOf({ depth: 8, num_classes: 10 }).stage_blocks // [1, 1, 1]; base_channels 16, stem 'cifar'
 * ```
 */
export const configOf = (a: t.TypeOf<typeof args>): ResNetConfig => {
  const stageBlocks = a.stage_blocks ?? stageBlocksOf(a.depth ?? 8)!
  const base = a.base_channels ?? (a.depth === 18 || a.depth === 34 ? 64 : 16)
  return {
    stage_blocks: stageBlocks,
    base_channels: base,
    stem_channels: a.stem_channels ?? base,
    in_channels: a.in_channels ?? 3,
    num_classes: a.num_classes,
    strides: a.strides ?? stageBlocks.map((_, i) => (i === 0 ? 1 : 2)),
    stem: a.stem ?? 'cifar',
    zero_init_residual: a.zero_init_residual ?? true,
    img_size: a.img_size ?? 32,
  }
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
  name: 'ResNet',
  args,
  build: (a) => {
    const cfg = configOf(a)
    const model: Model = {
      type: 'ResNet',
      task: 'classification',
      init: (rng) => init(cfg, rng),
      info: info(cfg),
      inputShape: [cfg.img_size, cfg.img_size, cfg.in_channels],
      forward: (params, buffers, inputs, ctx) => apply(cfg, params, buffers, inputs, ctx.training),
      losses: (output, targets) => ({ loss: crossEntropy(output, targets) }),
    }
    // MMPretrain's frozen_stages: 0 freezes the stem, n also the first n stages; norm_eval keeps BatchNorm in eval
    // mode.
    const frozen = a.frozen_stages ?? -1
    if (frozen < 0 && a.norm_eval !== true) return model
    const prefixes =
      frozen < 0
        ? []
        : ['backbone.conv1.', 'backbone.bn1.', ...Array.from({ length: frozen }, (_, s) => `backbone.layer${s + 1}.`)]
    return freeze(model, (name) => prefixes.some((p) => name.startsWith(p)), a.norm_eval === true)
  },
}
