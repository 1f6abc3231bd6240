import { describe, expect, it } from 'vitest'
import { coreSharingWarning, sampleRunnable } from '../../../../src/interpreters/collective/coreSharing.js'

describe('coreSharingWarning', () => {
  it('is silent while each worker can have a core of its own', () => {
    // The sampling thread counts itself: 1 runnable means nothing else runs.
    expect(coreSharingWarning(2, 2, [1, 1, 1])).toBeUndefined()
    expect(coreSharingWarning(2, 4, [3, 3, 2])).toBeUndefined()
    expect(coreSharingWarning(1, 1, [1])).toBeUndefined()
    expect(coreSharingWarning(2, 2, [])).toBeUndefined()
  })

  it('warns in one line, naming the counts and the worker count that fits, when workers would share cores', () => {
    const beside = coreSharingWarning(2, 2, [2, 2, 3, 1, 2])!
    expect(beside.split('\n')).toHaveLength(1)
    expect(beside).toMatch(/^2 workers on 2 cores beside 1 other busy task: every step waits for the slowest worker/)
    expect(beside).toMatch(/use --workers 1 or free the cores$/)
    expect(coreSharingWarning(3, 2, [1, 1, 1])).toMatch(/^3 workers on 2 cores: .* use --workers 2 or free the cores$/)
    expect(coreSharingWarning(4, 8, [6, 7, 7])).toMatch(
      /^4 workers on 8 cores beside 6 other busy tasks: .*--workers 2 /,
    )
    expect(coreSharingWarning(2, 2, [9, 9, 9])).toMatch(/use --workers 1 /)
  })

  it('takes the median of the samples, so that one busy moment is not a busy machine', () => {
    expect(coreSharingWarning(2, 2, [1, 6, 1, 1, 1])).toBeUndefined()
    expect(coreSharingWarning(2, 2, [2, 1, 2, 6, 2])).toBeDefined()
  })
})

describe('sampleRunnable', () => {
  it('reads the running count from /proc/loadavg (this thread included), or says there is none', () => {
    const samples = sampleRunnable(3, 1)
    if (process.platform !== 'linux') return expect(samples).toBeUndefined()
    expect(samples).toHaveLength(3)
    for (const n of samples!) {
      expect(Number.isInteger(n)).toBe(true)
      expect(n).toBeGreaterThanOrEqual(1)
    }
  })
})
