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

export const measure = async (
  name: string,
  runs: number,
  body: () => unknown | Promise<unknown>,
  work?: { readonly units: number; readonly unit: string },
): Promise<Result> => {
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

export const report = (results: ReadonlyArray<Result & { readonly cpuMs?: number }>): string =>
  results
    .map(
      (r) =>
        `${r.name.padEnd(58)} median ${r.medianMs.toFixed(1).padStart(9)} ms  ` +
        `[${r.minMs.toFixed(1)} … ${r.maxMs.toFixed(1)}]  n=${r.runs}` +
        `${r.cpuMs === undefined ? '' : `  cpu ${r.cpuMs.toFixed(1)} ms`}` +
        `${r.throughput === undefined ? '' : `  ${Math.round(r.throughput).toLocaleString('en-US')} ${r.unit}/s`}`,
    )
    .join('\n')

/**
 * Run several cases round-robin (A, B, C, A, B, C, …) so that a noisy neighbour
 * slows them alike, and report each case's median. `cpuMs` is the median CPU
 * time this process spent (user + system): on a shared machine it moves far
 * less than wall time when other processes compete for the cores.
 */
export const measureInterleaved = async (
  cases: ReadonlyArray<{ readonly name: string; readonly body: () => unknown | Promise<unknown> }>,
  rounds: number,
): Promise<Array<Result & { readonly cpuMs: number }>> => {
  for (const c of cases) await c.body() // warm-up
  const times = cases.map(() => [] as number[])
  const cpu = cases.map(() => [] as number[])
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      const start = performance.now()
      const used = process.cpuUsage()
      await c.body()
      const spent = process.cpuUsage(used)
      times[i]!.push(performance.now() - start)
      cpu[i]!.push((spent.user + spent.system) / 1000)
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  return cases.map((c, i) => {
    const sorted = times[i]!.sort((a, b) => a - b)
    return {
      name: c.name,
      runs: rounds,
      medianMs: median(sorted),
      minMs: sorted[0]!,
      maxMs: sorted.at(-1)!,
      throughput: undefined,
      unit: undefined,
      cpuMs: median(cpu[i]!),
    }
  })
}
