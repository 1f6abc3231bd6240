/**
 * Registers tfjs-core's gradients and chained ops. tfjs-core alone ships none
 * on Node, and its own registration files cannot be loaded by plain Node
 * (extensionless ESM imports), so `npm ci` bundles them (`scripts/bundle-gradients.mjs`,
 * run by `prepare`) into `vendor/tfjs-gradients.mjs`, imported here for its effect.
 * @module
 */
import '@tensorflow/tfjs-core'
// A generated JS bundle (no declarations needed for a side-effect import).
import '../../vendor/tfjs-gradients.mjs'
import { registerMeanGradient } from './meanGrad.js'
import { registerReluGradient } from './reluGrad.js'
import { registerTanhGradient } from './tanhGrad.js'

// After tfjs's (the imports above run first): ReLU's, Mean's and tanh's gradients as one kernel where the backend
// has it.
registerReluGradient()
registerMeanGradient()
registerTanhGradient()
