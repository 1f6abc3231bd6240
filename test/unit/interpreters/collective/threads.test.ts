import { describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { SPIN_MS, abort, allocate } from '../../../../src/interpreters/collective/threads.js'
import type { SharedRegion } from '../../../../src/interpreters/collective/threads.js'
import { spawnWorker } from '../../../../src/interpreters/collective/spawn.js'

type Reply =
  | {
      ok: true
      reduced: Float32Array[]
      broadcast: Float32Array[]
      gathered: Float32Array[][]
      buffers?: { mean: number[]; count: number[] }
      viaMeans: Float32Array[]
      polls?: Array<string | null>
      voteMeans?: number[][]
    }
  | { ok: false; message: string }

const workerModule = new URL('../../../support/communicatorWorker.ts', import.meta.url)

/** Run `jobs[r]` on rank r of one region, each in its own thread; every rank's reply. */
const runRanks = (
  region: SharedRegion,
  jobs: ReadonlyArray<object>,
  onFirstReply?: (reply: Reply, rank: number) => void,
): Promise<Reply[]> =>
  Promise.all(
    jobs.map(
      (job, rank) =>
        new Promise<Reply>((resolve, reject) => {
          const worker = spawnWorker(workerModule, { region, rank, ...job })
          worker.once('message', (reply: Reply) => {
            onFirstReply?.(reply, rank)
            resolve(reply)
            void worker.terminate()
          })
          worker.once('error', reject)
        }),
    ),
  )

/** The mean the communicator promises: ranks summed in order 0, 1, … in float64, divided, rounded to float32. */
const expectedMean = (arrays: ReadonlyArray<Float32Array>): Float32Array =>
  Float32Array.from(arrays[0]!, (first, i) => arrays.slice(1).reduce((s, a) => s + a[i]!, first) / arrays.length)

const floats = (n: number) =>
  fc.float32Array({ minLength: n, maxLength: n, noDefaultInfinity: true, noNaN: true, min: -1e6, max: 1e6 })

describe('the shared-memory communicator (worker threads)', () => {
  it('averages in place over all ranks, in chunks below and above the region size, alike on every rank', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            world: fc.integer({ min: 2, max: 3 }),
            length: fc.integer({ min: 1, max: 23 }),
            capacity: fc.integer({ min: 1, max: 8 }),
          })
          .chain(({ world, length, capacity }) =>
            fc.record({
              world: fc.constant(world),
              capacity: fc.constant(capacity),
              inputs: fc.array(floats(length), { minLength: world, maxLength: world }),
            }),
          ),
        async ({ world, capacity, inputs }) => {
          const second = inputs.map((a) => a.map((v) => v * 0.5 + 1))
          const region = allocate(world, capacity)
          // Then the same means through the transport's own buffers (`allReduceMeanVia`), twice in a row.
          const jobs = inputs.map((values, r) => ({
            reduce: [values, second[r]!],
            broadcast: [],
            via: [second[r]!, values],
          }))
          const replies = await runRanks(region, jobs)
          for (const reply of replies) {
            if (!reply.ok) throw new Error(reply.message)
            expect(Array.from(reply.reduced[0]!)).toEqual(Array.from(expectedMean(inputs)))
            expect(Array.from(reply.reduced[1]!)).toEqual(Array.from(expectedMean(second)))
            expect(Array.from(reply.viaMeans[0]!)).toEqual(Array.from(expectedMean(second)))
            expect(Array.from(reply.viaMeans[1]!)).toEqual(Array.from(expectedMean(inputs)))
          }
        },
      ),
      { numRuns: 4 },
    )
  }, 240_000)

  it('interrupt votes: every rank stops at the same poll, at most one iteration after the signal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }).chain((world) =>
          fc.record({
            world: fc.constant(world),
            exchange: fc.array(fc.boolean(), { minLength: 2, maxLength: 12 }),
            seer: fc.integer({ min: 0, max: world - 1 }),
            signalAt: fc.option(fc.nat(11), { nil: undefined }),
          }),
        ),
        async ({ world, exchange, seer, signalAt }) => {
          const region = allocate(world, 4)
          const jobs = Array.from({ length: world }, (_, r) => ({
            reduce: [],
            broadcast: [],
            votes: { exchange, ...(r === seer && signalAt !== undefined ? { signalAt } : {}) },
          }))
          const replies = await runRanks(region, jobs)
          const polls = replies.map((reply) => {
            if (!reply.ok) throw new Error(reply.message)
            return reply.polls!
          })
          // The same boundary on every rank: the seer names its signal, the others SIGINT.
          const stops = polls.map((p) => p.findIndex((answer) => answer !== null))
          expect(new Set(stops).size).toBe(1)
          const stop = stops[0]!
          if (signalAt === undefined || signalAt >= exchange.length) expect(stop).toBe(-1)
          else {
            // A vote cast at a poll travels with the next gradient average: one iteration later when the
            // iteration before the poll averaged gradients, at once otherwise (its own all-reduce).
            const expected = signalAt > 0 && exchange[signalAt - 1] === true ? signalAt + 1 : signalAt
            expect(stop).toBe(expected < exchange.length ? expected : -1)
            if (stop !== -1)
              for (const [r, p] of polls.entries()) expect(p[stop]).toBe(r === seer ? 'SIGTERM' : 'SIGINT')
          }
          // The gradients carrying the votes still average right: [mean rank, i] per exchange.
          const meanRank = (world - 1) / 2
          const expectedMeans = exchange.flatMap((e, i) => (e ? [[meanRank, i]] : []))
          for (const reply of replies) if (reply.ok) expect(reply.voteMeans).toEqual(expectedMeans)
        },
      ),
      { numRuns: 6 },
    )
  }, 240_000)

  it('waiting ranks spin before they sleep only when every worker has a core of its own', () => {
    expect(allocate(2, 4, 2).spinMs).toBe(SPIN_MS)
    expect(allocate(2, 4, 16).spinMs).toBe(SPIN_MS)
    expect(allocate(3, 4, 2).spinMs).toBe(0)
  })

  it("broadcasts the root rank's values to every rank", async () => {
    const region = allocate(3, 4)
    const own = (r: number) => Float32Array.from({ length: 10 }, (_, i) => r * 100 + i)
    const broadcasts = (r: number) => [
      { values: own(r), root: 2 },
      { values: own(r), root: 0 },
    ]
    const jobs = [0, 1, 2].map((r) => ({ reduce: [], broadcast: broadcasts(r) }))
    const replies = await runRanks(region, jobs)
    for (const reply of replies) {
      if (!reply.ok) throw new Error(reply.message)
      expect(Array.from(reply.broadcast[0]!)).toEqual(Array.from(own(2)))
      expect(Array.from(reply.broadcast[1]!)).toEqual(Array.from(own(0)))
    }
  })

  it('all-gathers arrays of different lengths (none too), in rank order, through chunks, on every rank', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }).chain((world) =>
          fc.record({
            capacity: fc.integer({ min: 1, max: 6 }),
            inputs: fc.array(fc.array(fc.float32Array({ maxLength: 13 }), { minLength: 2, maxLength: 2 }), {
              minLength: world,
              maxLength: world,
            }),
          }),
        ),
        async ({ capacity, inputs }) => {
          const region = allocate(inputs.length, capacity)
          const replies = await runRanks(
            region,
            inputs.map((gather) => ({ reduce: [], broadcast: [], gather })),
          )
          // Bits, so that NaN payloads and −0 count too.
          const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer))
          for (const reply of replies) {
            if (!reply.ok) throw new Error(reply.message)
            for (const call of [0, 1])
              expect(reply.gathered[call]!.map(bits)).toEqual(inputs.map((own) => bits(own[call]!)))
          }
        },
      ),
      { numRuns: 4 },
    )
  }, 240_000)

  // Its workers load tfjs: on a loaded shared machine that alone took over the default minute.
  it("the hooks' Collective service (SyncBuffersHook) averages float buffers, keeps integer ones", async () => {
    const region = allocate(2, 16)
    const replies = await runRanks(region, [
      { reduce: [], broadcast: [], buffers: { mean: [1, 2, 3], count: 7 } },
      { reduce: [], broadcast: [], buffers: { mean: [3, 6, -3], count: 7 } },
    ])
    for (const reply of replies) {
      if (!reply.ok) throw new Error(reply.message)
      expect(reply.buffers).toEqual({ mean: [2, 4, 0], count: [7] })
    }
  }, 240_000)

  it('a rank waiting for a failed one stops with an error naming it instead of waiting forever', async () => {
    const region = allocate(2, 4)
    const jobs = [
      { reduce: [Float32Array.of(1)], broadcast: [] },
      { reduce: [Float32Array.of(1)], broadcast: [], failFirst: true },
    ]
    const replies = await runRanks(region, jobs, (reply, rank) => {
      // What the launcher does when a worker fails.
      if (!reply.ok && rank === 1) abort(region, 1)
    })
    expect(replies[1]).toEqual({ ok: false, message: 'rank 1 fails on purpose' })
    expect(replies[0]).toEqual({ ok: false, message: 'worker 1 failed; worker 0 stops' })
  })
})
