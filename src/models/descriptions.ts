/**
 * The model types of `./registry.ts` described without tensors (arguments and
 * parameters), for the plan.
 * @module
 */
import * as Registry from '../schema/registry.js'
import { LeNet5Description } from './lenet5Specs.js'
import { MLPDescription } from './mlpSpecs.js'
import type { ModelDescription } from './ModelDescription.js'
import { ResNetDescription } from './resnetSpecs.js'
import { TinyRegressorDescription } from './tinyRegressorSpecs.js'
import { VisionTransformerDescription } from './visionTransformerSpecs.js'

const erase = <A>(d: ModelDescription<A>): ModelDescription<unknown> => d as unknown as ModelDescription<unknown>

/** Every supervised model type loopwright provides, described. */
export const defaultModelDescriptions: Registry.Registry<ModelDescription<unknown>> = Registry.make('model', [
  erase(MLPDescription),
  erase(TinyRegressorDescription),
  erase(LeNet5Description),
  erase(ResNetDescription),
  erase(VisionTransformerDescription),
])
