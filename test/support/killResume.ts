/**
 * Kill-and-resume with real processes: the built CLI (`dist/cli/main.js`, built when missing; a failed build fails
 * the suite), a child whose output lines a callback may act on (kill it), and a checkpoint's state as two runs
 * that must agree bit for bit compare it.
 */
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as Safetensors from '../../src/tensor/safetensors.js'

const root = nodePath.join(import.meta.dirname, '..', '..')
export const builtCli = nodePath.join(root, 'dist', 'cli', 'main.js')

/** `npm test` builds dist/ first; a bare `vitest run` builds it here. */
export const ensureBuilt = (): void => {
  if (fs.existsSync(builtCli)) return
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8' })
  if (built.status !== 0 || !fs.existsSync(builtCli))
    throw new Error(`dist/ is missing and npm run build failed:\n${built.stdout}${built.stderr}`)
}

export interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly output: string
}

/** `loopwright train ARGS --backend wasm`; `onLine` sees every output line and may kill or signal the child. */
export const trainCli = (
  args: ReadonlyArray<string>,
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, 'train', ...args, '--backend', 'wasm'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    let pending = ''
    const take = (chunk: Buffer) => {
      output += chunk.toString()
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) onLine?.(line, child)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('close', (code, signal) => resolve({ code, signal, output }))
  })

/** A checkpoint's tensors (as bytes), scalar histories without wall-clock keys, optimizer, counters and rng. */
export const finalState = (file: string) => {
  const decoded = Safetensors.decode(new Uint8Array(fs.readFileSync(file)))
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  const state = JSON.parse(decoded.right.metadata['state']!) as {
    messageHub: { scalars: Array<[string, number[], number[]]> }
    [k: string]: unknown
  }
  // Wall-clock scalars differ between any two runs; everything else must not.
  const scalars = state.messageHub.scalars.filter(([key]) => !/time|eta/.test(key))
  const tensors = Object.fromEntries(
    Object.entries(decoded.right.tensors).map(([n, t]) => [
      n,
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'),
    ]),
  )
  return { tensors, scalars, optim: state['optim'], counters: state['counters'], rng: state['rng'] }
}
