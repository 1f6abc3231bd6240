import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { main } from '../../examples/compose.js'

describe('examples/compose.ts', () => {
  it('plans and trains the program it composes in TypeScript', async () => {
    const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-example-'))
    const accuracy = await Effect.runPromise(main({ workDir, quiet: true }))
    expect(accuracy).toBeGreaterThan(80)
  }, 120_000)
})

describe('examples/customHook.ts', () => {
  it('registers a custom hook, orders it by its LOW priority before CheckpointHook, and runs it', async () => {
    const { main: customHook } = await import('../../examples/customHook.js')
    const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-hook-'))
    const outcome = await Effect.runPromise(customHook({ workDir }))
    expect(outcome.order).toEqual(['IterTimerHook', 'ParamSchedulerHook', 'LossReportHook', 'CheckpointHook'])
    expect(outcome.reports).toHaveLength(2)
    expect(outcome.reports[1]).toMatch(/^train loss after epoch 2: \d+\.\d{4}$/)
    expect(outcome.count).toBe(2)
  }, 120_000)
})
