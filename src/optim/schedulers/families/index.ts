/**
 * The chainable families by name; ReduceOnPlateau has its own module.
 * @module
 */
import type { FamilyDef } from '../family.js'
import type { ByFamily, ChainableFamily } from '../state.js'
import { Constant } from './constant.js'
import { CosineAnnealing } from './cosineAnnealing.js'
import { CosineRestart } from './cosineRestart.js'
import { Exponential } from './exponential.js'
import { Linear } from './linear.js'
import { MultiStep } from './multiStep.js'
import { OneCycle } from './oneCycle.js'
import { Poly } from './poly.js'
import { Step } from './step.js'

/** Each chainable family's definition (its argument and state types erased to fit one table). */
// biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
export const chainable: { readonly [F in ChainableFamily]: FamilyDef<any, any, ByFamily[F]> } = {
  Constant,
  CosineAnnealing,
  Exponential,
  Linear,
  MultiStep,
  Step,
  Poly,
  OneCycle,
  CosineRestart,
}
