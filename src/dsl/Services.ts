/**
 * The services hooks reach the world through. Each is a key with an
 * interface; the tensor and dry-run interpreters provide different Layers,
 * so a hook cannot tell which interpreter runs it except through these.
 *
 * Declaring a key is pure: nothing here touches files, clocks or tensors.
 * @module
 */
import * as Context from 'effect/Context'
import * as Data from 'effect/Data'
import type * as Effect from 'effect/Effect'
import type { Sizes } from './timeline.js'
import type { State, TensorRef, TensorTree } from './State.js'
import type { HookError } from './Hook.js'
import type { Json } from './MessageHub.js'

/** Wall-clock seconds (monotonic within a run). The dry run's clock is a counter. */
export class Clock extends Context.Service<Clock, { readonly now: Effect.Effect<number> }>()('loopwright/Clock') {}

/** Severity of a log record, with MMEngine's names. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR'

/** The run's text log (console and log file). */
export class Logger extends Context.Service<
  Logger,
  { readonly log: (level: LogLevel, message: string) => Effect.Effect<void> }
>()('loopwright/Logger') {}

/** A file operation failed; `path` says which file. */
export class FileError extends Data.TaggedError('FileError')<{ readonly path: string; readonly message: string }> {}

/** Small text files the hooks write (`last_checkpoint`, JSON logs). The dry run records instead of writing. */
export class Files extends Context.Service<
  Files,
  {
    readonly writeText: (path: string, text: string) => Effect.Effect<void, FileError>
    readonly appendText: (path: string, text: string) => Effect.Effect<void, FileError>
    readonly remove: (path: string) => Effect.Effect<void, FileError>
    readonly writeBytes: (path: string, bytes: Uint8Array) => Effect.Effect<void, FileError>
    /** Append bytes (TensorBoard event records), creating the file and its folders as needed. */
    readonly appendBytes: (path: string, bytes: Uint8Array) => Effect.Effect<void, FileError>
    /**
     * Copy every file under `fromDir` (recursively) whose name ends with one of
     * `suffixes` to the same relative place under `toDir`; remove the originals
     * unless `keepLocal`. Returns the destination paths. (`LoggerHook(out_dir=...)`.)
     */
    readonly copyOut: (
      fromDir: string,
      toDir: string,
      suffixes: ReadonlyArray<string>,
      keepLocal: boolean,
    ) => Effect.Effect<ReadonlyArray<string>, FileError>
  }
>()('loopwright/Files') {}

/** What to save and where (spec §3.6.3). */
export interface SaveRequest {
  readonly path: string
  readonly meta: { readonly epoch: number; readonly iter: number }
  readonly saveOptimizer: boolean
  readonly saveParamScheduler: boolean
}

/**
 * Checkpoint writing. `save` runs the `before_save_checkpoint` hooks on the
 * state to be saved (they shape the checkpoint, not the run) and stores it.
 */
export class Checkpoints extends Context.Service<
  Checkpoints,
  {
    readonly save: (state: State, request: SaveRequest) => Effect.Effect<void, HookError | FileError>
    /**
     * `CheckpointHook(published_keys=...)`: re-save the checkpoint at `path`
     * keeping only `keys` (`meta`, `state_dict`, …) as `<stem>-<first 8 hex
     * digits of its SHA-256>.safetensors`; returns the new path.
     */
    readonly publish: (path: string, keys: ReadonlyArray<string>) => Effect.Effect<string, FileError>
  }
>()('loopwright/Checkpoints') {}

/** Facts about the run that do not change while it runs. */
export interface RunFacts {
  readonly workDir: string
  /** `work_dir/<timestamp>`: log file and `vis_data/` live here. */
  readonly logDir: string
  readonly timestamp: string
  readonly experimentName: string
  /** The config as text (MessageHub info `cfg`). */
  readonly configText: string
  /** Batches per epoch of each data loader. */
  readonly sizes: Sizes
  /** `train_dataloader.dataset.metainfo`, when the dataset has one. */
  readonly datasetMeta: Json | undefined
}

export class Run extends Context.Service<Run, RunFacts>()('loopwright/Run') {}

/** When `ParamSchedulerHook` steps schedulers (spec §3.5). */
export type SchedulerTrigger =
  | { readonly _tag: 'AfterTrainIter' }
  | { readonly _tag: 'AfterTrainEpoch' }
  | { readonly _tag: 'AfterValEpoch'; readonly metrics: { readonly [name: string]: Json } }

/**
 * Parameter schedulers, stepped by `ParamSchedulerHook`. The optimizer layer
 * provides this service; it steps the schedulers held in `state.optim`.
 */
export class ParamSchedulers extends Context.Service<
  ParamSchedulers,
  {
    readonly step: (state: State, trigger: SchedulerTrigger) => Effect.Effect<State, HookError>
    /**
     * `optim_wrapper.get_lr()` as scalars: `lr`, `base_lr` (or `name.lr` per wrapper of a dict), first group's value.
     */
    readonly learningRates: (state: State) => { readonly [name: string]: number }
  }
>()('loopwright/ParamSchedulers') {}

/** Values read back from a tensor (row-major). */
export type TensorValues = Float32Array | Int32Array | Uint8Array

/**
 * The tensor arithmetic hooks need (EMA, visualisation, cache release), on
 * refs the interpreter owns. Hooks never hold tensors: they pass refs in and
 * get new refs back, and the interpreter frees what the state drops. The dry
 * run answers with refs of the same shapes and zero values.
 */
