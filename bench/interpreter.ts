/**
 * What the tensor interpreter costs on top of the computation: 100 training
 * iterations of the MNIST MLP (784-256-128-10, batch 128, AdamW with decay
 * off for biases, cosine lr, WASM) run (a) by `train()` with MMEngine's six
 * default hooks, the state threaded through them, the tensor store's
 * collection after every step and a checkpoint at the end; (b) by the same
 * step hand-written in plain tfjs ops (same model, same AdamW math); (c) by
 * tfjs-layers' `model.fit` on the same MLP and data. Cases interleaved;
 * medians. Then one iteration of each model of the zoo through `train()`.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { decode, toProgram } from '../src/config/index.js'
import { gather } from '../src/data/DataLoader.js'
import { indicesForEpoch } from '../src/data/sampler.js'
import * as Mnist from '../src/data/mnist.js'
import * as Rng from '../src/dsl/Rng.js'
import { train } from '../src/interpreters/tensor/train.js'
import { uniformTensor } from '../src/models/init.js'
import * as tfl from '@tensorflow/tfjs-layers'
import '../src/tensor/gradients.js'
import { selectBackend } from '../src/tensor/backend.js'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { measureInterleaved, report } from './harness.js'
import { defaultRegistries } from '../src/interpreters/registries.js'

const ITERS = 100
const preprocessor = { mean: [33.46], std: [78.87] }
const mlpModel = { type: 'MLP', in_features: 784, hidden: [256, 128], num_classes: 10, data_preprocessor: preprocessor }
const optimWrapper = {
  optimizer: { type: 'AdamW', lr: 0.001, weight_decay: 0.05 },
  paramwise_cfg: { custom_keys: { bias: { decay_mult: 0 } } },
}

const configFor = (model: object, batch: number, iters: number) => ({
  model,
  train_dataloader: {
    batch_size: batch,
    dataset: { type: 'MNIST', split: 'train', indices: 12800 },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters },
  optim_wrapper: optimWrapper,
  param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: iters }],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 50 },
    checkpoint: { type: 'CheckpointHook', interval: iters, by_epoch: false },
  },
  log_processor: { by_epoch: false },
  randomness: { seed: 0 },
})

const programOf = (config: object) => {
  const decoded = decode(config, defaultRegistries)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

export const interpreterBench = async (rounds: number) => {
  await Effect.runPromise(selectBackend('wasm'))
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-bench-'))
  const program = programOf(configFor(mlpModel, 128, ITERS))
  // The data is loaded once for all three cases: what is compared is the training, not the file reading.
  const dataset = await Effect.runPromise(Mnist.load({ split: 'train', indices: 12800 }))
  const viaInterpreter = async () => {
    await Effect.runPromise(
      train(program, { workDir, print: () => {}, timestamp: 'bench', datasets: { train: dataset } }),
    )
  }

  // The same step hand-written in plain tfjs: gather, normalise, MLP forward (x·Wᵀ + b), cross-entropy,
  // gradients, and AdamW as torch computes it (decoupled decay, bias corrections), decay off for biases.
  const sizes = [784, 256, 128, 10]
  const handWritten = async () => {
    let rng = Rng.make(0)
    const params: tf.Tensor[] = []
    for (let l = 0; l + 1 < sizes.length; l++) {
      const bound = 1 / Math.sqrt(sizes[l]!)
      const [w, r1] = uniformTensor(rng, [sizes[l + 1]!, sizes[l]!], bound)
      const [b, r2] = uniformTensor(r1, [sizes[l + 1]!], bound)
      params.push(w, b)
      rng = r2
    }
    let m = params.map((p) => tf.zerosLike(p))
    let v = params.map((p) => tf.zerosLike(p))
    const order = indicesForEpoch(undefined, dataset.length, 0, 0)
    const [beta1, beta2, eps, lr0] = [0.9, 0.999, 1e-8, 0.001]
    for (let i = 0; i < ITERS; i++) {
      const batch = gather(dataset, order.subarray(i * 128, (i + 1) * 128))
      const lr = lr0 * 0.5 * (1 + Math.cos((Math.PI * i) / ITERS))
      const t = i + 1
      const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
        let h = tf.div(tf.sub(tf.reshape(batch.inputs, [128, 784]), 33.46), 78.87)
        for (let l = 0; l < 3; l++) {
          h = tf.add(tf.matMul(h, ps[2 * l]!, false, true), ps[2 * l + 1]!)
          if (l < 2) h = tf.relu(h)
        }
        return tf.neg(
          tf.mean(tf.sum(tf.mul(tf.logSoftmax(h as tf.Tensor2D), tf.oneHot(batch.targets as tf.Tensor1D, 10)), -1)),
        ) as tf.Scalar
      })(params)
      await value.data()
      const next = tf.tidy(() =>
        params.map((p, k) => {
          const g = grads[k]!
          const mk = tf.add(tf.mul(m[k]!, beta1), tf.mul(g, 1 - beta1))
          const vk = tf.add(tf.mul(v[k]!, beta2), tf.mul(tf.square(g), 1 - beta2))
          const decayed = k % 2 === 0 ? tf.mul(p, 1 - lr * 0.05) : p
          const denom = tf.add(tf.div(tf.sqrt(vk), Math.sqrt(1 - beta2 ** t)), eps)
          return [tf.sub(decayed, tf.mul(tf.div(mk, denom), lr / (1 - beta1 ** t))), mk, vk] as const
        }),
      )
      tf.dispose([batch.inputs, batch.targets, value, ...grads, ...params, ...m, ...v])
      params.splice(0, params.length, ...next.map((n) => n[0]))
      m = next.map((n) => n[1])
      v = next.map((n) => n[2])
    }
    tf.dispose([...params, ...m, ...v])
  }

  // tfjs-layers: the same MLP and data through model.fit (its Adam has no decoupled weight decay).
  const layersFit = async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
        tfl.layers.dense({ units: 128, activation: 'relu' }),
        tfl.layers.dense({ units: 10 }),
      ],
    })
    model.compile({
      optimizer: tf.train.adam(0.001),
      loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
    })
    const all = gather(dataset, indicesForEpoch(undefined, dataset.length, 0, 0).subarray(0, ITERS * 128))
    const xs = tf.div(tf.sub(tf.reshape(all.inputs, [ITERS * 128, 784]), 33.46), 78.87)
    const ys = tf.oneHot(all.targets as tf.Tensor1D, 10)
    await model.fit(xs, ys, { batchSize: 128, epochs: 1, shuffle: false, verbose: 0 })
    tf.dispose([all.inputs, all.targets, xs, ys])
    model.dispose()
  }
  const results = await measureInterleaved(
    [
      { name: `[wasm] MLP, ${ITERS} iterations via train() (hooks, state, store, 1 checkpoint)`, body: viaInterpreter },
      { name: `[wasm] MLP, ${ITERS} iterations, hand-written plain tfjs (same math)`, body: handWritten },
      { name: `[wasm] MLP, ${ITERS} iterations, tfjs-layers model.fit`, body: layersFit },
    ],
    rounds,
  )
  console.log(report(results.map((r) => ({ ...r, throughput: ITERS / (r.medianMs / 1000), unit: 'it' }))))
  console.log(
    `loopwright / hand-written tfjs: ` +
      `${(results[0]!.medianMs / results[1]!.medianMs).toFixed(3)}; loopwright / ` +
      `tfjs-layers fit: ${(results[0]!.medianMs / results[2]!.medianMs).toFixed(3)} ` +
      `(medians of ${rounds} interleaved rounds)`,
  )

  // One iteration of each model of the zoo, through the interpreter (median of the step intervals of a 30-iteration
  // run).
  const zoo: Array<[string, object, number]> = [
    ['LeNet5', { type: 'LeNet5', num_classes: 10, data_preprocessor: preprocessor }, 64],
    [
      'ResNet (CIFAR-style, depth 8)',
      { type: 'ResNet', depth: 8, num_classes: 10, in_channels: 1, img_size: 28, data_preprocessor: preprocessor },
      32,
    ],
    [
      'VisionTransformer (defaults)',
      { type: 'VisionTransformer', num_classes: 10, data_preprocessor: preprocessor },
      32,
    ],
  ]
  for (const [name, cfg, batch] of zoo) {
    const stamps: number[] = []
    await Effect.runPromise(
      train(programOf(configFor(cfg, batch, 30)), {
        workDir,
        print: () => {},
        timestamp: 'bench',
        writeCheckpoints: false,
        afterTrainStep: () => void stamps.push(performance.now()),
      }),
    )
    const gaps = stamps
      .slice(1)
      .map((t, i) => t - stamps[i]!)
      .sort((a, b) => a - b)
    const median = gaps[Math.floor(gaps.length / 2)]!
    console.log(
      `[wasm] ${name}, batch ${batch}: median iteration ${median.toFixed(1)} ms ` +
        `(${Math.round((batch * 1000) / median)} samples/s)`,
    )
  }
  fs.rmSync(workDir, { recursive: true, force: true })
}
