/**
 * Data parallel on one machine: `workers` worker threads, each training a
 * replica of the same program on its shard of the data, gradients averaged
 * in shared memory (`threads.ts`). Rank 0 writes the checkpoints and logs
 * (its log lines come back here to be printed); every rank's result comes
 * back, rank 0's first.
 *
 * A worker that fails stops the others (they would otherwise wait for it at
 * the next all-reduce); the run's error is the failed worker's.
 *
 * @example
 * ```ts
 * const [rank0] = await Effect.runPromise(trainThreads(program, { workers: 2, backend: 'wasm', options: {} }))
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import type { Issue } from '../../schema/codec.js'
import type { Program } from '../../dsl/Program.js'
import type { LogLevel } from '../../dsl/Services.js'
import type { BackendChoice } from '../../tensor/backend.js'
import { TrainError, timestampOf } from '../tensor/train.js'
import type { PortableTrainOptions, ThreadJob, WorkerMessage, WorkerResult } from './threadJob.js'
import { SIGNAL_CODES } from './threadJob.js'
import { abort, allocate } from './threads.js'
import { sibling, spawnWorker } from './spawn.js'

export interface ThreadRunOptions {
  readonly workers: number
  /** Each worker's backend (default `'wasm'`: every worker thread gets its own WASM instance). */
  readonly backend?: BackendChoice
  readonly options: PortableTrainOptions
  /** Where rank 0's log lines go. Default: standard output. */
  readonly print?: (level: LogLevel, message: string) => void
  /** Polled while the workers run: a signal name makes every worker stop at the same iteration with a checkpoint. */
  readonly interrupt?: () => 'SIGINT' | 'SIGTERM' | undefined
  /** Floats per rank in one all-reduce chunk (default 1 Mi). */
  readonly capacity?: number
  /** Report each rank's step times (`stepMs`), for benchmarks. */
  readonly timeSteps?: boolean
}

const defaultPrint = (level: LogLevel, message: string): void => {
  const line = `${new Date().toISOString().replace('T', ' ').slice(0, 19)} - loopwright - ${level} - ${message}\n`
  ;(level === 'ERROR' || level === 'WARNING' ? process.stderr : process.stdout).write(line)
}

const runWorkers = (program: Program, run: ThreadRunOptions): Promise<ReadonlyArray<WorkerResult>> =>
  new Promise((resolve, reject) => {
    const region = allocate(run.workers, run.capacity)
    const stamp = timestampOf(new Date())
    const signals = new SharedArrayBuffer(4)
    const print = run.print ?? defaultPrint
    const results: (WorkerResult | undefined)[] = new Array(run.workers).fill(undefined)
    let failure:
      | { readonly rank: number; readonly during: 'setup' | 'run'; readonly issues: ReadonlyArray<Issue> }
      | undefined
    let pending = run.workers
    const poll =
      run.interrupt === undefined
        ? undefined
        : setInterval(() => {
            const signal = run.interrupt!()
            if (signal !== undefined) Atomics.store(new Int32Array(signals), 0, SIGNAL_CODES[signal])
          }, 20)
    const fail = (rank: number, during: 'setup' | 'run', issues: ReadonlyArray<Issue>) => {
      // The first failure is the cause; the others are workers stopping because of it.
      if (failure === undefined) failure = { rank, during, issues }
      abort(region, rank)
    }
    const finished = () => {
      if (--pending > 0) return
      if (poll !== undefined) clearInterval(poll)
      if (failure !== undefined) {
        const where = failure.issues.map((i) => ({ ...i, message: `worker ${failure!.rank}: ${i.message}` }))
        reject(new TrainError({ issues: where, during: failure.during }))
      } else resolve(results as WorkerResult[])
    }
    for (let rank = 0; rank < run.workers; rank++) {
      const job: ThreadJob = {
        program,
        // One timestamp for all ranks: the log folder and experiment name are the run's, not a thread's.
        options: { timestamp: stamp, ...run.options },
        backend: run.backend ?? 'wasm',
        region,
        signals,
        rank,
        ...(run.timeSteps === true ? { timeSteps: true } : {}),
      }
      const worker = spawnWorker(sibling('worker', import.meta.url), job)
      let settled = false
      worker.on('message', (message: WorkerMessage) => {
        if (message._tag === 'log') print(message.level, message.message)
        else if (message._tag === 'done') results[rank] = message.result
        else fail(rank, message.during, message.issues)
      })
      worker.on('error', (e) => fail(rank, 'run', [{ path: 'worker', message: e.message }]))
      worker.on('exit', (code) => {
        if (settled) return
        settled = true
        if (results[rank] === undefined && failure === undefined) {
          fail(rank, 'run', [{ path: 'worker', message: `exited with code ${code} before finishing` }])
        }
        finished()
      })
    }
  })

/** Train `program` on `workers` threads; resolves to every rank's result, rank 0's first. */
export const trainThreads = (
  program: Program,
  run: ThreadRunOptions,
): Effect.Effect<ReadonlyArray<WorkerResult>, TrainError> =>
  Effect.tryPromise({
    try: () => runWorkers(program, run),
    catch: (e) => {
      if (e instanceof TrainError) return e
      const message = e instanceof Error ? e.message : String(e)
      return new TrainError({ issues: [{ path: 'workers', message }], during: 'run' })
    },
  })
