/**
 * A worker thread for `test/unit/selfsup/distributed.test.ts`: rank `rank` of a shared region trains each program
 * in turn as one data-parallel replica (WASM, as `loopwright train --workers N` does) and posts every run's final
 * parameters, buffers and model attributes. One thread start serves every algorithm.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Effect } from 'effect'
import type { Program } from '../../src/dsl/Program.js'
import { abort, threadCommunicator } from '../../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../../src/interpreters/collective/threads.js'
import { train } from '../../src/interpreters/tensor/train.js'
import { selectBackend } from '../../src/tensor/backend.js'

interface Job {
  readonly region: SharedRegion
  readonly rank: number
  readonly programs: ReadonlyArray<{ readonly name: string; readonly program: Program }>
  readonly workDir: string
}

const job = workerData as Job
let current = 'the backend'
try {
  await Effect.runPromise(selectBackend('wasm'))
  const communicator = threadCommunicator(job.region, job.rank)
  const results = []
  for (const { name, program } of job.programs) {
    current = name
    const outcome = await Effect.runPromise(
      Effect.result(
        train(program, {
          communicator,
          workDir: job.workDir,
          timestamp: name,
          writeCheckpoints: false,
          print: () => {},
        }),
      ),
    )
    if (outcome._tag === 'Failure') throw new Error(outcome.failure.issues.map((i) => i.message).join('; '))
    const r = outcome.success
    results.push({
      name,
      iterations: r.iterations,
      params: r.params,
      buffers: r.buffers,
      attributes: r.state.model.attributes,
    })
  }
  parentPort!.postMessage({ ok: true, results })
} catch (e) {
  abort(job.region, job.rank)
  parentPort!.postMessage({ ok: false, message: `${current}: ${e instanceof Error ? e.message : String(e)}` })
}
