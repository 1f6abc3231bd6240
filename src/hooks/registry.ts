/**
 * The hook types loopwright provides, as a registry keyed by config `type`.
 * Users add their own with `Registry.register(defaultHookTypes, myType)`.
 * @module
 */
import * as Registry from '../schema/registry.js'
import { CheckpointHook } from './CheckpointHook.js'
import { DistSamplerSeedHook } from './DistSamplerSeedHook.js'
import { EarlyStoppingHook } from './EarlyStoppingHook.js'
import { EMAHook } from './EMAHook.js'
import { EmptyCacheHook } from './EmptyCacheHook.js'
import { erase } from './HookType.js'
import type { HookType } from './HookType.js'
import { IterTimerHook } from './IterTimerHook.js'
import { LoggerHook } from './LoggerHook.js'
import { NaiveVisualizationHook } from './NaiveVisualizationHook.js'
import { ParamSchedulerHook } from './ParamSchedulerHook.js'
import { RuntimeInfoHook } from './RuntimeInfoHook.js'
import { SyncBuffersHook } from './SyncBuffersHook.js'
import { DenseCLHook } from './DenseCLHook.js'
import { SimSiamHook } from './SimSiamHook.js'
import { SwAVHook } from './SwAVHook.js'
import { VisualizationHook } from './PretrainVisualizationHook.js'
import { CollapseDetectionHook } from './CollapseDetectionHook.js'
import { DeepClusterHook } from './DeepClusterHook.js'
import { ODCHook } from './ODCHook.js'

/** MMEngine and MMSelfSup hooks that configs name but loopwright does not provide yet. */
const planned: ReadonlyArray<readonly [string, string]> = [
  ['ProfilerHook', 'PyTorch-profiler specific; not planned'],
  ['NPUProfilerHook', 'Ascend-NPU specific; not planned'],
  ['PrepareTTAHook', 'test-time augmentation is not planned'],
]

/** Every hook type loopwright provides. */
export const defaultHookTypes: Registry.Registry<HookType<unknown>> = Registry.make(
  'hook',
  [
    erase(RuntimeInfoHook),
    erase(IterTimerHook),
    erase(DistSamplerSeedHook),
    erase(LoggerHook),
    erase(ParamSchedulerHook),
    erase(CheckpointHook),
    erase(EMAHook),
    erase(EmptyCacheHook),
    erase(SyncBuffersHook),
    erase(NaiveVisualizationHook),
    erase(EarlyStoppingHook),
    erase(VisualizationHook),
    // MMSelfSup's hooks, in MMSelfSup's order.
    erase(DeepClusterHook),
    erase(DenseCLHook),
    erase(ODCHook),
    erase(SimSiamHook),
    erase(SwAVHook),
    // loopwright's own: warns when a self-supervised run's features collapse.
    erase(CollapseDetectionHook),
  ],
  planned,
)
