/**
 * The one-line progress display `loopwright train` keeps under the log on a
 * terminal. It fits the terminal's width, whatever it is (0 or unknown
 * columns read as 80): parts are dropped whole, least useful first, never cut
 * mid-value. The loss shown is this iteration's (`loss(iter)`), unlike the
 * log lines, whose `loss` is the mean over the log processor's window.
 * @module
 */

/** What the display shows. */
export interface Progress {
  /** Iterations done in the whole run (resumed ones included). */
  readonly done: number
  readonly total: number
  /** The iteration this process started from (for the ETA: only this process's speed counts). */
  readonly startedAt: number
  /** Seconds since this process started training. */
  readonly elapsed: number
  readonly loss: number | undefined
  readonly lr: number | undefined
}

/** `H:MM:SS`, never negative. */
export const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0))
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  return `${Math.floor(s / 3600)}:${mm}:${String(s % 60).padStart(2, '0')}`
}

/** Seconds left at this process's speed so far; 0 before the first iteration and after the last. */
export const eta = (p: Progress): number => {
  const doneHere = p.done - p.startedAt
  return doneHere <= 0 ? 0 : (p.elapsed / doneHere) * Math.max(0, p.total - p.done)
}

/** The columns to fill: the terminal's, or 80 when it reports none. */
export const usableWidth = (columns: number | undefined): number =>
  columns === undefined || columns <= 0 ? 80 : columns

/**
 * The line for `columns` terminal columns (at most `columns - 1` characters,
 * so that the cursor never wraps).
 *
 * @example
 * ```ts
 * progressLine({ done: 5, total: 10, startedAt: 0, elapsed: 5, loss: 0.5, lr: 0.01 }, 60)
 * // "[#####.....] 5/10  eta 0:00:05  loss(iter) 0.5000  lr 1.000e-2"
 * ```
 */
export const progressLine = (p: Progress, columns: number | undefined): string => {
  const width = usableWidth(columns) - 1
  const fraction = p.total === 0 ? 1 : Math.min(1, p.done / p.total)
  const count = `${p.done}/${p.total}`
  // Most useful first; the bar goes first when the line is too long.
  const parts = [
    count,
    `eta ${clock(eta(p))}`,
    ...(p.loss === undefined ? [] : [`loss(iter) ${p.loss.toFixed(4)}`]),
    ...(p.lr === undefined ? [] : [`lr ${p.lr.toExponential(3)}`]),
  ]
  while (parts.length > 1 && parts.join('  ').length > width) parts.pop()
  const text = parts.join('  ')
  if (text.length > width) return count.length <= width ? count : ''
  const barWidth = Math.min(30, width - text.length - 3)
  if (barWidth < 5) return text
  const filled = Math.round(fraction * barWidth)
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${text}`
}
