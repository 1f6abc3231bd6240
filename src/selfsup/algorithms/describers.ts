/**
 * Every model MMSelfSup's configs name, described without tensors: the
 * algorithms (a backbone, a neck, a head, and the frozen copies some keep:
 * CAE's `teacher`, MoCo v3's `momentum_encoder`) and MMPretrain's
 * `ImageClassifier` of the classification benchmarks. The dry run uses these
 * for the models loopwright does not train (MAE, BEiT, CAE, SimMIM, MaskFeat,
 * MILAN, EVA, PixMIM, MixMIM, MoCo v3 with a ViT, NPID, RelativeLoc,
 * RotationPred, DeepCluster, ODC, the classifiers); the algorithms it trains
 * describe themselves.
 *
 * Not listed: target generators (DALL-E, VQ-KD, CLIP), which are frozen
 * pretrained tokenizers and belong to no param group.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { backboneDescribers } from '../../models/backboneDescribers.js'
import {
  classifierHeadDescribers,
  classifierNeckDescribers,
  imageClassifier,
} from '../../models/classifierDescribers.js'
import type { Description, Describer, Describers } from '../../models/Description.js'
import { describeParts, makeDescribers, reader } from '../../models/Description.js'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { infoOfSpecs, linearSpecs, normSpecs } from '../../models/ParamSpec.js'
import type { Issue } from '../../schema/codec.js'
import { headDescribers } from '../heads/describers.js'
import { neckDescribers } from '../necks/describers.js'

const selfsupNecks: Describers = makeDescribers('neck description', neckDescribers)
const selfsupHeads: Describers = makeDescribers('head description', headDescribers)

/** Frozen copies of parts under new prefixes (`backbone.` → `teacher.`): `requires_grad=False`, as MMSelfSup sets. */
type Copies = ReadonlyArray<readonly [from: string, to: string]>

const copiesOf = (params: ReadonlyArray<ParamInfo>, copies: Copies): ReadonlyArray<ParamInfo> =>
  copies.flatMap(([from, to]) =>
    params
      .filter((p) => p.name.startsWith(from))
      .map((p) => ({ ...p, name: `${to}${p.name.slice(from.length)}`, requiresGrad: false })),
  )

/**
 * An algorithm of a backbone, an optional neck and an optional head (None is none), in MMSelfSup's module order, and
 * its frozen copies after them.
 */
const algorithm = (name: string, copies: Copies = []): Describer => ({
  name,
  describe: (cfg, _prefix, where) => {
    const backbone = describeParts(backboneDescribers, cfg['backbone'], 'backbone', `${where}.backbone`)
    if (backbone._tag === 'Left') return backbone
    const ctx = backbone.right.outChannels === undefined ? {} : { inChannels: backbone.right.outChannels }
    const issues: Issue[] = []
    const part = (key: 'neck' | 'head', registry: Describers): ReadonlyArray<ParamInfo> => {
      if (cfg[key] === undefined || cfg[key] === null) return []
      const d = describeParts(registry, cfg[key], key, `${where}.${key}`, ctx)
      if (d._tag === 'Left') issues.push(...d.left)
      return d._tag === 'Right' ? d.right.params : []
    }
    const own = [...backbone.right.params, ...part('neck', selfsupNecks), ...part('head', selfsupHeads)]
    if (issues.length > 0) return E.left(issues)
    const described: Description = {
      params: [...own, ...copiesOf(own, copies)],
      ...(backbone.right.backbone === undefined ? {} : { backbone: backbone.right.backbone }),
    }
    return E.right(described)
  },
})

/** MMSelfSup's `MultiClsHead` for ResNet-50: one `fcs.{i}` per tapped stage over its pooled features. */
const multiClsHead: Describer = {
  name: 'MultiClsHead',
  describe: (cfg, prefix, where) => {
    const r = reader(cfg, where)
    if (r.string('backbone', 'resnet50') !== 'resnet50') r.fail('backbone', "only 'resnet50' exists (as MMSelfSup)")
    const indices = r.numbers('in_indices', [0, 1, 2, 3, 4])
    const classes = r.number('num_classes', 1000)
    const unpooled = r.boolean('with_last_layer_unpool', false)
    const norm = r.dict('norm_cfg')
    const affine = norm === undefined ? true : reader(norm, `${where}.norm_cfg`).boolean('affine', true)
    const normType = norm === undefined ? 'BN' : reader(norm, `${where}.norm_cfg`).string('type', 'BN')
    // MultiPooling's 'specified' output widths and the stages' channels for ResNet-50.
    const poolDims = [9216, 9216, 8192, 9216, 8192]
    const channels = [64, 256, 512, 1024, 2048]
    return r.done(() => ({
      params: infoOfSpecs([
        ...(normType !== 'null' && affine
          ? indices.flatMap((i, k) => normSpecs(`${prefix}.norms.${k}`, channels[i]!, 'BatchNorm2d'))
          : []),
        ...indices.flatMap((i, k) => linearSpecs(`${prefix}.fcs.${k}`, poolDims[i]!, classes)),
        ...(unpooled ? linearSpecs(`${prefix}.fcs.${indices.length}`, 2048 * 7 * 7, classes) : []),
      ]),
    }))
  },
}

/** MMPretrain's `ClsBatchNormNeck`: a BatchNorm1d `bn`, with parameters only when `affine`. */
const clsBatchNormNeck: Describer = {
  name: 'ClsBatchNormNeck',
  describe: (cfg, prefix, where, ctx) => {
    const r = reader(cfg, where)
    const features = r.number('input_features', ctx.inChannels ?? 768)
    const affine = r.boolean('affine', false)
    return r.done(() => ({ params: affine ? infoOfSpecs(normSpecs(`${prefix}.bn`, features, 'BatchNorm1d')) : [] }))
  },
}

const classifierNecks = makeDescribers('neck description', [...classifierNeckDescribers, clsBatchNormNeck])
const classifierHeads = makeDescribers('head description', [...classifierHeadDescribers, multiClsHead])

/** MMSelfSup's algorithms and MMPretrain's classifier, by config `type`. */
export const modelDescribers: Describers = makeDescribers('model description', [
  imageClassifier(backboneDescribers, classifierNecks, classifierHeads),
  ...[
    'MAE',
    'PixMIM',
    'MILAN',
    'EVA',
    'MaskFeat',
    'BEiT',
    'SimMIM',
    'MixMIM',
    'NPID',
    'RelativeLoc',
    'RotationPred',
    'SimSiam',
    'BYOL',
    'SimCLR',
    'BarlowTwins',
    'SwAV',
    'DenseCL',
    'MoCo',
    'DeepCluster',
    'ODC',
  ].map((n) => algorithm(n)),
  algorithm('CAE', [['backbone.', 'teacher.']]),
  algorithm('MoCoV3', [
    ['backbone.', 'momentum_encoder.module.0.'],
    ['neck.', 'momentum_encoder.module.1.'],
  ]),
])
