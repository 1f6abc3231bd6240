/**
 * Optimizer types a config may name (`optimizer = dict(type='SGD', …)`): each
 * description of `./descriptions.ts` (defaults, strict argument decoding) with
 * its update rule, a `GradientTransformation`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import * as Registry from '../../schema/registry.js'
import type { GradientTransformation } from '../GradientTransformation.js'
import type { Hyper } from '../ParamGroups.js'
import { adadelta, adagrad, rmsprop } from './adaptive.js'
import { adam, adamax, adamw, nadam, radam } from './adam.js'
import { describeOptimizer, optimizerDescriptions } from './descriptions.js'
import type { OptimizerDescription } from './descriptions.js'
import { lamb } from './lamb.js'
import { lars } from './lars.js'
import { asgd, rprop } from './rprop.js'
import { sgd } from './sgd.js'

export type { OptimizerDescription } from './descriptions.js'
export { describeOptimizer, optimizerDescriptions } from './descriptions.js'

export interface OptimizerType extends OptimizerDescription {
  // biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
  readonly build: () => GradientTransformation<any>
}

// biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
const updateRules: { readonly [name: string]: () => GradientTransformation<any> } = {
  SGD: sgd,
  Adam: adam,
  AdamW: adamw,
  Adamax: adamax,
  Adagrad: adagrad,
  Adadelta: adadelta,
  RMSprop: rmsprop,
  NAdam: nadam,
  RAdam: radam,
  Rprop: rprop,
  ASGD: asgd,
  LARS: lars,
  Lamb: lamb,
}

const withRule = (description: OptimizerDescription): OptimizerType => {
  const build = updateRules[description.name]
  if (build === undefined) throw new Error(`optimizer ${description.name}: described but has no update rule`)
  return { ...description, build }
}

/** Every optimizer a config may name, with its update rule. */
export const optimizerTypes: Registry.Registry<OptimizerType> = Registry.make(
  optimizerDescriptions.kind,
  [...optimizerDescriptions.entries.values()].map(withRule),
  [...optimizerDescriptions.notProvided],
)

/**
 * Decode `optimizer = dict(type=…, …)`: the optimizer type and its group defaults with the config's values filled in.
 */
export const decodeOptimizer = (cfg: {
  readonly [key: string]: unknown
}): E.Either<ReadonlyArray<Issue>, { readonly type: OptimizerType; readonly defaults: Hyper }> =>
  E.map((d: { readonly type: OptimizerDescription; readonly defaults: Hyper }) => ({
    type: optimizerTypes.entries.get(d.type.name)!,
    defaults: d.defaults,
  }))(describeOptimizer(cfg))
