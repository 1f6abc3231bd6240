/**
 * Every MMSelfSup component loopwright provides, by config `type`
 * (`mmcls.`/`mmselfsup.` scopes are accepted and stripped).
 * @module
 */
import * as Registry from '../schema/registry.js'
import type { AnyCodec } from '../schema/codec.js'
import type { ParamInfo } from '../models/ModelInfo.js'
import type { Component } from './Component.js'
import type { Descriptions } from './ComponentDescription.js'
import * as ClsHead from './heads/ClsHead.js'
import * as ContrastiveHead from './heads/ContrastiveHead.js'
import * as LatentCrossCorrelationHead from './heads/LatentCrossCorrelationHead.js'
import * as LatentPredictHead from './heads/LatentPredictHead.js'
import * as MoCoV3Head from './heads/MoCoV3Head.js'
import * as SwAVHead from './heads/SwAVHead.js'
import * as CosineSimilarityLoss from './losses/CosineSimilarityLoss.js'
import * as CrossCorrelationLoss from './losses/CrossCorrelationLoss.js'
import * as CrossEntropyLoss from './losses/CrossEntropyLoss.js'
import * as SwAVLoss from './losses/SwAVLoss.js'
import * as AvgPool2dNeck from './necks/AvgPool2dNeck.js'
import * as DenseCLNeck from './necks/DenseCLNeck.js'
import * as MoCoV2Neck from './necks/MoCoV2Neck.js'
import * as NonLinearNeck from './necks/NonLinearNeck.js'
import * as ODCNeck from './necks/ODCNeck.js'
import * as SwAVNeck from './necks/SwAVNeck.js'
import type { ComponentType, Registry as ComponentRegistry } from './registry.js'
import { setDefaultRegistry } from './registry.js'

const entry = <A>(
  name: string,
  kind: Component['kind'],
  module: {
    readonly args: AnyCodec
    readonly info: (a: A, prefix: string, r: Descriptions) => ReadonlyArray<ParamInfo>
    readonly build: (a: A, r: ComponentRegistry) => Component
  },
): ComponentType => ({
  name,
  kind,
  args: module.args,
  info: module.info as ComponentType['info'],
  build: module.build as ComponentType['build'],
})

/** The components loopwright provides. Add your own with `Registry.register(defaultComponentTypes, myType)`. */
export const defaultComponentTypes: ComponentRegistry = Registry.make(
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

setDefaultRegistry(() => defaultComponentTypes)
