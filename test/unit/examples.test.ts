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
