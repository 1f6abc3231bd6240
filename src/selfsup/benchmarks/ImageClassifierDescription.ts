/**
 * MMPretrain's `ImageClassifier` over the self-supervised backbones (see `./ImageClassifier.ts`) described without
 * tensors: its arguments and parameters, with the frozen stages' marked `requires_grad=False`.
 * @module
 */
import * as t from 'io-ts'
import type { ModelDescription } from '../../models/ModelDescription.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import {
  array,
  boolean,
  expected,
  int,
  isDict,
  json,
  literal,
  positiveInt,
  positiveNumber,
  struct,
} from '../../schema/codec.js'
import { backboneDict, describeBackbone } from '../backbones/descriptions.js'
import { batchNormInfo, linearInfo } from '../params.js'

/** The backbone dict: its own arguments checked by its codec, plus `frozen_stages` and `norm_eval`. */
const classifierBackbone = new t.Type<{ readonly type: string }, { readonly type: string }, unknown>(
  'a backbone dict with a `type` (and optionally frozen_stages, norm_eval)',
  (u): u is { readonly type: string } => isDict(u) && typeof u['type'] === 'string',
  (u, c) => {
    if (!isDict(u)) return expected(u, c, 'a backbone dict with a `type`')
    const { frozen_stages, norm_eval, ...rest } = u
    if (frozen_stages !== undefined && !Number.isInteger(frozen_stages))
      return t.failure(frozen_stages, t.appendContext(c, 'frozen_stages', t.number, frozen_stages), 'an integer')
    if (norm_eval !== undefined && typeof norm_eval !== 'boolean')
      return t.failure(norm_eval, t.appendContext(c, 'norm_eval', t.boolean, norm_eval), 'a boolean (true or false)')
    const checked = backboneDict.validate(rest, c)
    return checked._tag === 'Left' ? checked : t.success(u as { readonly type: string })
  },
  t.identity,
)

const poolArgs = struct('GlobalAveragePooling arguments', { type: literal('GlobalAveragePooling') }, { dim: int })

/** MMSelfSup's `ClsBatchNormNeck(input_features, affine=False, eps=1e-6)`: a BatchNorm1d `bn` over pooled features. */
const batchNormNeckArgs = struct(
  'ClsBatchNormNeck arguments (input_features, affine, eps)',
  { type: literal('ClsBatchNormNeck', 'mmselfsup.ClsBatchNormNeck'), input_features: positiveInt },
  { affine: boolean, eps: positiveNumber, init_cfg: json },
)

const NECK_FORMS =
  "dict(type='GlobalAveragePooling'), or a list [dict(type='GlobalAveragePooling'), " +
  "dict(type='ClsBatchNormNeck', input_features=…)] (MMEngine builds a list of necks as a Sequential)"

/** The neck: the pooling alone, or the pooling then a `ClsBatchNormNeck` (MMSelfSup's linear probe of MAE). */
type NeckCfg = t.TypeOf<typeof poolArgs> | readonly [t.TypeOf<typeof poolArgs>, t.TypeOf<typeof batchNormNeckArgs>]

const neckArgs = new t.Type<NeckCfg, unknown, unknown>(
  NECK_FORMS,
  (_u): _u is never => false,
  (u, c) => {
    if (!Array.isArray(u)) {
      const pool = poolArgs.validate(u, c)
      return pool._tag === 'Left' ? pool : t.success(u as NeckCfg)
    }
    if (u.length !== 2) return expected(u, c, NECK_FORMS)
    const pool = poolArgs.validate(u[0], t.appendContext(c, '0', poolArgs, u[0]))
    if (pool._tag === 'Left') return pool
    const bn = batchNormNeckArgs.validate(u[1], t.appendContext(c, '1', batchNormNeckArgs, u[1]))
    return bn._tag === 'Left' ? bn : t.success(u as unknown as NeckCfg)
  },
  t.identity,
)

