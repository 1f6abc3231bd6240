import { describe, expect, it } from 'vitest'
import { runConformance } from './run.js'

describe('conformance replay of the recorded MMEngine scenarios (test/fixtures/conformance)', () => {
  it('passes every check it runs', async () => {
    const result = await runConformance([])
    const failures = result.lines.filter((l) => l.startsWith('FAIL'))
    expect(failures).toEqual([])
    expect(result.passed).toBeGreaterThan(20)
  })
})
