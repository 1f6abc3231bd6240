/**
 * MMSelfSup's algorithms loopwright trains, described without tensors: each
 * algorithm's arguments and its parameters — the backbone's, then the neck's
 * under `neck`, then the head's under `head`, in MMSelfSup's module order —
 * and the registry of every model type so described (`src/models/`'s and
 * these). The algorithms' tensor code (`./registry.ts`) takes its arguments
 * and parameter lists from here.
 * @module
 */
import type * as t from 'io-ts'
import type { ModelDescription } from '../../models/ModelDescription.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import { defaultModelDescriptions } from '../../models/descriptions.js'
import { json, positiveInt, struct, unitInterval } from '../../schema/codec.js'
import * as Registry from '../../schema/registry.js'
import { backboneDict, describeBackbone } from '../backbones/descriptions.js'
import { ImageClassifierDescription } from '../benchmarks/ImageClassifierDescription.js'
import { type ComponentDict, describeComponent } from '../ComponentDescription.js'
import { defaultComponentDescriptions } from '../componentDescriptions.js'
import * as ODCMemory from '../memories/ODCMemory.js'
import { componentDict } from '../registry.js'

/** The keys every algorithm takes (`data_preprocessor` is the runner's and never reaches here). */
export const commonArgs = { backbone: backboneDict, neck: componentDict, head: componentDict }
/** Keys accepted and not used: loopwright loads weights through `load_from`, and initialises as each part says. */
export const ignoredArgs = { pretrained: json, init_cfg: json }

/** The arguments of a backbone-neck-head algorithm as decoded. */
export interface PartsArgs {
  readonly backbone: { readonly type: string }
  readonly neck: ComponentDict
  readonly head: ComponentDict
}

/** Backbone, neck and head parameters, in that order. */
export const partsInfo = (a: PartsArgs): ModelInfo => ({
  params: [
    ...describeBackbone(a.backbone).params,
    ...describeComponent(defaultComponentDescriptions, a.neck, 'neck', 'model.neck', 'neck'),
    ...describeComponent(defaultComponentDescriptions, a.head, 'head', 'model.head', 'loss'),
  ],
})

const described = <A extends PartsArgs>(name: string, args: t.Decoder<unknown, A>): ModelDescription<A> => ({
  name,
  args,
  info: partsInfo,
})

export const simSiamArgs = struct('SimSiam arguments (backbone, neck, head)', commonArgs, ignoredArgs)
export const byolArgs = struct('BYOL arguments (backbone, neck, head, base_momentum)', commonArgs, {
  ...ignoredArgs,
  base_momentum: unitInterval,
})
export const mocoArgs = struct('MoCo arguments (backbone, neck, head, queue_len, feat_dim, momentum)', commonArgs, {
  ...ignoredArgs,
  queue_len: positiveInt,
  feat_dim: positiveInt,
  momentum: unitInterval,
})
export const mocoV3Args = struct('MoCoV3 arguments (backbone, neck, head, base_momentum)', commonArgs, {
  ...ignoredArgs,
  base_momentum: unitInterval,
})
export const simCLRArgs = struct('SimCLR arguments (backbone, neck, head)', commonArgs, ignoredArgs)
export const barlowTwinsArgs = struct('BarlowTwins arguments (backbone, neck, head)', commonArgs, ignoredArgs)
export const swavArgs = struct('SwAV arguments (backbone, neck, head)', commonArgs, ignoredArgs)
export const denseCLArgs = struct(
  'DenseCL arguments (backbone, neck, head, queue_len, feat_dim, momentum, loss_lambda)',
  commonArgs,
  { ...ignoredArgs, queue_len: positiveInt, feat_dim: positiveInt, momentum: unitInterval, loss_lambda: unitInterval },
)
export const deepClusterArgs = struct('DeepCluster arguments (backbone, neck, head)', commonArgs, ignoredArgs)
export const odcArgs = struct(
  'ODC arguments (backbone, neck, head, memory_bank)',
  { ...commonArgs, memory_bank: ODCMemory.configDict },
  ignoredArgs,
)

export const SimSiamDescription = described('SimSiam', simSiamArgs)
export const BYOLDescription = described('BYOL', byolArgs)
export const MoCoDescription = described('MoCo', mocoArgs)
export const MoCoV3Description = described('MoCoV3', mocoV3Args)
export const SimCLRDescription = described('SimCLR', simCLRArgs)
export const BarlowTwinsDescription = described('BarlowTwins', barlowTwinsArgs)
export const SwAVDescription = described('SwAV', swavArgs)
export const DenseCLDescription = described('DenseCL', denseCLArgs)
export const DeepClusterDescription = described('DeepCluster', deepClusterArgs)
export const ODCDescription = described('ODC', odcArgs)

const erase = <A>(d: ModelDescription<A>): ModelDescription<unknown> => d as unknown as ModelDescription<unknown>

/** Every model type loopwright trains, described: the supervised ones, the algorithms and `ImageClassifier`. */
export const allModelDescriptions: Registry.Registry<ModelDescription<unknown>> = Registry.make(
  'model',
  [
    ...defaultModelDescriptions.entries.values(),
    erase(SimSiamDescription),
    erase(BYOLDescription),
    erase(MoCoDescription),
    erase(MoCoV3Description),
    erase(SimCLRDescription),
    erase(BarlowTwinsDescription),
    erase(SwAVDescription),
    erase(DenseCLDescription),
    erase(DeepClusterDescription),
    erase(ODCDescription),
    erase(ImageClassifierDescription),
  ],
  [...defaultModelDescriptions.notProvided],
)
