/**
 * The GPU check: run on a machine with a GPU, a Vulkan driver and the
 * optional `webgpu` (Dawn) and `@tensorflow/tfjs-backend-webgpu` packages.
 * It reports the adapter, checks every op of the backend conformance suite
 * (forward and gradients) against the CPU backend, measures matrix products,
 * and trains MNIST through the tensor interpreter on WebGPU and on WASM side
 * by side (same machine, same config).
 *
 *   npx tsx bench/gpu.ts [--data-root DIR] [--epochs N]
 *
 * Prints one JSON line per result and a closing summary.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { decode, toProgram } from '../src/config/index.js'
import { train } from '../src/interpreters/tensor/train.js'
import { compareWithCpu } from '../src/tensor/opConformance.js'
import { selectBackend } from '../src/tensor/backend.js'
import { installWebgpuKernels } from '../src/tensor/webgpuKernels.js'
import '../src/tensor/gradients.js'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { defaultRegistries } from '../src/interpreters/registries.js'

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}
const dataRoot = flag('data-root')
const epochs = Number(flag('epochs') ?? 2)
const emit = (record: object) => process.stdout.write(`${JSON.stringify(record)}\n`)

const setUpWebgpu = async (): Promise<string> => {
  // Dawn's globals and navigator.gpu must exist before the WebGPU backend module is evaluated.
  // Optional packages, absent from the project's install (no declarations needed): `npm i --no-save webgpu
  // @tensorflow/tfjs-backend-webgpu@4.22.0` to run this.
  // biome-ignore lint/suspicious/noTsIgnore: @ts-expect-error would fail where the optional package is installed
  // @ts-ignore -- resolved only where the optional package is installed
  const dawn = (await import('webgpu')) as unknown as { create: (flags: string[]) => unknown; globals: object }
  Object.assign(globalThis, dawn.globals)
  const gpu = dawn.create([]) as {
    requestAdapter: () => Promise<{
      info?: {
        vendor?: string
        architecture?: string
        device?: string
        description?: string
        isFallbackAdapter?: boolean
      }
    } | null>
  }
  ;(globalThis as { navigator?: unknown }).navigator = { gpu }
  const adapter = await gpu.requestAdapter()
  if (adapter === null) throw new Error('no WebGPU adapter')
  // biome-ignore lint/suspicious/noTsIgnore: @ts-expect-error would fail where the optional package is installed
  // @ts-ignore -- resolved only where the optional package is installed
  await import('@tensorflow/tfjs-backend-webgpu')
  if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend did not initialise')
  // What `selectBackend('webgpu')` adds: loopwright's WebGPU kernels (fewer programs per step, docs/gpu.md).
  installWebgpuKernels()
  return JSON.stringify(adapter.info ?? {})
}

const matmulGflops = async (n: number, reps: number): Promise<number> => {
  const a = tf.randomNormal([n, n])
  const b = tf.randomNormal([n, n])
  await tf.matMul(a, b).data()
  const times: number[] = []
  for (let r = 0; r < reps; r++) {
    const start = performance.now()
    const c = tf.matMul(a, b)
    await c.data()
    times.push(performance.now() - start)
    c.dispose()
  }
  tf.dispose([a, b])
  times.sort((x, y) => x - y)
  return (2 * n ** 3) / (times[Math.floor(times.length / 2)]! / 1000) / 1e9
}

const mnistConfig = (model: object, batch: number, maxEpochs: number, indices?: number) => ({
  model,
  train_dataloader: {
    batch_size: batch,
    dataset: {
      type: 'MNIST',
      split: 'train',
      ...(dataRoot === undefined ? {} : { data_root: dataRoot }),
      ...(indices === undefined ? {} : { indices }),
    },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  val_dataloader: {
    batch_size: 1000,
    dataset: { type: 'MNIST', split: 'test', ...(dataRoot === undefined ? {} : { data_root: dataRoot }) },
    sampler: { type: 'DefaultSampler', shuffle: false },
  },
  val_evaluator: { type: 'Accuracy' },
  val_cfg: {},
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: maxEpochs, val_interval: maxEpochs },
  optim_wrapper: {
    optimizer: { type: 'AdamW', lr: 0.002, weight_decay: 0.05 },
    paramwise_cfg: { custom_keys: { bias: { decay_mult: 0 } } },
  },
  param_scheduler: [
    { type: 'CosineAnnealingLR', by_epoch: true, begin: 0, end: maxEpochs, convert_to_iter_based: true },
  ],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1000 },
    checkpoint: { type: 'CheckpointHook', interval: maxEpochs },
  },
  randomness: { seed: 0 },
})

const trainOn = async (backend: string, label: string, config: object) => {
  await tf.setBackend(backend)
  const decoded = decode(config, defaultRegistries)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  const stamps: number[] = []
  const before = tf.memory().numTensors
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-gpu-'))
  const started = performance.now()
  const result = await Effect.runPromise(
    train(toProgram(decoded.right), {
      workDir,
      print: () => {},
      afterTrainStep: () => void stamps.push(performance.now()),
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const gaps = stamps
    .slice(1)
    .map((t, i) => t - stamps[i]!)
    .sort((x, y) => x - y)
  emit({
    kind: 'train',
    backend,
    model: label,
    iterations: result.iterations,
    seconds: Number(seconds.toFixed(2)),
    medianIterationMs: Number(gaps[Math.floor(gaps.length / 2)]!.toFixed(2)),
    accuracy: result.evaluations.at(-1)?.metrics,
    tensorsLeaked: tf.memory().numTensors - before,
    checkpoints: result.checkpoints.length,
  })
  fs.rmSync(workDir, { recursive: true, force: true })
}

const main = async () => {
  emit({ kind: 'host', cpus: os.cpus().length, node: process.version })
  // The CPU backend is the conformance reference; WASM (with loopwright's kernel corrections) runs side by side.
  await Effect.runPromise(selectBackend('cpu'))
  await Effect.runPromise(selectBackend('wasm'))
  if (process.argv.includes('--wasm-only')) {
    // A quick rehearsal on machines without a GPU: the same training path, on WASM, on a slice of MNIST.
    await trainOn(
      'wasm',
      'MLP, batch 128, 1280 samples',
      mnistConfig(
        {
          type: 'MLP',
          in_features: 784,
          hidden: [64],
          num_classes: 10,
          data_preprocessor: { mean: [33.46], std: [78.87] },
        },
        128,
        1,
        1280,
      ),
    )
    return
  }
  let adapter: string
  try {
    adapter = await setUpWebgpu()
  } catch (error) {
    emit({ kind: 'webgpu', ok: false, error: (error as Error).message })
    return
  }
  emit({ kind: 'webgpu', ok: true, adapter })
  const ops = await compareWithCpu('webgpu', 1e-4)
  for (const r of ops) emit({ kind: 'op', ...r })
  emit({ kind: 'ops', passed: ops.filter((r) => r.ok).length, of: ops.length })
  // How long one read back from the device takes (the floor under every training step, which reads its loss).
  await tf.setBackend('webgpu')
  const latencies: number[] = []
  for (let i = 0; i < 30; i++) {
    const t = tf.add(tf.scalar(i), 1)
    const start = performance.now()
    await t.data()
    latencies.push(performance.now() - start)
    t.dispose()
  }
  latencies.sort((x, y) => x - y)
  emit({ kind: 'readLatency', backend: 'webgpu', medianMs: Number(latencies[15]!.toFixed(3)) })
  for (const backend of ['webgpu', 'wasm']) {
    await tf.setBackend(backend)
    for (const n of backend === 'webgpu' ? [1024, 2048, 4096] : [1024])
      emit({
        kind: 'matmul',
        backend,
        n,
        gflops: Number((await matmulGflops(n, backend === 'webgpu' ? 9 : 3)).toFixed(1)),
      })
  }
  const mlp = {
    type: 'MLP',
    in_features: 784,
    hidden: [256, 128],
    num_classes: 10,
    data_preprocessor: { mean: [33.46], std: [78.87] },
  }
  const lenet = { type: 'LeNet5', num_classes: 10, data_preprocessor: { mean: [33.46], std: [78.87] } }
  await trainOn('webgpu', 'MLP, batch 128', mnistConfig(mlp, 128, epochs))
  await trainOn('wasm', 'MLP, batch 128', mnistConfig(mlp, 128, epochs))
  await trainOn('webgpu', 'LeNet5, batch 128, 1 epoch', mnistConfig(lenet, 128, 1))
  await trainOn('wasm', 'LeNet5, batch 128, 12800 samples', mnistConfig(lenet, 128, 1, 12800))
}

main().then(
  () => emit({ kind: 'done' }),
  (error: unknown) => {
    emit({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    process.exitCode = 1
  },
)
