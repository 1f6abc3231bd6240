/**
 * Every optimizer as a `GradientTransformation`, numerically PyTorch 1.13's single-tensor formulas
 * (docs/optimizers.md), and the registry configs name them through.
 * @module
 */
export { adam, adamax, adamw, nadam, radam } from './adam.js'
export { adadelta, adagrad, rmsprop } from './adaptive.js'
export { lamb } from './lamb.js'
export type { LambState } from './lamb.js'
export { lars } from './lars.js'
export { asgd, rprop } from './rprop.js'
export { sgd } from './sgd.js'
export type { SgdSlots } from './sgd.js'
export { decodeOptimizer, optimizerTypes } from './registry.js'
export type { OptimizerType } from './registry.js'
