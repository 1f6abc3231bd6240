/**
 * Every MMSelfSup component loopwright provides, by config `type`
 * (`mmcls.`/`mmselfsup.` scopes are accepted and stripped), described without
 * tensor code: their arguments and parameters. `./components.ts` lists the
 * same components with their tensor code.
 * @module
 */
import * as Registry from '../schema/registry.js'
import type { AnyCodec } from '../schema/codec.js'
import type { ParamInfo } from '../models/ModelInfo.js'
import type { ComponentDescription, Descriptions } from './ComponentDescription.js'
import * as ClsHead from './heads/ClsHeadDescription.js'
import * as ContrastiveHead from './heads/ContrastiveHeadDescription.js'
import * as LatentCrossCorrelationHead from './heads/LatentCrossCorrelationHeadDescription.js'
import * as LatentPredictHead from './heads/LatentPredictHeadDescription.js'
import * as MoCoV3Head from './heads/MoCoV3HeadDescription.js'
import * as SwAVHead from './heads/SwAVHeadDescription.js'
import * as CosineSimilarityLoss from './losses/CosineSimilarityLossDescription.js'
import * as CrossCorrelationLoss from './losses/CrossCorrelationLossDescription.js'
import * as CrossEntropyLoss from './losses/CrossEntropyLossDescription.js'
import * as SwAVLoss from './losses/SwAVLossDescription.js'
import * as AvgPool2dNeck from './necks/AvgPool2dNeckDescription.js'
import * as DenseCLNeck from './necks/DenseCLNeckDescription.js'
import * as MoCoV2Neck from './necks/MoCoV2NeckDescription.js'
import * as NonLinearNeck from './necks/NonLinearNeckDescription.js'
import * as ODCNeck from './necks/ODCNeckDescription.js'
import * as SwAVNeck from './necks/SwAVNeckDescription.js'
import { setDefaultRegistry } from './registry.js'

const entry = <A>(
  name: string,
  kind: ComponentDescription['kind'],
  module: {
    readonly args: AnyCodec
    readonly info: (a: A, prefix: string, r: Descriptions) => ReadonlyArray<ParamInfo>
  },
): ComponentDescription => ({ name, kind, args: module.args, info: module.info as ComponentDescription['info'] })

/** The components loopwright provides, described. */
export const defaultComponentDescriptions: Descriptions = Registry.make(
  'self-supervised component',
  [
    entry('NonLinearNeck', 'neck', NonLinearNeck),
    entry('MoCoV2Neck', 'neck', MoCoV2Neck),
    entry('AvgPool2dNeck', 'neck', AvgPool2dNeck),
    entry('SwAVNeck', 'neck', SwAVNeck),
    entry('DenseCLNeck', 'neck', DenseCLNeck),
    entry('ODCNeck', 'neck', ODCNeck),
    entry('LatentPredictHead', 'loss', LatentPredictHead),
    entry('ContrastiveHead', 'loss', ContrastiveHead),
    entry('LatentCrossCorrelationHead', 'loss', LatentCrossCorrelationHead),
    entry('MoCoV3Head', 'loss', MoCoV3Head),
    entry('SwAVHead', 'loss', SwAVHead),
    entry('ClsHead', 'loss', ClsHead),
    entry('CosineSimilarityLoss', 'loss', CosineSimilarityLoss),
    entry('CrossEntropyLoss', 'loss', CrossEntropyLoss),
    entry('CrossCorrelationLoss', 'loss', CrossCorrelationLoss),
    entry('SwAVLoss', 'loss', SwAVLoss),
  ],
  [],
)

setDefaultRegistry(() => defaultComponentDescriptions)
