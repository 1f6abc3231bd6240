/**
 * Run a test's worker module as every rank of one shared region: `jobs[r]` goes to rank r (with `region` and
 * `rank`), each in its own thread; every rank's reply, in rank order. A reply `{ ok: false, message }` fails the run
 * with its rank and message.
 */
import { allocate } from '../../src/interpreters/collective/threads.js'
import { spawnWorker } from '../../src/interpreters/collective/spawn.js'

export const runRanks = <Reply>(module: URL, jobs: ReadonlyArray<object>, capacity = 64): Promise<Reply[]> => {
  const region = allocate(jobs.length, capacity)
  return Promise.all(
    jobs.map(
      (job, rank) =>
        new Promise<Reply>((resolve, reject) => {
          const worker = spawnWorker(module, { region, rank, ...job })
          worker.once('message', (reply: Reply & { readonly ok: boolean; readonly message?: string }) => {
            void worker.terminate()
            if (reply.ok) resolve(reply)
            else reject(new Error(`rank ${rank}: ${reply.message}`))
          })
          worker.once('error', reject)
        }),
    ),
  )
}
