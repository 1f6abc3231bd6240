/**
 * What `loopwright dry-run` loads at start-up (issue 13 §5: a plan in under two seconds, Node start-up included).
 * The built CLI runs in a fresh process under a resolve hook that lists every module it loads; the dry run must
 * not load the tensor interpreter, the launched collective, the backends, the TensorBoard and PNG encoders, YAML,
 * Effect's barrel (about 250 modules where the subpaths load 65), nor any `@tensorflow` package: models, optimizers
 * and algorithms are planned from their pure descriptions. Needs the built `dist/` (`npm test` builds first).
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

/** The URLs a script resolves for these arguments (the built CLI by default), and its exit code. */
const loadedBy = async (
  script: string,
  ...args: ReadonlyArray<string>
): Promise<{ code: number; urls: ReadonlyArray<string> }> => {
  const log = nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-modules-')), 'modules.txt')
  const env = { ...process.env, LOOPWRIGHT_MODULE_LOG: log }
  let code = 0
  try {
    await run(process.execPath, ['--import', hook, script, ...args], { env, maxBuffer: 64 * 1024 * 1024 })
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

const loaded = (...args: ReadonlyArray<string>) => loadedBy('dist/cli/bin.js', ...args)

/** The `@tensorflow` modules each plan of `test/support/planMany.mjs` loaded first, by config. */
const tfjsByPlan = (urls: ReadonlyArray<string>): { readonly [config: string]: ReadonlyArray<string> } => {
  const found: { [config: string]: string[] } = {}
  let config = ''
  for (const u of urls) {
    if (u.startsWith('# ')) config = u.slice(2)
    else if (u.includes('/node_modules/@tensorflow/')) found[config] = [...(found[config] ?? []), u]
  }
  return found
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
  '/node_modules/@tensorflow/',
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

  // Every algorithm, neck, head, loss and backbone our configs use, and layer decay over a described and a trainable
  // ViT: each plans from descriptions.
  const plans = [
    ...fs
      .readdirSync('configs/selfsup')
      .filter((f) => f.endsWith('.py'))
      .map((f) => nodePath.join('configs/selfsup', f)),
    'test/fixtures/describe/vit-large-p16_ft.py',
    'test/fixtures/startup/vit_layer_decay_mnist.py',
  ]

  // One process plans them all (a process each would cost a Node start-up each); the CLI's own path is the test above.
  it('plans every configs/selfsup config and the layer-decay ViTs without loading tfjs', async () => {
    expect(plans.length).toBeGreaterThanOrEqual(22)
    const { code, urls } = await loadedBy('test/support/planMany.mjs', ...plans)
    expect(code).toBe(0)
    expect(urls.filter((u) => u.startsWith('# ')).length).toBe(plans.length)
    expect(urls.some((u) => u.endsWith('/dist/interpreters/dry/describeModel.js'))).toBe(true)
    expect(tfjsByPlan(urls)).toEqual({})
  }, 120_000)

  it('charges a tfjs module to the plan after whose marker it loads (the check above can fail)', () => {
    const core = 'file:///x/node_modules/@tensorflow/tfjs-core/dist/index.js'
    expect(tfjsByPlan(['# a.py', 'file:///x/dist/cli/main.js', '# b.py', core])).toEqual({ 'b.py': [core] })
  })

  it('sees the tensor modules where a command does load them (doctor checks its backend flag)', async () => {
    const { code, urls } = await loaded('doctor', '--backend', 'nope')
    expect(code).toBe(2)
    expect(urls.some((u) => u.endsWith('/dist/tensor/backend.js'))).toBe(true)
    expect(urls.some((u) => u.includes('/node_modules/@tensorflow/tfjs-core/'))).toBe(true)
  }, 60_000)
})
