/**
 * Parameter schedulers (spec §12): MMEngine's LR, momentum and generic
 * parameter schedulers as pure functions over immutable, JSON-serialisable
 * scheduler values and plain param-group records, bit-exact in float64.
 *
 * @example
 * ```ts
 * import * as Schedulers from './optim/schedulers/index.js'
 * const built = Schedulers.buildAll(cfg.param_scheduler, groups, { epochLength: 8, maxEpochs: 3, maxIters: 24 })
 * // after each train iteration:
 * Schedulers.stepAll(schedulers, groups, { _tag: 'AfterTrainIter' })
 * ```
 * @module
 */
export { INF, pyMod, schedulerError } from './types.js'
export type { BuildContext, GroupValues, Groups, PythonError, SchedulerError, Stepped } from './types.js'
export { families, familyOf, fixedParam, kindOf, lookup, schedulerTypes } from './catalogue.js'
export type { Entry, Family, Kind, NameOf, SchedulerType } from './catalogue.js'
export type * from './state.js'
export { build, buildAll } from './build.js'
export { isSelected, lastValue, needValArgs, step, stepAll } from './stepping.js'
export type { Metrics, SchedulerTrigger, StepAllError } from './stepping.js'
export { fromStateDict, loadStateDict, stateDict } from './stateDict.js'
export type { StateDict } from './stateDict.js'
export {
  constantAt,
  cosineAnnealingAt,
  cosineRestartAt,
  exponentialAt,
  linearAt,
  multiStepAt,
  oneCycleAt,
  polyAt,
  stepAt,
} from './closedForms.js'
export { curve, simulateEpochs, walkTrainLoop } from './simulate.js'
export { kindsOf, shared } from './sharedSchedules.js'
export type { Kinds } from './sharedSchedules.js'
export type { EpochRun, Moment, TrainWalk } from './simulate.js'
export { argumentsCodec, commonKeys, lastStep } from './codecs.js'
