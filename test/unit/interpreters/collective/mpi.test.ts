/**
 * MPI: the same final parameters and validation metrics from `mpirun -np 2`
 * as from two worker threads. Runs where Open MPI is installed: the addon is
 * built first when it is not (its build needs only `mpicc` and this Node's
 * headers; a failed build fails the test). Elsewhere it prints why it did not
 * run and checks that `--launcher mpi` would answer with a one-line error
 * saying how to build the addon.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Effect } from 'effect'
import { trainThreads } from '../../../../src/interpreters/collective/launchThreads.js'
import { loadBinding, mpiCommunicator } from '../../../../src/interpreters/collective/mpi.js'
import { mpiEquivalence } from '../../../support/mpiEquivalence.js'
import { tempDir } from '../tensor/support.js'

const installed = (command: string, args: ReadonlyArray<string>) =>
  spawnSync(command, args, { encoding: 'utf8' }).status === 0
const addon = nodePath.join(import.meta.dirname, '../../../../packages/loopwright-mpi')
let unavailable: string | undefined

beforeAll(() => {
  if (!installed('mpirun', ['--version'])) {
    unavailable = 'mpirun is not installed (Open MPI: apt-get install openmpi-bin)'
    return
  }
  if (loadBinding()._tag === 'Left' && installed('mpicc', ['--showme:version']))
    execFileSync(process.execPath, [nodePath.join(addon, 'build.mjs')], { cwd: addon, stdio: 'pipe' })
  const binding = loadBinding()
  unavailable = binding._tag === 'Left' ? binding.left : undefined
}, 120_000)

describe('--launcher mpi', () => {
  it('gives the parameters and validation metrics of two worker threads under mpirun -np 2, where MPI is', async () => {
    if (unavailable !== undefined) {
      console.warn(`MPI equivalence test NOT RUN: ${unavailable}`)
      // Without the addon, `--launcher mpi` answers in one line. (A built addon outside mpirun is not called:
      // MPI_Init without Open MPI's launcher aborts the process.)
      if (loadBinding()._tag === 'Left') {
        const communicator = mpiCommunicator()
        expect(communicator._tag === 'Left' && communicator.left).toMatch(/not (built|found)/)
        expect(communicator._tag === 'Left' && communicator.left).not.toContain('\n')
      }
      return
    }
    const out = nodePath.join(tempDir(), 'mpi.json')
    const root = process.getuid?.() === 0 ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } : {}
    const script = nodePath.join(import.meta.dirname, '../../../support/mpiTrain.ts')
    const ran = spawnSync('mpirun', ['-np', '2', '--oversubscribe', process.execPath, '--import', 'tsx', script, out], {
      encoding: 'utf8',
      env: { ...process.env, ...root },
      timeout: 240_000,
    })
    expect(ran.status, `${ran.stdout}\n${ran.stderr}`).toBe(0)
    type Written = {
      worldSize: number
      transport: string
      params: { [name: string]: number[] }
      evaluations: ReadonlyArray<unknown>
    }
    const viaMpi = JSON.parse(fs.readFileSync(out, 'utf8')) as Written
    expect(viaMpi.worldSize).toBe(2)
    expect(viaMpi.transport).toMatch(/^MPI, 2 processes \(Open MPI/)
    const options = mpiEquivalence.options()
    const onThreads = trainThreads(mpiEquivalence.program(), { workers: 2, options, print: () => {} })
    const [threads] = await Effect.runPromise(onThreads)
    // Two ranks: fl32(a + b) / 2 on either route, so the parameters agree bit for bit.
    for (const [name, { values }] of Object.entries(threads!.params)) {
      expect(viaMpi.params[name]).toEqual(Array.from(values))
    }
    // The sharded validation's results, all-gathered through MPI broadcasts, give the threads' metrics.
    expect(viaMpi.evaluations).toHaveLength(2)
    expect(viaMpi.evaluations).toEqual(JSON.parse(JSON.stringify(threads!.evaluations)))
  }, 300_000)

  it('all-gathers arrays of different lengths (and none) in rank order on every rank, where MPI is', () => {
    if (unavailable !== undefined) {
      console.warn(`MPI all-gather test NOT RUN: ${unavailable}`)
      return
    }
    const out = nodePath.join(tempDir(), 'gather')
    const root = process.getuid?.() === 0 ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } : {}
    const script = nodePath.join(import.meta.dirname, '../../../support/mpiGather.ts')
    const ran = spawnSync('mpirun', ['-np', '3', '--oversubscribe', process.execPath, '--import', 'tsx', script, out], {
      encoding: 'utf8',
      env: { ...process.env, ...root },
      timeout: 120_000,
    })
    expect(ran.status, `${ran.stdout}\n${ran.stderr}`).toBe(0)
    const expected = [0, 1, 2].map((r) => Array.from({ length: r * 3 + 1 }, (_, i) => r * 100 + i + 0.5))
    for (const rank of [0, 1, 2]) {
      const got = JSON.parse(fs.readFileSync(`${out}.${rank}.json`, 'utf8'))
      expect(got).toEqual({ gathered: expected, empty: [0, 0, 0] })
    }
  }, 180_000)
})
