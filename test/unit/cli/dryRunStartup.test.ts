/**
 * What `loopwright dry-run` loads at start-up (issue 13 §5: a plan in under two seconds, Node start-up included).
 * The built CLI runs in a fresh process under a resolve hook that lists every module it loads; the dry run must
 * not load the tensor interpreter, the launched collective, the backends, the TensorBoard and PNG encoders, YAML, nor
 * Effect's barrel (about 250 modules where the subpaths load 65). Needs the built `dist/` (`npm test` builds first).
 */
import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const hook = nodePath.resolve('test/support/moduleLog.mjs')
const config = nodePath.resolve('test/fixtures/plan-scale/imagenet-scale_resnet50_8xb32-warmcos-200e.py')

/** The URLs the built CLI resolves for these arguments, and its exit code. */
const loaded = async (...args: ReadonlyArray<string>): Promise<{ code: number; urls: ReadonlyArray<string> }> => {
  const log = nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-modules-')), 'modules.txt')
  const env = { ...process.env, LOOPWRIGHT_MODULE_LOG: log }
  let code = 0
  try {
    await run(process.execPath, ['--import', hook, 'dist/cli/bin.js', ...args], { env })
  } catch (error) {
    code = (error as { code: number }).code
  }
  const urls = fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : []
  fs.rmSync(nodePath.dirname(log), { recursive: true, force: true })
  return { code, urls }
}

/** Modules a plan has no use for, by a part of their URL. */
const notForAPlan = [
  '/dist/interpreters/tensor/',
  // The collective's launcher flags and its one-process Collective are the dry run's too; the rest is not.
  '/dist/interpreters/collective/launchThreads.js',
  '/dist/interpreters/collective/trainLaunched.js',
  '/dist/interpreters/collective/worker.js',
  '/dist/tensor/backend.js',
  '/dist/cli/train.js',
  '/dist/cli/doctor.js',
  '/node_modules/@tensorflow/tfjs-backend-',
  '/node_modules/@bufbuild/protobuf/',
  '/node_modules/pngjs/',
  '/node_modules/yaml/',
  '/node_modules/effect/dist/index.js',
]

describe('dry-run start-up', () => {
  it('plans without loading the tensor interpreter, the backends, the encoders or the Effect barrel', async () => {
    const { code, urls } = await loaded('dry-run', config, '--world-size', '8')
    expect(code).toBe(0)
    // The hook saw the dry run itself: an empty or partial list would pass the check below for nothing.
    expect(urls.some((u) => u.endsWith('/dist/interpreters/dry/dryRun.js'))).toBe(true)
    expect(urls.some((u) => u.endsWith('/dist/cli/renderPlan.js'))).toBe(true)
    expect(urls.filter((u) => notForAPlan.some((part) => u.includes(part)))).toEqual([])
  }, 60_000)

  it('sees the tensor modules where a command does load them (doctor checks its backend flag)', async () => {
    const { code, urls } = await loaded('doctor', '--backend', 'nope')
    expect(code).toBe(2)
    expect(urls.some((u) => u.endsWith('/dist/tensor/backend.js'))).toBe(true)
  }, 60_000)
})
