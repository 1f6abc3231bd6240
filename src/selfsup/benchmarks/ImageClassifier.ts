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
import type * as t from 'io-ts'
import type * as Rng from '../../dsl/Rng.js'
import * as BatchNorm from '../../models/BatchNorm.js'
import { freeze } from '../../models/frozen.js'
import { normalTensor } from '../../models/init.js'
import * as Linear from '../../models/Linear.js'
import { crossEntropy } from '../../models/losses.js'
import type { Model, ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import type { Backbone } from '../backbones/Backbone.js'
import { buildBackbone } from '../backbones/registry.js'
import { globalAvgPool } from '../functional.js'
import {
  type args,
  backboneOf,
  frozenPrefixes,
  ImageClassifierDescription,
  info,
  NECK_BN,
  neckBatchNorm,
  refuse,
} from './ImageClassifierDescription.js'

export { frozenPrefixes } from './ImageClassifierDescription.js'

/** `LinearClsHead`'s `fc` as its `init_cfg` initialises it: weight N(0, 0.01²), bias 0. */
const initHead = (inChannels: number, numClasses: number, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  const [weight, next] = normalTensor(rng, [numClasses, inChannels], 0.01)
  return [{ 'head.fc.weight': weight, 'head.fc.bias': tf.zeros([numClasses]) }, next]
}

/** The backbone's last map, globally averaged; `training` is the backbone's mode (eval under `norm_eval`). */
const pooledFeatures = (backbone: Backbone, params: Tree, buffers: Tree, x: tf.Tensor, training: boolean) => {
  const map = backbone.apply(params, buffers, x, training)
  const pooled = globalAvgPool(map.value)
  map.value.dispose()
  return { pooled, buffers: map.buffers }
}

const build = (a: t.TypeOf<typeof args>): Model => {
  const { backbone: backboneCfg, frozenStages, normEval } = backboneOf(a)
  const backbone = buildBackbone(backboneCfg)
  const head = a.head
  refuse(a, backbone.outChannels)
  const bn = neckBatchNorm(a)
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
    info: info(a),
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
      const backboneTraining = ctx.training && !normEval
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
  const prefixes = frozenPrefixes(backbone.type, frozenStages)
  if (prefixes.length === 0) return model
  return freeze(model, (name) => prefixes.some((p) => name.startsWith(p)), false)
}

/** `ImageClassifier` in the model registry (with the self-supervised algorithms: it takes their backbones). */
export const ImageClassifierModel: ModelType<t.TypeOf<typeof args>> = { ...ImageClassifierDescription, build }
