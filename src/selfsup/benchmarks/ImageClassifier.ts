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
import { array, expected, int, isDict, json, literal, positiveInt, struct } from '../../schema/codec.js'
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
import { linearInfo } from '../params.js'

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

const neckArgs = struct('GlobalAveragePooling arguments', { type: literal('GlobalAveragePooling') }, { dim: int })

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
  const model: Model = {
    type: 'ImageClassifier',
    task: head === undefined ? 'self-supervised' : 'classification',
    inputShape: backbone.inputShape,
    info: {
      params: [
        ...backbone.info,
        ...(head === undefined ? [] : linearInfo('head.fc', head.in_channels, head.num_classes, true)),
      ],
    },
    init: (rng) => {
      const b = backbone.init(rng)
      if (head === undefined) return b
      const [fc, next] = initHead(head.in_channels, head.num_classes, b.rng)
      return { params: { ...b.params, ...fc }, buffers: b.buffers, rng: next }
    },
    forward: (params, buffers, inputs, ctx) => {
      const { pooled, buffers: changed } = pooledFeatures(backbone, params, buffers, inputs, ctx.training)
      const next = { ...buffers, ...changed }
      if (head === undefined) return { output: pooled, buffers: next }
      const logits = tf.tidy(() => Linear.apply(params, 'head.fc', pooled))
      pooled.dispose()
      return { output: logits, buffers: next }
    },
    losses: (output, targets) => {
      if (head === undefined)
        throw new Error('ImageClassifier without a head extracts features only; add a LinearClsHead to train it')
      return { loss: crossEntropy(output, targets) }
    },
  }
  const prefixes = frozenPrefixes(backbone.type, frozen_stages ?? -1)
  if (prefixes.length === 0 && norm_eval !== true) return model
  return freeze(model, (name) => prefixes.some((p) => name.startsWith(p)), norm_eval === true)
}

/** `ImageClassifier` in the model registry (with the self-supervised algorithms: it takes their backbones). */
export const ImageClassifierModel: ModelType<t.TypeOf<typeof args>> = { name: 'ImageClassifier', args, build }