/** The neck's BatchNorm as MMEngine names it inside the `Sequential` a list of necks builds. */
export const NECK_BN = 'neck.1.bn'

/** The neck's `ClsBatchNormNeck`, when the neck is the two-part list. */
export const neckBatchNorm = (a: t.TypeOf<typeof args>): t.TypeOf<typeof batchNormNeckArgs> | undefined =>
  Array.isArray(a.neck) ? (a.neck as Extract<NeckCfg, ReadonlyArray<unknown>>)[1] : undefined

const headArgs = struct(
  'LinearClsHead arguments (num_classes, in_channels, loss, topk)',
  { type: literal('LinearClsHead'), num_classes: positiveInt, in_channels: positiveInt },
  { loss: json, topk: array(positiveInt), init_cfg: json },
)

export const args = struct(
  'ImageClassifier arguments (backbone, neck, head)',
  { backbone: classifierBackbone },
  { neck: neckArgs, head: headArgs, train_cfg: json },
)

/** The parameter-name prefixes `frozen_stages = n` freezes: the stem (if the backbone has one) and stages 0…n−1. */
export const frozenPrefixes = (backboneType: string, frozenStages: number): ReadonlyArray<string> => {
  if (frozenStages < 0) return []
  const stages = Array.from({ length: frozenStages }, (_, s) => s)
  // SmallCNN has no stem: its stage i is `layers.i`. The ResNets: stem conv1/bn1, stage i is `layer{i+1}`.
  if (backboneType === 'SmallCNN') return stages.map((s) => `backbone.layers.${s}.`)
  return ['backbone.conv1.', 'backbone.bn1.', ...stages.map((s) => `backbone.layer${s + 1}.`)]
}

/** The backbone's dict without the classifier's own keys, and those keys. */
export const backboneOf = (
  a: t.TypeOf<typeof args>,
): { readonly backbone: { readonly type: string }; readonly frozenStages: number; readonly normEval: boolean } => {
  const { frozen_stages, norm_eval, ...backbone } = a.backbone as {
    readonly type: string
    readonly frozen_stages?: number
    readonly norm_eval?: boolean
  }
  return { backbone, frozenStages: frozen_stages ?? -1, normEval: norm_eval === true }
}

/** The head's and the neck's BatchNorm's widths must be the backbone's (the tensor code refuses otherwise). */
export const refuse = (a: t.TypeOf<typeof args>, backboneChannels: number): void => {
  if (a.head !== undefined && a.head.in_channels !== backboneChannels)
    throw new Error(
      `ImageClassifier: head.in_channels is ${a.head.in_channels}, the backbone gives ${backboneChannels} channels`,
    )
  const bn = neckBatchNorm(a)
  if (bn !== undefined && bn.input_features !== backboneChannels)
    throw new Error(
      `ImageClassifier: neck[1].input_features is ${bn.input_features}, the backbone gives ` +
        `${backboneChannels} channels`,
    )
}

/** The backbone's parameters (the frozen stages' without gradient), the neck's BatchNorm, `head.fc` if any. */
export const info = (a: t.TypeOf<typeof args>): ModelInfo => {
  const { backbone, frozenStages } = backboneOf(a)
  const described = describeBackbone(backbone)
  refuse(a, described.outChannels)
  const prefixes = frozenPrefixes(backbone.type, frozenStages)
  const bn = neckBatchNorm(a)
  const params = [
    ...described.params,
    ...(bn === undefined ? [] : batchNormInfo(NECK_BN, bn.input_features, bn.affine ?? false)),
    ...(a.head === undefined ? [] : linearInfo('head.fc', a.head.in_channels, a.head.num_classes, true)),
  ]
  return { params: params.map((p) => (prefixes.some((f) => p.name.startsWith(f)) ? { ...p, requiresGrad: false } : p)) }
}

/** `model = dict(type='ImageClassifier', …)` without tensors. */
export const ImageClassifierDescription: ModelDescription<t.TypeOf<typeof args>> = {
  name: 'ImageClassifier',
  args,
  info,
}
