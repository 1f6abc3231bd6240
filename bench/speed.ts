/**
 * The single-core speed table of docs/performance.md: per-step wall and CPU
 * time, medians over interleaved rounds (A, B, C, A, B, C, …) of
 *
 * - the MNIST MLP step (784-256-256-10, Adam lr 1e-3, batch 64) through
 *   `train()` (hooks, state, store; steady state: the gaps between steps),
 *   the same step hand-written in plain tfjs, tfjs-layers' `model.fit`, and `train()` with the products on
 *   XNNPACK instead of loopwright's compiled tiles (`wasmGemm.ts`), side by side;
 * - LeNet-5 (batch 64) and ResNet-18 with the CIFAR stem (batch 16): loopwright's
 *   model and `adam()`, and tfjs-layers' `model.fit` for LeNet-5;
 * - PyTorch 1.13 on one thread (bench/pytorch_reference.py) when
 *   `python3 -c 'import torch'` works here.
 *
 * CPU time is what this process spent: on a shared machine it moves far less
 * than wall time. `npx tsx bench/speed.ts [rounds] [--skip-resnet]`.
 */
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { Effect } from 'effect'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { performance } from 'node:perf_hooks'
import { decode, toProgram } from '../src/config/index.js'
import { gather } from '../src/data/DataLoader.js'
import * as Mnist from '../src/data/mnist.js'
import { indicesForEpoch } from '../src/data/sampler.js'
import * as Rng from '../src/dsl/Rng.js'
import { defaultRegistries } from '../src/interpreters/registries.js'
import { train } from '../src/interpreters/tensor/train.js'
import { uniformTensor } from '../src/models/init.js'
import { selectBackend } from '../src/tensor/backend.js'
import { setWasmGemm } from '../src/tensor/wasmGemm.js'
import '../src/tensor/gradients.js'
import { type Timing, pytorchReference } from './pytorchReference.js'
import { benchModels, syntheticStep } from './steps.js'

const BATCH = 64
const STEPS = 30

