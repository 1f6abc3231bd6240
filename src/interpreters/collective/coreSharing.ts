/**
 * Whether data-parallel workers on this machine will share their cores with
 * other busy work. Every step waits at the gradient average for the slower
 * worker, so a worker that loses its core for one scheduler slice stretches
 * the step of every worker by that slice. Measured here (2 cores, MLP at
 * batch 64, 800-step runs, medians of the second half): two workers beside
 * one always-busy process took 4.7–22.6 ms a step (whatever the barrier's
 * spinning), one worker alone 3.1–3.6 ms, so two workers then trained more
 * slowly than one. The launcher says so in one line before it starts.
 * @module
 */
import { readFileSync } from 'node:fs'

/**
 * Runnable tasks of the whole machine, sampled `times` times `gapMs` apart from `/proc/loadavg`'s fourth field
 * (`running/total`; the sampling thread counts itself); `undefined` where there is no such file (not Linux).
 */
export const sampleRunnable = (times = 5, gapMs = 20): number[] | undefined => {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  const samples: number[] = []
  for (let i = 0; i < times; i++) {
    if (i > 0) Atomics.wait(pause, 0, 0, gapMs)
    let text: string
    try {
      text = readFileSync('/proc/loadavg', 'utf8')
    } catch {
      return undefined
    }
    const running = Number(text.split(' ')[3]?.split('/')[0])
    if (!Number.isFinite(running)) return undefined
    samples.push(running)
  }
  return samples
}

/**
 * The warning for `workers` workers on `cores` cores when the median of `runnable` (samples from
 * {@link sampleRunnable}, taken by one thread of this process while nothing else of it runs) leaves fewer free
 * cores than workers; `undefined` when each worker can have a core.
 */
export const coreSharingWarning = (
  workers: number,
  cores: number,
  runnable: ReadonlyArray<number>,
): string | undefined => {
  if (runnable.length === 0) return undefined
  const sorted = [...runnable].sort((a, b) => a - b)
  const others = Math.max(0, sorted[Math.floor(sorted.length / 2)]! - 1)
  if (workers + others <= cores) return undefined
  const beside = others === 0 ? '' : ` beside ${others} other busy task${others === 1 ? '' : 's'}`
  return (
    `${workers} workers on ${cores} cores${beside}: every step waits for the slowest worker, and a worker sharing ` +
    `its core stretches every step (here two workers beside one busy process trained slower than one alone); ` +
    `use --workers ${Math.max(1, cores - others)} or free the cores`
  )
}
