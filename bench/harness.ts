/**
 * A small benchmark harness: run a case several times, report the median
 * (this machine is shared and noisy; medians of side-by-side runs are what we quote).
 */
import { performance } from 'node:perf_hooks'

export interface Result {
  readonly name: string
  readonly runs: number
  readonly medianMs: number
  readonly minMs: number
  readonly maxMs: number
  /** Work units per second at the median (e.g. iterations/s). */
  readonly throughput: number | undefined
  readonly unit: string | undefined
}

export const measure = async (name: string, runs: number, body: () => unknown | Promise<unknown>, work?: { readonly units: number; readonly unit: string }): Promise<Result> => {
  await body() // warm-up
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await body()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  const medianMs = times[Math.floor(times.length / 2)]!
  return {
    name,
    runs,
    medianMs,
    minMs: times[0]!,
    maxMs: times.at(-1)!,
    throughput: work === undefined ? undefined : work.units / (medianMs / 1000),
    unit: work?.unit,
  }
}

export const report = (results: ReadonlyArray<Result>): string =>
  results
    .map((r) => `${r.name.padEnd(58)} median ${r.medianMs.toFixed(1).padStart(9)} ms  [${r.minMs.toFixed(1)} … ${r.maxMs.toFixed(1)}]  n=${r.runs}${r.throughput === undefined ? '' : `  ${Math.round(r.throughput).toLocaleString('en-US')} ${r.unit}/s`}`)
    .join('\n')
