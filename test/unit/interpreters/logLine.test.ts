import { describe, expect, it } from 'vitest'
import { consoleStream, logLine } from '../../../src/interpreters/logLine.js'

describe('logLine', () => {
  it("is MMLogger's layout in UTC, one line", () => {
    expect(logLine('INFO', 'Epoch(train) [1][10/100]', new Date(Date.UTC(2026, 11, 3, 4, 5, 6, 789)))).toBe(
      '2026-12-03 04:05:06 - loopwright - INFO - Epoch(train) [1][10/100]\n',
    )
  })
  it('sends warnings and errors to stderr, the rest to stdout', () => {
    expect(consoleStream('WARNING')).toBe(process.stderr)
    expect(consoleStream('ERROR')).toBe(process.stderr)
    expect(consoleStream('INFO')).toBe(process.stdout)
  })
})
