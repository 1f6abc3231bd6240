/**
 * The entry of one data-parallel worker thread: its own tfjs engine and
 * backend (WASM by default), its own model replica, and the shared-memory
 * communicator of its rank. Runs from the built `dist/` under plain node,
 * and from the sources under tsx (tests, benchmarks).
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as Effect from 'effect/Effect'
import { selectBackend } from '../../tensor/backend.js'
import { train } from '../tensor/train.js'
import type { ThreadJob, WorkerMessage } from './threadJob.js'
import { SIGNAL_CODES } from './threadJob.js'
import { threadCommunicator } from './threads.js'

const job = workerData as ThreadJob
const post = (message: WorkerMessage): void => parentPort!.postMessage(message)
const signals = new Int32Array(job.signals)

const main = Effect.gen(function* () {
  yield* selectBackend(job.backend)
  const stepMs: number[] = []
  const stepCpuMs: number[] = []
  let last: { readonly wall: number; readonly cpu: number } | undefined
  const afterTrainStep = () => {
    // process.cpuUsage() is the whole process's (every worker's) CPU time, also from a worker thread.
    const usage = process.cpuUsage()
    const now = { wall: performance.now(), cpu: (usage.user + usage.system) / 1000 }
    if (last !== undefined) {
      stepMs.push(now.wall - last.wall)
      stepCpuMs.push(now.cpu - last.cpu)
    }
    last = now
  }
  const timing = job.timeSteps === true ? { afterTrainStep } : {}
  const { state: _state, ...trained } = yield* train(job.program, {
    ...job.options,
    ...timing,
    communicator: threadCommunicator(job.region, job.rank),
    print: (level, message) => post({ _tag: 'log', level, message }),
    interrupt: () => {
      const code = Atomics.load(signals, 0)
      return code === SIGNAL_CODES.SIGINT ? 'SIGINT' : code === SIGNAL_CODES.SIGTERM ? 'SIGTERM' : undefined
    },
  })
  post({ _tag: 'done', result: job.timeSteps === true ? { ...trained, stepMs, stepCpuMs } : trained })
}).pipe(
  Effect.catchTags({
    BackendError: (e) =>
      Effect.sync(() => post({ _tag: 'failed', during: 'setup', issues: [{ path: 'backend', message: e.message }] })),
    TrainError: (e) => Effect.sync(() => post({ _tag: 'failed', during: e.during ?? 'setup', issues: e.issues })),
  }),
)

await Effect.runPromise(main)
