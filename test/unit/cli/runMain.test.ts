import { Data, Effect } from 'effect'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { internalError, runMain } from '../../../src/cli/runMain.js'

class SomeError extends Data.TaggedError('SomeError')<{
  readonly issues: ReadonlyArray<{ path: string; message: string }>
  readonly during?: 'run'
}> {}

const capture = () => {
  const written: string[] = []
  const keep = (chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  }
  vi.spyOn(process.stderr, 'write').mockImplementation(keep)
  return written
}

afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = 0
})

describe('runMain', () => {
  it('resolves to the value of a successful effect', async () => {
    expect(await runMain(Effect.succeed(42))).toBe(42)
  })

  it('prints an error value as its path-precise lines, exit 2 before a run and 1 during it, no stack', async () => {
    const written = capture()
    const lr = { path: 'optim_wrapper.optimizer.lr', message: 'expected a number ≥ 0, got -1' }
    expect(await runMain(Effect.fail(new SomeError({ issues: [lr] })))).toBeUndefined()
    expect(process.exitCode).toBe(2)
    const disk = { path: 'CheckpointHook', message: 'disk full' }
    await runMain(Effect.fail(new SomeError({ issues: [disk], during: 'run' })))
    expect(process.exitCode).toBe(1)
    expect(written).toEqual([`${lr.path}: ${lr.message}\n`, 'CheckpointHook: disk full\n'])
  })

  it('says "internal error" in one line, with where to report, for a defect', async () => {
    const written = capture()
    await runMain(Effect.die(new TypeError('x is undefined\n    at somewhere (file.ts:1:1)')))
    expect(process.exitCode).toBe(70)
    expect(written).toHaveLength(1)
    expect(written[0]).toBe(`${internalError(new TypeError('x is undefined'))}\n`)
    expect(written[0]).toMatch(
      /^loopwright: internal error: x is undefined \(this is a bug in loopwright: please report/,
    )
    expect(written[0]).toContain('npm bugs loopwright')
    expect(written[0]!.split('\n')).toHaveLength(2)
  })
})
