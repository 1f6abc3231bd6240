/**
 * MMPretrain's `ResNet` / `ResNet_CIFAR` described without tensors: its
 * configuration, arguments, layer layout and the parameter list ({@link specs})
 * that `./ResNet.ts` draws its tensors from and the dry run lists (see that
 * module for the names and the initialisation).
 * @module
 */
import type * as t from 'io-ts'
import { array, boolean, check, int, json, literal, positiveInt, struct } from '../schema/codec.js'
import { normCfg } from './normCfg.js'
import type { ModelDescription } from './ModelDescription.js'
import type { ModelInfo } from './ModelInfo.js'
import type { ParamSpec } from './ParamSpec.js'
import { conv2dSpecs, infoOfSpecs, kaimingNormalStd, linearSpecs, normSpecs, ones, zeros } from './ParamSpec.js'

export interface ResNetConfig {
  /** `'basic'`: two 3×3 convs (ResNet-18/34, CIFAR depths); `'bottleneck'`: 1×1, 3×3, 1×1 with expansion 4 (50+). */
  readonly block: 'basic' | 'bottleneck'
  /** Blocks per stage. */
  readonly stage_blocks: ReadonlyArray<number>
  /** Middle channels of the first stage; each later stage doubles them; a stage outputs `base · 2^s · expansion`. */
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
  /** Each block's last BatchNorm (`bn2`, or `bn3` in a Bottleneck) starts at weight 0 (initialisation only). */
  readonly zero_init_residual: boolean
  /** The side of the (square) images, for `inputShape`; the network itself takes any size. */
  readonly img_size: number
}

/** One conv or BatchNorm in `named_parameters()` order. */
export type Unit =
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

export interface Block {
  readonly prefix: string
  readonly stride: number
  readonly downsample: boolean
}

/**
 * Output channels per input channel of a block: 1 for BasicBlock, 4 for Bottleneck (MMPretrain's `expansion`).
 *
 * @example
 * ```ts
 * expansionOf('bottleneck') // 4
 * ```
 */
export const expansionOf = (block: ResNetConfig['block']): number => (block === 'bottleneck' ? 4 : 1)

