import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clock, eta, progressLine } from '../../../src/cli/progress.js'

const at = { done: 5, total: 10, startedAt: 0, elapsed: 5, loss: 0.5, lr: 0.01 }

describe('progressLine', () => {
  it('shows the bar, the count, the ETA, and labels the loss as this iteration’s', () => {
    expect(progressLine(at, 100)).toMatch(/^\[#+\.+\] 5\/10 {2}eta 0:00:05 {2}loss\(iter\) 0\.5000 {2}lr 1\.000e-2$/)
  })

  it('fits any width, 0 and unknown columns included, and never cuts a value', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: -5, max: 300 }), { nil: undefined }),
        fc.integer({ min: 0, max: 1e6 }),
        (columns, done) => {
          const line = progressLine({ ...at, done: Math.min(done, 1e6), total: 1e6 }, columns)
          const width = columns === undefined || columns <= 0 ? 80 : columns
          expect(line.length).toBeLessThanOrEqual(Math.max(0, width - 1))
          // Whole parts only: a shown lr has all its digits.
          if (line.includes('lr ')) expect(line).toMatch(/lr 1\.000e-2$/)
        },
      ),
    )
    expect(progressLine(at, 0)).toContain('lr 1.000e-2')
    expect(progressLine(at, 20)).toBe('5/10  eta 0:00:05')
  })

  it('estimates from this process only and is never negative', () => {
    expect(eta({ ...at, done: 45, startedAt: 40, total: 50, elapsed: 10 })).toBe(10)
    expect(eta({ ...at, done: 60, total: 50 })).toBe(0)
    expect(clock(-11)).toBe('0:00:00')
    expect(clock(3725)).toBe('1:02:05')
  })
})
