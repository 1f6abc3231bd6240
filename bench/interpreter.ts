/**
 * What the tensor interpreter costs on top of the bare computation: 100
 * training iterations of the MNIST MLP (784-256-128-10, batch 128, AdamW
 * with paramwise groups, WASM) run (a) by `train()` with MMEngine's six
 * default hooks, the state threaded through them, the tensor store's
 * collection after every step, and a checkpoint at the end, and (b) by a bare
 * loop doing the same gather, preprocessing, forward, gradients and optimizer
 * wrapper update. Cases interleaved; medians. Then one iteration of each
 * model in the zoo through the interpreter.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { decode, toProgram } from '../src/config/index.js'
import { gather } from '../src/data/DataLoader.js'
import * as Preprocess from '../src/data/preprocess.js'
import { indicesForEpoch } from '../src/data/sampler.js'
import * as Mnist from '../src/data/mnist.js'
import * as Rng from '../src/dsl/Rng.js'
import { train } from '../src/interpreters/train.js'
import * as Models from '../src/models/registry.js'
import * as Optim from '../src/optim/OptimState.js'
import * as OW from '../src/optim/OptimWrapper.js'
import * as Tree from '../src/optim/tree.js'
import '../src/tensor/gradients.js'
import { selectBackend } from '../src/tensor/backend.js'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { measureInterleaved, report } from './harness.js'

const ITERS = 100
const preprocessor = { mean: [33.46], std: [78.87] }
const mlpModel = { type: 'MLP', in_features: 784, hidden: [256, 128], num_classes: 10, data_preprocessor: preprocessor }
const optimWrapper = { optimizer: { type: 'AdamW', lr: 0.001, weight_decay: 0.05 }, paramwise_cfg: { custom_keys: { bias: { decay_mult: 0 } } } }

const configFor = (model: object, batch: number, iters: number) => ({
  model,
  train_dataloader: { batch_size: batch, dataset: { type: 'MNIST', split: 'train', indices: 12800 }, sampler: { type: 'DefaultSampler', shuffle: true } },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters },
  optim_wrapper: optimWrapper,
  param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: iters }],
  default_hooks: { logger: { type: 'LoggerHook', interval: 50 }, checkpoint: { type: 'CheckpointHook', interval: iters, by_epoch: false } },
  log_processor: { by_epoch: false },
  randomness: { seed: 0 },
})

const programOf = (config: object) => {
  const decoded = decode(config)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

export const interpreterBench = async (rounds: number) => {
  await Effect.runPromise(selectBackend('wasm'))
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-bench-'))
  const program = programOf(configFor(mlpModel, 128, ITERS))
  const viaInterpreter = async () => {
    await Effect.runPromise(train(program, { workDir, print: () => {}, timestamp: 'bench' }))
  }

  // The bare loop: the same parts, no hooks, no state, no store.
  const dataset = await Effect.runPromise(Mnist.load({ split: 'train', indices: 12800 }))
  const model = Models.build(mlpModel)
  if (model._tag === 'Left') throw new Error('model')
  const pre = Preprocess.decode(preprocessor)
  if (pre._tag === 'Left') throw new Error('preprocessor')
  const built = Optim.build(optimWrapper, [], model.right.info, { epochLength: 100, maxEpochs: 1, maxIters: ITERS })
  if (built._tag === 'Left') throw new Error('optimizer')
  const bare = async () => {
    const { wrapper } = built.right
    const groups = built.right.state.slots[0]!.slot.groups
    let params = model.right.init(Rng.make(0)).params
    let state = OW.init(wrapper, params)
    const order = indicesForEpoch(undefined, dataset.length, 0, 0)
    const names = Object.keys(params)
    for (let i = 0; i < ITERS; i++) {
      const batch = gather(dataset, order.subarray(i * 128, (i + 1) * 128))
      const inputs = Preprocess.apply(pre.right, batch.inputs)
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => model.right.losses(model.right.forward(Object.fromEntries(names.map((n, k) => [n, xs[k]!])), {}, inputs, { training: true, rng: Rng.make(i) }).output, batch.targets)['loss']!)(names.map((n) => params[n]!))
      value.dataSync()
      const [updates, next] = OW.update(wrapper, Object.fromEntries(names.map((n, k) => [n, grads[k]!])), state, params, groups)
      const nextParams = Tree.applyUpdates(params, updates)
      tf.dispose([batch.inputs, batch.targets, inputs, value, ...grads, ...Object.values(updates).filter((u) => !Object.values(nextParams).includes(u))])
      tf.dispose(Object.values(params).filter((p) => !Object.values(nextParams).includes(p)))
      params = nextParams
      state = next
    }
    tf.dispose(Object.values(params))
  }
  const results = await measureInterleaved(
    [
      { name: `[wasm] MLP, ${ITERS} iterations via train() (hooks, state, store, 1 checkpoint)`, body: viaInterpreter },
      { name: `[wasm] MLP, ${ITERS} iterations, bare loop (same computation)`, body: bare },
    ],
    rounds,
  )
  console.log(report(results.map((r) => ({ ...r, throughput: ITERS / (r.medianMs / 1000), unit: 'it' }))))
  console.log(`interpreter / bare: ${(results[0]!.medianMs / results[1]!.medianMs).toFixed(3)} (medians of ${rounds} interleaved rounds)`)

  // One iteration of each model of the zoo, through the interpreter (median of the step intervals of a 30-iteration run).
  const zoo: Array<[string, object, number]> = [
    ['LeNet5', { type: 'LeNet5', num_classes: 10, data_preprocessor: preprocessor }, 64],
    ['ResNet (CIFAR-style, depth 8)', { type: 'ResNet', depth: 8, num_classes: 10, in_channels: 1, img_size: 28, data_preprocessor: preprocessor }, 32],
    ['VisionTransformer (defaults)', { type: 'VisionTransformer', num_classes: 10, data_preprocessor: preprocessor }, 32],
  ]
  for (const [name, cfg, batch] of zoo) {
    const stamps: number[] = []
    await Effect.runPromise(train(programOf(configFor(cfg, batch, 30)), { workDir, print: () => {}, timestamp: 'bench', writeCheckpoints: false, afterTrainStep: () => void stamps.push(performance.now()) }))
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((a, b) => a - b)
    const median = gaps[Math.floor(gaps.length / 2)]!
    console.log(`[wasm] ${name}, batch ${batch}: median iteration ${median.toFixed(1)} ms (${Math.round((batch * 1000) / median)} samples/s)`)
  }
  fs.rmSync(workDir, { recursive: true, force: true })
}
