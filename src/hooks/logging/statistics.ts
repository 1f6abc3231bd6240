/**
 * HistoryBuffer statistics with numpy's arithmetic, so smoothed values in log
 * lines match MMEngine to the last bit (spec §3.4.2).
 * @module
 */
import * as Log from '../../dsl/AppendLog.js'
import type { ScalarHistory } from '../../dsl/MessageHub.js'

/**
 * numpy's pairwise summation of a contiguous float64 slice: a plain loop below
 * 8 items, eight interleaved accumulators up to 128, and halving above that.
 */
export const pairwiseSum = (values: ReadonlyArray<number>, start = 0, n = values.length - start): number => {
  if (n < 8) {
    let sum = 0
    for (let i = 0; i < n; i++) sum += values[start + i]!
    return sum
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => values[start + j]!)
    const blocks = n - (n % 8)
    for (let i = 8; i < blocks; i += 8) for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!
    let sum = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!))
    for (let i = blocks; i < n; i++) sum += values[start + i]!
    return sum
  }
  const half = Math.floor(n / 2)
  const n2 = half - (half % 8)
  return pairwiseSum(values, start, n2) + pairwiseSum(values, start + n2, n - n2)
}

/** A statistic MMEngine's LogProcessor can ask for. */
export type Method = 'mean' | 'max' | 'min' | 'current'

/** `window` = the last `window` entries; all entries when undefined or longer than the history. */
export const statistic = (history: ScalarHistory, method: Method, window?: number): number => {
  if (method === 'current') return Log.at(history.values, -1) ?? NaN
  const values = Log.lastN(history.values, window)
  if (method === 'max') return Math.max(...values)
  if (method === 'min') return Math.min(...values)
  return pairwiseSum(values) / pairwiseSum(Log.lastN(history.counts, window))
}
