/**
 * Optimizer wrapper constructors: param groups from `optim_wrapper`'s
 * `paramwise_cfg` (MMEngine's default constructor) and the layer-wise lr
 * decay constructors of MMSelfSup and MMPretrain. Pure: the model is
 * described ({@link ModelInfo}), never instantiated.
 * @module
 */
export { buildParamGroups, resolveConstructor } from './buildParamGroups.js'
export type { BuildResult, ConstructorName } from './buildParamGroups.js'
export { defaultConstructor } from './defaultConstructor.js'
export { selfsupLayerDecayConstructor } from './selfsupLayerDecay.js'
export { selfsupLayerId, selfsupNumLayers } from './selfsupLayerId.js'
export type { SelfsupModelType } from './selfsupLayerId.js'
export { pretrainLayerDecayConstructor } from './pretrainLayerDecay.js'
export { pretrainLayerDepth, swinLayerDepth, vitLayerDepth } from './pretrainLayerDepth.js'
export { withDefaults, toParamGroups } from './withDefaults.js'
export { backboneFromNames, withBackboneFromNames } from './backboneFromNames.js'
export { firstMatch, lastMatch, sortKeys } from './customKeys.js'
export { isConv2d, isDwConv, isNorm, matchNameOf, ownNameOf, prefixOf, validateModel } from '../../models/ModelInfo.js'
export type { BackboneInfo, ModelInfo, ModuleInfo, ParamInfo } from '../../models/ModelInfo.js'
export { powInt } from './floatPow.js'
export { pyFloat, pyJsonDumps, pyRepr, pyStr } from './pyRepr.js'
export type { CfgDict, ConstructorOptions, ConstructorResult, GroupRecord } from './types.js'
