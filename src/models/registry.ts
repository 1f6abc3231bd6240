/**
 * The model types loopwright provides, keyed by config `type`, and
 * `build(cfg)`: from `model = dict(type=..., ...)` to a {@link Model}, with
 * every argument checked (unknown keys get a did-you-mean).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import { decodeModel } from './ModelDescription.js'

export { decodeModel, describe } from './ModelDescription.js'
export { defaultModelDescriptions } from './descriptions.js'
import * as Registry from '../schema/registry.js'
import { LeNet5Model } from './LeNet5.js'
import { MLPModel } from './MLP.js'
import type { Model, ModelType } from './Model.js'
import { ResNetModel } from './ResNet.js'
import { TinyRegressorModel } from './TinyRegressor.js'
import { VisionTransformerModel } from './VisionTransformer.js'

const erase = <A>(type: ModelType<A>): ModelType<unknown> => type as unknown as ModelType<unknown>

/** Every model type loopwright provides. Add your own with `Registry.register(defaultModelTypes, myType)`. */
export const defaultModelTypes: Registry.Registry<ModelType<unknown>> = Registry.make('model', [
  erase(MLPModel),
  erase(TinyRegressorModel),
  erase(LeNet5Model),
  erase(ResNetModel),
  erase(VisionTransformerModel),
])

/** Build the model a `model` config describes; issues carry paths under `model`. */
export const build = (
  cfg: unknown,
  types: Registry.Registry<ModelType<unknown>> = defaultModelTypes,
): E.Either<ReadonlyArray<Issue>, Model> => {
  const decoded = decodeModel(cfg, types)
  return decoded._tag === 'Left' ? decoded : E.right(decoded.right.type.build(decoded.right.args))
}
