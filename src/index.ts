/**
 * loopwright: MMEngine-style training runs for TensorFlow.js, as values.
 *
 * The public API. Deep modules are implementation details.
 * @module
 */
export * as Stage from './dsl/Stage.js'
export * as Priority from './dsl/Priority.js'
export * as Event from './dsl/Event.js'
export * as Loop from './dsl/Loop.js'
export * as Hook from './dsl/Hook.js'
export * as State from './dsl/State.js'
export * as MessageHub from './dsl/MessageHub.js'
export * as Rng from './dsl/Rng.js'
export * as Program from './dsl/Program.js'
export * as Services from './dsl/Services.js'
export { timeline } from './dsl/timeline.js'
export type { Timeline, Sizes, TimelineOptions, Control, Entry } from './dsl/timeline.js'
export * as Config from './config/index.js'
/** The hook types and `log_processor` codec a config is decoded against by default. */
export { defaultRegistries } from './interpreters/registries.js'
export * as Registry from './schema/registry.js'
export * as LogProcessor from './hooks/logging/LogProcessor.js'
export { defaultHookTypes } from './hooks/registry.js'
export { erase as eraseHookType } from './hooks/HookType.js'
export type { HookType, HookSite } from './hooks/HookType.js'
/** What hooks read and write per stage (the field vocabulary, ordering hazards), and what a state change touched. */
export * as Touches from './dsl/Touches.js'
export { touchesOf } from './hooks/HookType.js'
export { changedFields, fieldValues } from './hooks/touchedFields.js'
export * as DryRun from './interpreters/dry/dryRun.js'
export { version } from './version.js'
export { runMain } from './cli/runMain.js'
export { train, TrainError } from './interpreters/tensor/train.js'
export type { TrainOptions, TrainResult, Evaluation as EvaluationRecord } from './interpreters/tensor/train.js'
/** Data parallel: `trainThreads` on worker threads of this machine; a `Communicator` (threads, MPI) for `train`. */
export { trainThreads } from './interpreters/collective/launchThreads.js'
export type { ThreadRunOptions } from './interpreters/collective/launchThreads.js'
export type { Communicator } from './interpreters/collective/Communicator.js'
export { mpiCommunicator } from './interpreters/collective/mpi.js'
export * as Models from './models/registry.js'
export * as SelfSup from './selfsup/index.js'
export type { Model, ModelType, ForwardContext, ForwardResult } from './models/Model.js'
export type { ModelDescription } from './models/ModelDescription.js'
export * as Datasets from './data/registry.js'
export * as ArrayDataset from './data/ArrayDataset.js'
export type { Dataset, Targets } from './data/Dataset.js'
export * as FashionMnist from './data/fashionMnist.js'
/** MMSelfSup's `DeepClusterSampler`: an epoch's order, uniform over pseudo-labels when DeepClusterHook asks. */
export * as DeepClusterSampler from './data/deepClusterSampler.js'
/** Views: MMSelfSup's transforms by config name, and running a decoded pipeline on a batch (docs/data.md). */
export * as Transforms from './data/transforms/registry.js'
export { runPipeline, packViews, type DrawKey } from './data/transforms/Pipeline.js'
export * as Evaluation from './evaluation/registry.js'
export type { Metric, MetricType } from './evaluation/Metric.js'
export { knnClassify } from './evaluation/knnClassifier.js'
/** Clustering numerics for DeepCluster, ODC and SwAV: k-means (k-means++ start), PCA with whitening, Sinkhorn-Knopp. */
export * as Kmeans from './selfsup/numerics/kmeans.js'
export * as Pca from './selfsup/numerics/pca.js'
export { sinkhorn } from './selfsup/numerics/sinkhorn.js'
export { sinkhornTensor } from './selfsup/numerics/sinkhornTensor.js'
export { histogram, reweight } from './selfsup/numerics/reweight.js'
/**
 * The optimizer algebra (docs/optimizers.md): one `GradientTransformation` type over named tensor trees,
 * composed with `chain` and `partition`; clipping, accumulation and loss scaling are transformations too.
 */
export type { GradientTransformation, StateOf } from './optim/GradientTransformation.js'
export { chain, identity, partition } from './optim/GradientTransformation.js'
export { clipByGlobalNorm, clipByValue, globalNorm } from './optim/transforms/clip.js'
export type { ClipNormState } from './optim/transforms/clip.js'
export { accumulate } from './optim/transforms/accumulate.js'
export type { AccumulateState, Accumulation, AccumulationPolicy } from './optim/transforms/accumulate.js'
export { dynamicScaler, withLossScaling } from './optim/transforms/lossScaling.js'
export type { LossScaling, ScalerConfig, ScalerState } from './optim/transforms/lossScaling.js'
export { perParameter } from './optim/perParameter.js'
export type { ParamStep, PerParameterState } from './optim/perParameter.js'
/** Every PyTorch optimizer a config may name, plus LARS and LAMB, each a `GradientTransformation`. */
export * as Optimizers from './optim/optimizers/index.js'
/** Param groups: the hyper-parameters each group of parameters steps with. */
export * as ParamGroups from './optim/ParamGroups.js'
/** Optimizer state to plain JSON and back, bit for bit; `disposeReplaced` for owners of the tensors. */
export * as OptimSerialize from './optim/serialize.js'
/** Named tensor trees: `{ 'backbone.fc1.weight': tf.Tensor }`, and `applyUpdates`. */
export * as Tree from './tensor/tree.js'
/** `OptimWrapper.build(optim_wrapper_cfg, groups)`: MMEngine's wrapper dicts as combinators. */
export * as OptimWrapper from './optim/OptimWrapper.js'
export * as Schedulers from './optim/schedulers/index.js'
export * as Safetensors from './tensor/safetensors.js'
export { selectBackend } from './tensor/backend.js'
export type { BackendChoice, BackendName } from './tensor/backend.js'