export class TensorOps extends Context.Service<
  TensorOps,
  {
    /** `(1 − weight)·avg + weight·value` for every name of `avg` (MMEngine's averaging convention); new refs. */
    readonly lerp: (avg: TensorTree, value: TensorTree, weight: number) => Effect.Effect<TensorTree>
    /** Copies of every tensor of `tree` (new refs). */
    readonly copy: (tree: TensorTree) => Effect.Effect<TensorTree>
    /** A tensor's values. */
    readonly read: (ref: TensorRef) => Effect.Effect<TensorValues>
    /**
     * Ask the backend to release memory it keeps in reserve (`torch.cuda.empty_cache()`'s
     * counterpart); bytes held before and after, or `undefined` where the backend has nothing to release.
     */
    readonly releaseMemory: Effect.Effect<{ readonly before: number; readonly after: number } | undefined>
  }
>()('loopwright/TensorOps') {}

/**
 * Communication between data-parallel workers (MMEngine's `mmengine.dist`).
 * With one process it is the identity; tests provide simulated workers.
 */
export class Collective extends Context.Service<
  Collective,
  {
    readonly worldSize: number
    readonly rank: number
    /** The element-wise mean of `tree` over all workers (new refs; the same refs with one worker). */
    readonly allReduceMean: (tree: TensorTree) => Effect.Effect<TensorTree>
  }
>()('loopwright/Collective') {}

/** Host values for a tensor a hook builds (row-major). */
export interface HostTensor {
  readonly values: Float32Array | Int32Array
  readonly shape: ReadonlyArray<number>
  readonly dtype: 'float32' | 'int32'
}

/** Features of every sample of a dataset, one row each in dataset order (`count × dim`, row-major). */
export interface ExtractedFeatures {
  readonly values: Float32Array
  readonly count: number
  readonly dim: number
}

/**
 * What clustering hooks (`DeepClusterHook`, `ODCHook`) ask of the model and the data: features of a whole
 * dataset, parameters drawn afresh, tensors made from host values. The dry run extracts nothing (`undefined`), keeps
 * parameters as they are and answers with refs of the right shapes, so the hooks' plans show when they would act.
 */
export class ModelOps extends Context.Service<
  ModelOps,
  {
    /**
     * The model's clustering features (MMSelfSup's `Extractor`: eval mode, no augmentation) over the dataset of
     * `dataloader` (a data loader dict: `batch_size`, `dataset`), in dataset order; `undefined` in the dry run.
     * `where` names the dict in errors.
     */
    readonly extractFeatures: (
      state: State,
      dataloader: { readonly [key: string]: Json },
      where: string,
    ) => Effect.Effect<ExtractedFeatures | undefined, string>
    /**
     * The state with the model's parameters and buffers under `prefix` drawn afresh as the model's initialisation
     * draws them (MMSelfSup's `head.init_weights()`), from the stream of `seed`.
     */
    readonly reinitialise: (state: State, prefix: string, seed: number) => Effect.Effect<State>
    /** New tensors holding `values` (refs the interpreter owns). */
    readonly fromValues: (values: { readonly [name: string]: HostTensor }) => Effect.Effect<TensorTree>
  }
>()('loopwright/ModelOps') {}

/**
 * The clustering `DeepClusterHook` runs (MMSelfSup's `Kmeans`, which calls faiss). Optional: without it the hook
 * runs loopwright's own k-means (`src/selfsup/numerics/kmeans.ts`). A replay of a recorded MMSelfSup run provides
 * it, to answer with the labels faiss gave there, which no other k-means reproduces label for label.
 */
export class Clustering extends Context.Service<
  Clustering,
  {
    /** The labels of `features` (`k` clusters, as `clustering` configures them), or why there are none. */
    readonly cluster: (
      features: ExtractedFeatures,
      clustering: { readonly type: string; readonly k: number; readonly pca_dim?: number },
      seed: number,
    ) => Effect.Effect<Int32Array, string>
  }
>()('loopwright/Clustering') {}

/** Every service a built-in hook may use. */
export type HookServices =
  | Clock
  | Logger
  | Files
  | Checkpoints
  | Run
  | ParamSchedulers
  | TensorOps
  | Collective
  | ModelOps

/** A train, val or test step failed (a model or data problem), named with its coordinates. */
export class StepError extends Data.TaggedError('StepError')<{
  readonly mode: 'train' | 'val' | 'test'
  readonly iter: number
  readonly batchIdx: number
  readonly message: string
}> {}

/**
 * The steps themselves: forward, loss, gradients and the optimizer for a
 * train step; forward and metrics for val/test. The tensor interpreter
 * computes; the dry run only records that a step happens.
 */
export class Steps extends Context.Service<
  Steps,
  {
    readonly run: (state: State, event: import('./Event.js').StepEvent) => Effect.Effect<State, StepError>
    /**
     * The evaluator's `evaluate()` at the end of a val/test epoch: the metrics
     * of every batch since the epoch began, put in `state.metrics` before the
     * `after_val_epoch`/`after_test_epoch` hooks see them.
     */
    readonly evaluate: (state: State, mode: 'val' | 'test') => Effect.Effect<State, StepError>
  }
>()('loopwright/Steps') {}
