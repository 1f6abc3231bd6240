/**
 * The experiment of issue 15 §1: tfjs-wasm's multi-threaded SIMD build under
 * Node. tfjs switches threads off in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is
 * false there, tfjs#3830); forced on, it fails because emscripten starts its
 * pthread workers from `blob:` URLs, which Node's `Worker` refuses. Three shims
 * make it run here, none of them in the library:
 *
 * 1. every `Blob` built from strings keeps its text, and `URL.createObjectURL`
 *    of such a Blob writes it to a temporary `.cjs` file and returns its path
 *    (with the bundle's `require$$N` / `commonjsGlobal` aliases the factory's
 *    source refers to);
 * 2. the main-script Blob the main thread posts to each worker is rewritten to
 *    that file's path (the worker `importScripts` it with `fs.readFileSync`);
 * 3. the C++ side caps the pool at `os.cpus().length / 2` (it assumes two
 *    hyper-threads per core): 1 on this 2-vCPU machine, so `os.cpus` reports
 *    twice the CPUs while the backend starts.
 *
 * `npx tsx bench/wasmThreads.ts` runs the MLP and LeNet-5 steps in child
 * processes with 1 and 2 XNNPACK threads, alternating, and prints the medians.
 * `npx tsx bench/wasmThreads.ts --threads N` is one such child.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { performance } from 'node:perf_hooks'
import * as workerThreads from 'node:worker_threads'

/** Install the three shims; call before the WASM backend initialises. Returns the undo of shim 3. */
const shimThreadedWasm = (): (() => void) => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-wasm-threads-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  const texts = new WeakMap<object, string>()
  const files = new WeakMap<object, string>()
  const NativeBlob = globalThis.Blob
  globalThis.Blob = class RecordingBlob extends NativeBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args)
      texts.set(this, (args[0] ?? []).map(String).join(''))
    }
  } as typeof Blob
  const prelude =
    "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
    "require$$4 = require('os'), commonjsGlobal = globalThis;\n"
  const fileOf = (blob: object): string => {
    let file = files.get(blob)
    if (file === undefined) {
      file = nodePath.join(dir, `script${fs.readdirSync(dir).length}.cjs`)
      fs.writeFileSync(file, prelude + texts.get(blob)!)
      files.set(blob, file)
    }
    return file
  }
  const nativeCreate = URL.createObjectURL
  URL.createObjectURL = (blob: Blob) => (texts.has(blob) ? fileOf(blob) : nativeCreate(blob))
  const nativePost = workerThreads.Worker.prototype.postMessage
  workerThreads.Worker.prototype.postMessage = function (
    this: workerThreads.Worker,
    message: unknown,
    transfer?: never,
  ) {
    const m = message as { urlOrBlob?: object } | null
    const blob = m !== null && typeof m === 'object' ? m.urlOrBlob : undefined
    const rewritten = blob !== undefined && texts.has(blob) ? { ...m, urlOrBlob: fileOf(blob) } : message
    return nativePost.call(this, rewritten, transfer)
  }
  // The module object the bundle's `require('os')` sees (an ESM namespace cannot be patched).
  const osModule = createRequire(import.meta.url)('os') as typeof os
  const cpus = osModule.cpus
  osModule.cpus = () => [...cpus(), ...cpus()]
  return () => {
    osModule.cpus = cpus
  }
}

const child = async (threads: number, steps: number): Promise<void> => {
  const tf = await import('@tensorflow/tfjs-core')
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  const { Effect } = await import('effect')
  const { selectBackend } = await import('../src/tensor/backend.js')
  if (threads > 1) {
    const undo = shimThreadedWasm()
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
    wasm.setThreadsCount(threads)
    await Effect.runPromise(selectBackend('wasm'))
    undo()
  } else await Effect.runPromise(selectBackend('wasm'))
  const { benchModels, syntheticStep } = await import('./steps.js')
  const result: { [label: string]: { wallMs: number; cpuMs: number } } = {
    threads: { wallMs: wasm.getThreadsCount(), cpuMs: 0 },
  }
  for (const label of ['MLP 784-256-256-10', 'LeNet-5']) {
    const step = syntheticStep(benchModels.find((m) => m.label === label)!)
    await step()
    const wall: number[] = []
    const cpu: number[] = []
    for (let i = 0; i < steps; i++) {
      const t = performance.now()
      const u = process.cpuUsage()
      await step()
      const c = process.cpuUsage(u)
      wall.push(performance.now() - t)
      cpu.push((c.user + c.system) / 1000)
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!
    result[label] = { wallMs: median(wall), cpuMs: median(cpu) }
  }
  console.log(JSON.stringify(result))
  process.exit(0)
}

const parent = (rounds: number): void => {
  const runs: { [threads: number]: Array<{ [label: string]: { wallMs: number; cpuMs: number } }> } = { 1: [], 2: [] }
  for (let r = 0; r < rounds; r++)
    for (const threads of [1, 2]) {
      const args = [...process.execArgv, process.argv[1]!, '--threads', String(threads)]
      const out = execFileSync(process.execPath, args, { encoding: 'utf8' })
      runs[threads]!.push(JSON.parse(out.trim().split('\n').at(-1)!))
    }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!
  console.log(
    `tfjs-wasm threaded SIMD build under Node, medians of ${rounds} alternating child processes ` +
      '(step wall / CPU ms):',
  )
  for (const label of ['MLP 784-256-256-10', 'LeNet-5']) {
    const cells = [1, 2].map((t) => {
      const wall = median(runs[t]!.map((r) => r[label]!.wallMs))
      const cpu = median(runs[t]!.map((r) => r[label]!.cpuMs))
      const pool = runs[t]![0]!['threads']!.wallMs
      return `${t} thread${t > 1 ? 's' : ''} (pool ${pool}): ${wall.toFixed(2)} / ${cpu.toFixed(2)}`
    })
    console.log(`  ${label}: ${cells.join('   ')}`)
  }
}

const at = process.argv.indexOf('--threads')
if (at >= 0) await child(Number(process.argv[at + 1]), 15)
else parent(Number(process.argv[2] ?? 3))
