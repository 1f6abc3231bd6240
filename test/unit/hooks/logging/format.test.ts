import { describe, expect, it } from 'vitest'
import { exponential, fixed, pythonJson, timedelta } from '../../../../src/hooks/logging/format.js'
import { pairwiseSum, statistic } from '../../../../src/hooks/logging/statistics.js'
import * as Hub from '../../../../src/dsl/MessageHub.js'

describe('Python number formatting', () => {
  it('formats exponents with a sign and two digits', () => {
    expect(exponential(0.01, 4)).toBe('1.0000e-02')
    expect(exponential(1.5e-4, 4)).toBe('1.5000e-04')
    expect(exponential(12345, 2)).toBe('1.23e+04')
    expect(exponential(1e-120, 1)).toBe('1.0e-120')
    expect(exponential(NaN, 4)).toBe('nan')
  })
  it('formats fixed-point numbers and non-finite values as Python', () => {
    expect(fixed(0.81234, 4)).toBe('0.8123')
    expect(fixed(-Infinity, 4)).toBe('-inf')
  })
  it('prints durations as timedelta does', () => {
    expect(timedelta(3 * 86400 + 3723.9)).toBe('3 days, 1:02:03')
    expect(timedelta(86400)).toBe('1 day, 0:00:00')
    expect(timedelta(59.99)).toBe('0:00:59')
    expect(timedelta(0)).toBe('0:00:00')
  })
  it('writes JSON with Python’s separators and spellings', () => {
    expect(pythonJson({ lr: 0.00015, data_time: 0.0123, loss: NaN, epoch: 1, step: 50 })).toBe(
      '{"lr": 0.00015, "data_time": 0.0123, "loss": NaN, "epoch": 1, "step": 50}',
    )
    expect(pythonJson({ a: [1, Infinity], b: 'x' })).toBe('{"a": [1, Infinity], "b": "x"}')
  })
})

describe('HistoryBuffer statistics with numpy’s pairwise summation', () => {
  it('sums fewer than 8 values left to right', () => {
    expect(pairwiseSum([1e16, 1, -1e16, 1])).toBe(1)
  })
  it('uses eight interleaved accumulators from 8 to 128 values (differs from a plain loop)', () => {
    const values = [1e16, 1, -1e16, 1, 0, 0, 0, 0, 1]
    const naive = values.reduce((a, b) => a + b, 0)
    expect(naive).toBe(2)
    expect(pairwiseSum(values)).toBe(1)
  })
  it('splits above 128 values at a multiple of 8 and recurses', () => {
    const values = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 0.1 : 1 / (i + 1)))
    const n2 = 150 - (150 % 8)
    expect(pairwiseSum(values)).toBe(pairwiseSum(values.slice(0, n2)) + pairwiseSum(values.slice(n2)))
  })
  it('computes window means, max, min and current over a history', () => {
    let hub = Hub.empty
    for (const v of [1, 2, 3, 4, 10]) hub = Hub.updateScalar(hub, 'loss', v)
    const history = hub.scalars.get('loss')!
    expect(statistic(history, 'mean', 2)).toBe(7)
    expect(statistic(history, 'mean')).toBe(4)
    expect(statistic(history, 'max', 3)).toBe(10)
    expect(statistic(history, 'min', 3)).toBe(3)
    expect(statistic(history, 'current')).toBe(10)
  })
})