export const stemUnits = (cfg: ResNetConfig): ReadonlyArray<Unit> => {
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

// MMPretrain's BasicBlock: 3×3 (stride) → 3×3; its Bottleneck (style 'pytorch'): 1×1 → 3×3 (stride) → 1×1.
const blockUnits = (
  cfg: ResNetConfig,
  prefix: string,
  inC: number,
  mid: number,
  outC: number,
  stride: number,
): Unit[] => {
  const conv = (n: number, i: number, o: number, k: number, st: number): Unit => ({
    kind: 'conv',
    name: `${prefix}.conv${n}`,
    in: i,
    out: o,
    k,
    stride: st,
    padding: (k - 1) / 2,
  })
  const bn = (n: number, c: number, last: boolean): Unit => ({
    kind: 'bn',
    name: `${prefix}.bn${n}`,
    channels: c,
    zero: last && cfg.zero_init_residual,
  })
  if (cfg.block === 'basic')
    return [conv(1, inC, outC, 3, stride), bn(1, outC, false), conv(2, outC, outC, 3, 1), bn(2, outC, true)]
  return [
    conv(1, inC, mid, 1, 1),
    bn(1, mid, false),
    conv(2, mid, mid, 3, stride),
    bn(2, mid, false),
    conv(3, mid, outC, 1, 1),
    bn(3, outC, true),
  ]
}

/** Every residual block, stage by stage, with its units. */
export const blocksOf = (
  cfg: ResNetConfig,
): ReadonlyArray<{ readonly block: Block; readonly units: ReadonlyArray<Unit> }> => {
  const out: Array<{ block: Block; units: Unit[] }> = []
  const expansion = expansionOf(cfg.block)
  let inC = cfg.stem_channels
  cfg.stage_blocks.forEach((count, s) => {
    const mid = cfg.base_channels * 2 ** s
    const outC = mid * expansion
    for (let b = 0; b < count; b++) {
      const prefix = `backbone.layer${s + 1}.${b}`
      const stride = b === 0 ? cfg.strides[s]! : 1
      const downsample = b === 0 && (stride !== 1 || inC !== outC)
      const units = blockUnits(cfg, prefix, inC, mid, outC, stride)
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
 * The channels reaching the head: `base_channels · 2^(stages − 1) · expansion`.
 *
 * @example
 * ```ts
 * featureChannels(configOf({ depth: 20, num_classes: 10 })) // 64
 * featureChannels(configOf({ depth: 50, num_classes: 1000 })) // 2048
 * ```
 */
export const featureChannels = (cfg: ResNetConfig): number =>
  cfg.base_channels * 2 ** (cfg.stage_blocks.length - 1) * expansionOf(cfg.block)

export const allUnits = (cfg: ResNetConfig): ReadonlyArray<Unit> => [
  ...stemUnits(cfg),
  ...blocksOf(cfg).flatMap((b) => b.units),
]

/**
 * The backbone's parameters (`backbone.*`), described once: names, shapes,
 * owning modules and MMPretrain's initialisation (`ResNet.init_cfg`: every conv
 * `kaiming_normal_(mode='fan_out')`, BatchNorm weight 1 and bias 0, the last
 * BatchNorm of each block 0 under `zero_init_residual`). Convs have no bias.
 *
 * @example
 * ```ts
 * backboneSpecs(configOf({ depth: 50, num_classes: 1 }))[4].name // 'backbone.layer1.0.conv1.weight'
 * ```
 */
export const backboneSpecs = (cfg: ResNetConfig): ReadonlyArray<ParamSpec> =>
  allUnits(cfg).flatMap((u) =>
    u.kind === 'conv'
      ? conv2dSpecs(u.name, {
          in: u.in,
          out: u.out,
          k: u.k,
          bias: false,
          weight: { kind: 'normal', std: kaimingNormalStd(u.out * u.k * u.k) },
        })
      : normSpecs(u.name, u.channels, 'BatchNorm2d', u.zero ? zeros : ones),
  )

/**
 * Every parameter of the classifier, in `named_parameters()` order: the
 * backbone's, then `LinearClsHead`'s `head.fc` (N(0, 0.01²) weight, zero bias).
 *
 * @example
 * ```ts
 * specs(cfg).at(-1)!.name // 'head.fc.bias'
 * ```
 */
export const specs = (cfg: ResNetConfig): ReadonlyArray<ParamSpec> => [
  ...backboneSpecs(cfg),
  ...linearSpecs('head.fc', featureChannels(cfg), cfg.num_classes, {
    weight: { kind: 'normal', std: 0.01 },
    biasInit: zeros,
  }),
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
export const info = (cfg: ResNetConfig): ModelInfo => ({ params: infoOfSpecs(specs(cfg)) })

/**
 * The block and stage layout for `depth`: MMPretrain's `arch_settings`
 * (BasicBlock 18 `[2, 2, 2, 2]` and 34 `[3, 4, 6, 3]`; Bottleneck 50
 * `[3, 4, 6, 3]`, 101 `[3, 4, 23, 3]` and 152 `[3, 8, 36, 3]`), else three
 * BasicBlock stages of `(depth − 2) / 6` blocks for the CIFAR depths 6n + 2.
 *
 * @example
 * ```ts
 * archOf(20) // { block: 'basic', stageBlocks: [3, 3, 3] }
 * archOf(50) // { block: 'bottleneck', stageBlocks: [3, 4, 6, 3] }
 * ```
 */
export const archOf = (
  depth: number,
): { readonly block: ResNetConfig['block']; readonly stageBlocks: ReadonlyArray<number> } | undefined => {
  const mmpretrain: { readonly [depth: number]: readonly [ResNetConfig['block'], ReadonlyArray<number>] } = {
    18: ['basic', [2, 2, 2, 2]],
    34: ['basic', [3, 4, 6, 3]],
    50: ['bottleneck', [3, 4, 6, 3]],
    101: ['bottleneck', [3, 4, 23, 3]],
    152: ['bottleneck', [3, 8, 36, 3]],
  }
  const known = mmpretrain[depth]
  if (known !== undefined) return { block: known[0], stageBlocks: known[1] }
  if (depth >= 8 && (depth - 2) % 6 === 0)
    return { block: 'basic', stageBlocks: Array.from({ length: 3 }, () => (depth - 2) / 6) }
  return undefined
}

/**
 * The stage layout for `depth` ({@link archOf}).
 *
 * @example
 * ```ts
 * stageBlocksOf(20) // [3, 3, 3]
 * stageBlocksOf(50) // [3, 4, 6, 3]
 * ```
 */
export const stageBlocksOf = (depth: number): ReadonlyArray<number> | undefined => archOf(depth)?.stageBlocks

export const args = check(
  struct(
    'ResNet arguments (depth or stage_blocks, num_classes, base_channels, ' +
      'stem_channels, in_channels, strides, stem, zero_init_residual, img_size, ' +
      'frozen_stages, norm_eval, block, norm_cfg)',
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
      block: literal('basic', 'bottleneck'),
      norm_cfg: normCfg,
      data_preprocessor: json,
    },
  ),
  (a) => {
    if (a.depth !== undefined && stageBlocksOf(a.depth) === undefined)
      return (
        `depth ${a.depth} is not provided: use 18, 34, 50, 101, 152 or a CIFAR depth 6n + 2 ` +
        `(8, 14, 20, 32, 44, 56, …), or give stage_blocks`
      )
    if (a.depth !== undefined && a.stage_blocks !== undefined) return 'give depth or stage_blocks, not both'
    if (a.depth !== undefined && a.block !== undefined && a.block !== archOf(a.depth)!.block)
      return `depth ${a.depth} uses ${archOf(a.depth)!.block} blocks; give stage_blocks to choose the block`
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
  const arch = a.stage_blocks === undefined ? archOf(a.depth ?? 8)! : undefined
  const stageBlocks = a.stage_blocks ?? arch!.stageBlocks
  // MMPretrain's widths (64) for its depths; He et al.'s CIFAR width (16) for the 6n + 2 depths.
  const base = a.base_channels ?? (a.depth !== undefined && [18, 34, 50, 101, 152].includes(a.depth) ? 64 : 16)
  return {
    block: a.block ?? arch?.block ?? 'basic',
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
 * MMPretrain's `frozen_stages`: 0 freezes the stem, n also the first n stages; the prefixes of the frozen
 * parameters (none for -1, the default).
 */
export const frozenPrefixes = (a: t.TypeOf<typeof args>): ReadonlyArray<string> => {
  const frozen = a.frozen_stages ?? -1
  return frozen < 0
    ? []
    : ['backbone.conv1.', 'backbone.bn1.', ...Array.from({ length: frozen }, (_, s) => `backbone.layer${s + 1}.`)]
}

/** `model = dict(type='ResNet', …)` without tensors: frozen stages' parameters do not require a gradient. */
export const ResNetDescription: ModelDescription<t.TypeOf<typeof args>> = {
  name: 'ResNet',
  args,
  info: (a) => {
    const all = info(configOf(a))
    const prefixes = frozenPrefixes(a)
    return {
      ...all,
      params: all.params.map((p) => (prefixes.some((f) => p.name.startsWith(f)) ? { ...p, requiresGrad: false } : p)),
    }
  },
}
