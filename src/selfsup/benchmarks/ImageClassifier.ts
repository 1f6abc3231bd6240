/**
 * MMPretrain's `ImageClassifier(backbone, neck, head)` over the self-supervised backbones, as MMSelfSup's benchmarks
 * build it: the linear probe (a frozen backbone, `GlobalAveragePooling`, a `LinearClsHead` on the pooled features)
 * and, without a head, the feature extractor the kNN benchmark scores.
 *
 * Names: the backbone's own (`backbone.…`, as a pretraining checkpoint holds them) and `head.fc.{weight,bias}`
 * (`LinearClsHead`, weight N(0, 0.01²), bias 0). The backbone dict takes MMPretrain's `frozen_stages` (`n` freezes
 * the stem and the first `n` stages: `requires_grad=False`, running statistics kept) and `norm_eval` (BatchNorm in
 * eval mode while training). The weights come from `init_cfg=dict(type='Pretrained', checkpoint=…,
 * prefix='backbone.')` on the model, or from `load_from`.
 *
 * Eval mode returns the logits with a head (scored by `Accuracy`), the pooled features without one (scored by
 * `KNN`). A model without a head cannot train.
 *
 * @example
 * ```python
 * model = dict(type='ImageClassifier',
 *     backbone=dict(type='SmallCNN', base_channels=16, frozen_stages=3, norm_eval=True),
 *     neck=dict(type='GlobalAveragePooling'),
 *     head=dict(type='LinearClsHead', num_classes=10, in_channels=64, loss=dict(type='CrossEntropyLoss')),
 *     init_cfg=dict(type='Pretrained', checkpoint='work_dirs/simsiam/epoch_10.safetensors', prefix='backbone.'))
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as t from 'io-ts'
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
import * as BatchNorm from '../../models/BatchNorm.js'
import type * as Rng from '../../dsl/Rng.js'
import { freeze } from '../../models/frozen.js'
import { normalTensor } from '../../models/init.js'
import * as Linear from '../../models/Linear.js'
import { crossEntropy } from '../../models/losses.js'
import type { Model, ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import type { Backbone } from '../backbones/Backbone.js'
import { backboneDict, buildBackbone } from '../backbones/registry.js'
import { globalAvgPool } from '../functional.js'
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

const headArgs = struct(
  'LinearClsHead arguments (num_classes, in_channels, loss, topk)',
  { type: literal('LinearClsHead'), num_classes: positiveInt, in_channels: positiveInt },
  { loss: json, topk: array(positiveInt), init_cfg: json },
)

const args = struct(
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

/** `LinearClsHead`'s `fc` as its `init_cfg` initialises it: weight N(0, 0.01²), bias 0. */
const initHead = (inChannels: number, numClasses: number, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  const [weight, next] = normalTensor(rng, [numClasses, inChannels], 0.01)
  return [{ 'head.fc.weight': weight, 'head.fc.bias': tf.zeros([numClasses]) }, next]
}

/** The neck's BatchNorm as MMEngine names it inside the `Sequential` a list of necks builds. */
const NECK_BN = 'neck.1.bn'

/** The backbone's last map, globally averaged; `training` is the backbone's mode (eval under `norm_eval`). */
const pooledFeatures = (backbone: Backbone, params: Tree, buffers: Tree, x: tf.Tensor, training: boolean) => {
  const map = backbone.apply(params, buffers, x, training)
  const pooled = globalAvgPool(map.value)
  map.value.dispose()
  return { pooled, buffers: map.buffers }
}

const build = (a: t.TypeOf<typeof args>): Model => {
  const { frozen_stages, norm_eval, ...backboneCfg } = a.backbone as {
    readonly type: string
    readonly frozen_stages?: number
    readonly norm_eval?: boolean
  }
  const backbone = buildBackbone(backboneCfg)
  const head = a.head
  if (head !== undefined && head.in_channels !== backbone.outChannels)
    throw new Error(
      `ImageClassifier: head.in_channels is ${head.in_channels}, the backbone gives ${backbone.outChannels} channels`,
    )
  const bn = Array.isArray(a.neck) ? (a.neck as Extract<NeckCfg, ReadonlyArray<unknown>>)[1] : undefined
  if (bn !== undefined && bn.input_features !== backbone.outChannels)
    throw new Error(
      `ImageClassifier: neck[1].input_features is ${bn.input_features}, the backbone gives ` +
        `${backbone.outChannels} channels`,
    )
  const affine = bn?.affine ?? false
  /** The pooled features through the neck's BatchNorm, when there is one (batch statistics while training). */
  const neck = (params: Tree, buffers: Tree, pooled: tf.Tensor, training: boolean): readonly [tf.Tensor, Tree] => {
    if (bn === undefined) return [pooled, {}]
    const [y, updates] = BatchNorm.apply1d(params, buffers, NECK_BN, pooled, { training, eps: bn.eps ?? 1e-6 })
    pooled.dispose()
    return [y, updates]
  }
  const model: Model = {
    type: 'ImageClassifier',
    task: head === undefined ? 'self-supervised' : 'classification',
    inputShape: backbone.inputShape,
    info: {
      params: [
        ...backbone.info,
        ...(bn === undefined ? [] : batchNormInfo(NECK_BN, bn.input_features, affine)),
        ...(head === undefined ? [] : linearInfo('head.fc', head.in_channels, head.num_classes, true)),
      ],
    },
    init: (rng) => {
      const b = backbone.init(rng)
      const norm = bn === undefined ? { params: {}, buffers: {} } : BatchNorm.init(NECK_BN, bn.input_features, affine)
      const params = { ...b.params, ...norm.params }
      const buffers = { ...b.buffers, ...norm.buffers }
      if (head === undefined) return { params, buffers, rng: b.rng }
      const [fc, next] = initHead(head.in_channels, head.num_classes, b.rng)
      return { params: { ...params, ...fc }, buffers, rng: next }
    },
    forward: (params, buffers, inputs, ctx) => {
      // `norm_eval` puts the backbone's BatchNorm layers in eval mode (MMPretrain's `train()`), not the neck's.
      const backboneTraining = ctx.training && norm_eval !== true
      const { pooled, buffers: changed } = pooledFeatures(backbone, params, buffers, inputs, backboneTraining)
      const [features, neckUpdates] = neck(params, buffers, pooled, ctx.training)
      const next = { ...buffers, ...changed, ...neckUpdates }
      if (head === undefined) return { output: features, buffers: next }
      const logits = tf.tidy(() => Linear.apply(params, 'head.fc', features))
      features.dispose()
      return { output: logits, buffers: next }
    },
    losses: (output, targets) => {
      if (head === undefined)
        throw new Error('ImageClassifier without a head extracts features only; add a LinearClsHead to train it')
      return { loss: crossEntropy(output, targets) }
    },
  }
  const prefixes = frozenPrefixes(backbone.type, frozen_stages ?? -1)
  if (prefixes.length === 0) return model
  return freeze(model, (name) => prefixes.some((p) => name.startsWith(p)), false)
}

/** `ImageClassifier` in the model registry (with the self-supervised algorithms: it takes their backbones). */
export const ImageClassifierModel: ModelType<t.TypeOf<typeof args>> = { name: 'ImageClassifier', args, build }