/** A case runs `steps` training steps and calls `stamp()` after each one. */
interface Case {
  readonly name: string
  readonly run: (steps: number, stamp: () => void) => Promise<void>
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Per-step medians of the gaps between consecutive stamps, over interleaved rounds. */
const interleaved = async (cases: ReadonlyArray<Case>, rounds: number, steps: number): Promise<Timing[]> => {
  const wall = cases.map(() => [] as number[])
  const cpu = cases.map(() => [] as number[])
  for (let r = 0; r < rounds; r++)
    for (const [i, c] of cases.entries()) {
      let last: { t: number; u: NodeJS.CpuUsage } | undefined
      await c.run(steps, () => {
        const now = { t: performance.now(), u: process.cpuUsage() }
        if (last !== undefined) {
          wall[i]!.push(now.t - last.t)
          cpu[i]!.push((now.u.user + now.u.system - last.u.user - last.u.system) / 1000)
        }
        last = now
      })
    }
  return cases.map((c, i) => ({ name: c.name, wallMs: median(wall[i]!), cpuMs: median(cpu[i]!) }))
}

const row = (t: Timing): string =>
  `${t.name.padEnd(62)} wall ${t.wallMs.toFixed(2).padStart(8)} ms   cpu ${t.cpuMs.toFixed(2).padStart(8)} ms`

const programOf = (config: object) => {
  const decoded = decode(config, defaultRegistries)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

export const speedBench = async (rounds: number, withResnet = true): Promise<void> => {
  await Effect.runPromise(selectBackend('wasm'))
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-speed-'))
  const dataset = await Effect.runPromise(Mnist.load({ split: 'train', indices: 12800 }))
  const order = indicesForEpoch(undefined, dataset.length, 0, 0)
  const preprocessor = { mean: [33.46], std: [78.87] }
  const mlp = { type: 'MLP', in_features: 784, hidden: [256, 256], num_classes: 10, data_preprocessor: preprocessor }
  const configFor = (steps: number) => ({
    model: mlp,
    train_dataloader: {
      batch_size: BATCH,
      dataset: { type: 'MNIST', split: 'train', indices: 12800 },
      sampler: { type: 'DefaultSampler', shuffle: true },
    },
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: steps },
    optim_wrapper: { optimizer: { type: 'Adam', lr: 0.001 } },
    default_hooks: { logger: { type: 'LoggerHook', interval: 50 } },
    log_processor: { by_epoch: false },
    randomness: { seed: 0 },
  })

  const viaTrain: Case = {
    name: '[loopwright train()] MLP 784-256-256-10, Adam, batch 64',
    run: async (steps, stamp) => {
      await Effect.runPromise(
        train(programOf(configFor(steps)), {
          workDir,
          print: () => {},
          timestamp: 'bench',
          writeCheckpoints: false,
          datasets: { train: dataset },
          afterTrainStep: stamp,
        }),
      )
    },
  }

  // The same run with the products on XNNPACK (before issue 15's third round), side by side with the compiled tiles.
  const viaTrainXnnpack: Case = {
    name: '[loopwright train(), XNNPACK products] same MLP step',
    run: async (steps, stamp) => {
      setWasmGemm(false)
      try {
        await viaTrain.run(steps, stamp)
      } finally {
        setWasmGemm(true)
      }
    },
  }

  // The same step in plain tfjs: gather, normalise, x·Wᵀ + b with ReLU, cross-entropy, gradients,
  // Adam as torch computes it.
  const sizes = [784, 256, 256, 10]
  const handWritten: Case = {
    name: '[hand-written tfjs] same MLP step',
    run: async (steps, stamp) => {
      let rng = Rng.make(0)
      let params: tf.Tensor[] = []
      for (let l = 0; l + 1 < sizes.length; l++) {
        const bound = 1 / Math.sqrt(sizes[l]!)
        const [w, r1] = uniformTensor(rng, [sizes[l + 1]!, sizes[l]!], bound)
        const [b, r2] = uniformTensor(r1, [sizes[l + 1]!], bound)
        params.push(w, b)
        rng = r2
      }
      let m = params.map((p) => tf.zerosLike(p))
      let v = params.map((p) => tf.zerosLike(p))
      for (let i = 0; i < steps; i++) {
        const batch = gather(dataset, order.subarray(i * BATCH, (i + 1) * BATCH))
        const t = i + 1
        const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
          let h = tf.div(tf.sub(tf.reshape(batch.inputs, [BATCH, 784]), 33.46), 78.87)
          for (let l = 0; l < 3; l++) {
            h = tf.add(tf.matMul(h, ps[2 * l]!, false, true), ps[2 * l + 1]!)
            if (l < 2) h = tf.relu(h)
          }
          const oneHot = tf.oneHot(batch.targets as tf.Tensor1D, 10)
          return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(h as tf.Tensor2D), oneHot), -1))) as tf.Scalar
        })(params)
        const next = tf.tidy(() =>
          params.map((p, k) => {
            const mk = tf.add(tf.mul(m[k]!, 0.9), tf.mul(grads[k]!, 0.1))
            const vk = tf.add(tf.mul(v[k]!, 0.999), tf.mul(tf.mul(grads[k]!, 0.001), grads[k]!))
            const denom = tf.add(tf.div(tf.sqrt(vk), Math.sqrt(1 - 0.999 ** t)), 1e-8)
            return [tf.add(p, tf.div(tf.mul(mk, -0.001 / (1 - 0.9 ** t)), denom)), mk, vk] as const
          }),
        )
        await value.data()
        tf.dispose([batch.inputs, batch.targets, value, ...grads, ...params, ...m, ...v])
        params = next.map((n) => n[0])
        m = next.map((n) => n[1])
        v = next.map((n) => n[2])
        stamp()
      }
      tf.dispose([...params, ...m, ...v])
    },
  }

  const layersFit = (label: string, build: () => tfl.Sequential, shape: number[]): Case => ({
    name: `[tfjs-layers model.fit] ${label}`,
    run: async (steps, stamp) => {
      const model = build()
      const loss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred)
      model.compile({ optimizer: tf.train.adam(0.001), loss })
      const all = gather(dataset, order.subarray(0, steps * BATCH))
      const xs = tf.tidy(() => {
        const x = tf.div(tf.sub(tf.reshape(all.inputs, [steps * BATCH, 28, 28, 1]), 33.46), 78.87)
        return shape.length === 1
          ? tf.reshape(x, [steps * BATCH, 784])
          : tf.pad(x, [
              [0, 0],
              [2, 2],
              [2, 2],
              [0, 0],
            ])
      })
      const ys = tf.oneHot(all.targets as tf.Tensor1D, 10)
      const callbacks = { onBatchEnd: async () => stamp() }
      await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0, callbacks })
      tf.dispose([all.inputs, all.targets, xs, ys])
      model.dispose()
    },
  })
  const denseMlp = () =>
    tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
        tfl.layers.dense({ units: 256, activation: 'relu' }),
        tfl.layers.dense({ units: 10 }),
      ],
    })
  const lenet = () =>
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [32, 32, 1], filters: 6, kernelSize: 5, activation: 'tanh' }),
        tfl.layers.averagePooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
        tfl.layers.averagePooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 120, kernelSize: 5, activation: 'tanh' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 84, activation: 'tanh' }),
        tfl.layers.dense({ units: 10 }),
      ],
    })

  const modelStep = (label: string): Case => {
    const entry = benchModels.find((m) => m.label === label)!
    const step = syntheticStep(entry)
    return {
      name: `[loopwright model + adam()] ${label}, batch ${entry.batch}`,
      run: async (steps, stamp) => {
        for (let i = 0; i < steps; i++) {
          await step()
          stamp()
        }
      },
    }
  }

  console.log(`Single-core speed (WASM, one thread), medians of ${rounds} interleaved rounds; per step:`)
  const mlpCases = [
    viaTrain,
    handWritten,
    layersFit('same MLP', denseMlp, [784]),
    modelStep('MLP 784-256-256-10'),
    viaTrainXnnpack,
  ]
  const mlpRows = await interleaved(mlpCases, rounds, STEPS)
  const lenetCases = [modelStep('LeNet-5'), layersFit('LeNet-5, batch 64', lenet, [32, 32, 1])]
  const lenetRows = await interleaved(lenetCases, rounds, 8)
  // A ResNet-18 step takes seconds (minutes under load): `--skip-resnet` leaves it out.
  const resnetRows = withResnet ? await interleaved([modelStep('ResNet-18-CIFAR')], 1, 3) : []
  const torch = pytorchReference()
  for (const t of [...mlpRows, ...lenetRows, ...resnetRows]) console.log(row(t))
  if (typeof torch === 'string') console.log(torch)
  else for (const t of [torch.mlp, torch.lenet]) console.log(row(t))
  const [lw, hand, fit, , xnnpack] = mlpRows
  const ratio = (a: Timing, b: Timing) => `${(a.wallMs / b.wallMs).toFixed(2)} (cpu ${(a.cpuMs / b.cpuMs).toFixed(2)})`
  console.log(
    `MLP: loopwright / hand-written tfjs = ${ratio(lw!, hand!)}; ` +
      `loopwright / tfjs-layers fit = ${ratio(lw!, fit!)}`,
  )
  console.log(`MLP through train(): compiled tiles / XNNPACK products = ${ratio(lw!, xnnpack!)}`)
  console.log(`LeNet-5: loopwright / tfjs-layers fit = ${ratio(lenetRows[0]!, lenetRows[1]!)}`)
  if (typeof torch !== 'string')
    console.log(
      `Speed against PyTorch (PyTorch time / loopwright time): MLP ${ratio(torch.mlp, lw!)}; ` +
        `LeNet-5 ${ratio(torch.lenet, lenetRows[0]!)}`,
    )
  fs.rmSync(workDir, { recursive: true, force: true })
}

if (import.meta.url === `file://${process.argv[1]}`)
  await speedBench(Number(process.argv[2] ?? 3), !process.argv.includes('--skip-resnet'))
