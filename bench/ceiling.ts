/**
 * What this machine allows two data-parallel workers right now: W threads
 * each doing the same fixed arithmetic per step (calibrated to a given step
 * time on one thread), meeting at the same shared-memory barrier as the
 * workers after every step, with nothing else to do: no gradients, no memory
 * traffic, no allocation. Its throughput speed-up, W × t(1) / t(W), is the
 * most a data-parallel run with steps of that length can reach here: on an
 * idle machine with W free cores it is W; on a shared machine the other
 * processes and the workers' own background threads take it down, and a
 * measured speed-up is best read against this one, taken in the same round.
 */
import { Effect } from 'effect'
import { allocate } from '../src/interpreters/collective/threads.js'
import { spawnWorker } from '../src/interpreters/collective/spawn.js'
import { arithmetic } from './ceilingWork.js'

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Units of `arithmetic` that take `ms` per step on one worker thread (a rough guess here, then a trial there). */
export const calibrate = (ms: number): Effect.Effect<number, Error> =>
  Effect.gen(function* () {
    for (let i = 0; i < 20; i++) arithmetic(1000)
    const start = performance.now()
    arithmetic(1000)
    const guess = Math.max(1, Math.round((ms * 1000) / (performance.now() - start)))
    const trial = yield* ceilingStep(1, guess, Math.max(40, Math.round(400 / ms)))
    return Math.max(1, Math.round((guess * ms) / trial))
  })

/**
 * What each of `workers` threads running the bench module `name` (next to this file) with `{ region, rank, ...data }`
 * posts back first, one shared region between them, in rank order.
 */
export const threadReplies = async <Reply>(name: string, workers: number, data: object): Promise<Reply[]> => {
  const region = allocate(workers, 16)
  const module = new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
  return Promise.all(
    Array.from(
      { length: workers },
      (_, rank) =>
        new Promise<Reply>((resolve, reject) => {
          const worker = spawnWorker(module, { region, rank, ...data })
          worker.once('message', (reply: Reply) => {
            resolve(reply)
            void worker.terminate()
          })
          worker.once('error', reject)
        }),
    ),
  )
}

/** Every rank's step times (`reply.stepMs`) from {@link threadReplies}. */
export const threadStepTimes = async (name: string, workers: number, data: object): Promise<number[][]> =>
  (await threadReplies<{ stepMs: number[] }>(name, workers, data)).map((reply) => reply.stepMs)

/** The median step time of `workers` threads doing `units` of arithmetic per step, the first quarter left out. */
export const ceilingStep = (workers: number, units: number, steps: number): Effect.Effect<number, Error> =>
  Effect.tryPromise({
    try: async () => {
      const replies = await threadStepTimes('ceilingWorker', workers, { units, steps })
      return median(replies[0]!.slice(Math.floor(steps / 4)))
    },
    catch: (e) => (e instanceof Error ? e : new Error(String(e))),
  })
