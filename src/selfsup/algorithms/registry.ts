/**
 * MMSelfSup's algorithms as model types, and the model registry the
 * interpreters build from: loopwright's supervised models plus these.
 * @module
 */
import * as Registry from '../../schema/registry.js'
import type { ModelType } from '../../models/Model.js'
import { defaultModelTypes } from '../../models/registry.js'
import { BarlowTwinsModel } from './BarlowTwins.js'
import { BYOLModel } from './BYOL.js'
import { MoCoModel } from './MoCo.js'
import { MoCoV3Model } from './MoCoV3.js'
import { SimCLRModel } from './SimCLR.js'
import { SimSiamModel } from './SimSiam.js'
import { SwAVModel } from './SwAV.js'
import { DenseCLModel } from './DenseCL.js'
import { ImageClassifierModel } from '../benchmarks/ImageClassifier.js'
import { DeepClusterModel } from './DeepCluster.js'
import { ODCModel } from './ODC.js'

const erase = <A>(type: ModelType<A>): ModelType<unknown> => type as unknown as ModelType<unknown>

/** The self-supervised algorithms loopwright provides, by MMSelfSup's `type` names. */
export const algorithmTypes: ReadonlyArray<ModelType<unknown>> = [
  erase(SimSiamModel),
  erase(BYOLModel),
  erase(MoCoModel),
  erase(MoCoV3Model),
  erase(SimCLRModel),
  erase(BarlowTwinsModel),
  erase(SwAVModel),
  erase(DenseCLModel),
  erase(DeepClusterModel),
  erase(ODCModel),
]

/** Every model type: the supervised ones of `src/models/` and the algorithms. */
export const allModelTypes: Registry.Registry<ModelType<unknown>> = Registry.make(
  'model',
  // ImageClassifier: MMSelfSup's benchmarks (kNN, linear probe) over the algorithms' backbones.
  [...defaultModelTypes.entries.values(), ...algorithmTypes, erase(ImageClassifierModel)],
  [...defaultModelTypes.notProvided],
)
