/**
 * What the launcher sends each worker thread and what comes back: plain,
 * structured-clonable data (a `Program` is JSON; datasets are typed arrays).
 * @module
 */
import type { Program } from '../../dsl/Program.js'
import type { LogLevel } from '../../dsl/Services.js'
import type { BackendChoice } from '../../tensor/backend.js'
import type { Issue } from '../../schema/codec.js'
import type { TrainOptions, TrainResult } from '../tensor/train.js'
import type { SharedRegion } from './threads.js'

/** The options of `train` that can cross a thread boundary. */
export type PortableTrainOptions = Pick<
  TrainOptions,
  | 'configName'
  | 'configText'
  | 'workDir'
  | 'resume'
  | 'datasets'
  | 'initialParams'
  | 'testAfterTrain'
  | 'timestamp'
  | 'writeCheckpoints'
>

export interface ThreadJob {
  readonly program: Program
  readonly options: PortableTrainOptions
  /** Record the wall time between consecutive train steps (benchmarks). */
  readonly timeSteps?: boolean
  readonly backend: BackendChoice
  readonly region: SharedRegion
  /** One int: 0, or the signal the launcher received (1 SIGINT, 2 SIGTERM). */
  readonly signals: SharedArrayBuffer
  readonly rank: number
}

/** A worker's result: the run's result without its state (whose refs live in the worker). */
export type WorkerResult = Omit<TrainResult, 'state'> & {
  /** Milliseconds from each train step's end to the next one's, when the job asked for them. */
  readonly stepMs?: ReadonlyArray<number>
  /** The process's CPU milliseconds (all workers together) over the same intervals. */
  readonly stepCpuMs?: ReadonlyArray<number>
}

export type WorkerMessage =
  | { readonly _tag: 'log'; readonly level: LogLevel; readonly message: string }
  | { readonly _tag: 'done'; readonly result: WorkerResult }
  | { readonly _tag: 'failed'; readonly during: 'setup' | 'run'; readonly issues: ReadonlyArray<Issue> }

export const SIGNAL_CODES = { SIGINT: 1, SIGTERM: 2 } as const
