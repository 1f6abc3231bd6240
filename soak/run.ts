/**
 * `npm run soak`: a long run that checks memory stays flat. Trains the MNIST
 * MLP for 20 000 iterations (batch 32) with a checkpoint every 500 and a
 * validation every 2 000, sampling the process's resident memory and
 * `tf.memory().numTensors` at every checkpoint. Fails (exit 1) when the
 * tensor count moves at all after warm-up, or when resident memory in the
 * last quarter exceeds the second quarter's by more than 10 %.
 *
 *   npm run soak [-- --iters N]
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { decode, toProgram } from '../src/config/index.js'
import { train } from '../src/interpreters/tensor/train.js'
import { selectBackend } from '../src/tensor/backend.js'
import { defaultRegistries } from '../src/interpreters/registries.js'

const itersFlag = process.argv.indexOf('--iters')
const iters = itersFlag > 0 ? Number(process.argv[itersFlag + 1]) : 20_000
const every = 500

const config = {
  model: {
    type: 'MLP',
    in_features: 784,
    hidden: [128],
    num_classes: 10,
    data_preprocessor: { mean: [33.46], std: [78.87] },
  },
  train_dataloader: {
    batch_size: 32,
    dataset: { type: 'MNIST', split: 'train' },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  val_dataloader: {
    batch_size: 500,
    dataset: { type: 'MNIST', split: 'test', indices: 2000 },
    sampler: { type: 'DefaultSampler', shuffle: false },
  },
  val_evaluator: { type: 'Accuracy' },
  val_cfg: {},
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters, val_interval: 2000 },
  optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.001 }, clip_grad: { max_norm: 5 } },
  param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: iters }],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1000 },
    checkpoint: { type: 'CheckpointHook', interval: every, by_epoch: false, max_keep_ckpts: 2 },
  },
  log_processor: { by_epoch: false },
  randomness: { seed: 0 },
}

const decoded = decode(config, defaultRegistries)
if (decoded._tag === 'Left') throw new Error(decoded.left.message)
const backend = await Effect.runPromise(selectBackend('auto'))
const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-soak-'))
const samples: Array<{ iter: number; rssMiB: number; tensors: number }> = []
const started = performance.now()
const result = await Effect.runPromise(
  train(toProgram(decoded.right), {
    workDir,
    print: (level, message) =>
      level === 'INFO' && !message.startsWith('Iter(train)') ? void 0 : process.stdout.write(`${message}\n`),
    afterTrainStep: (state) => {
      const done = state.counters.iter + 1
      if (done % every === 0)
        samples.push({ iter: done, rssMiB: process.memoryUsage().rss / 2 ** 20, tensors: tf.memory().numTensors })
    },
  }),
)
const seconds = (performance.now() - started) / 1000
fs.rmSync(workDir, { recursive: true, force: true })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const quarter = (k: number) =>
  samples.slice(Math.floor((k * samples.length) / 4), Math.floor(((k + 1) * samples.length) / 4)).map((s) => s.rssMiB)
const warm = samples.slice(2)
const tensorCounts = new Set(warm.map((s) => s.tensors))
const rss2 = median(quarter(1))
const rss4 = median(quarter(3))
process.stdout.write(
  `${[
    `backend ${backend.name}; ${result.iterations} iterations in ` +
      `${seconds.toFixed(0)} s (${(result.iterations / seconds).toFixed(0)} it/s); ` +
      `${result.checkpoints.length} checkpoints written`,
    `numTensors after warm-up: ${[...tensorCounts].join(', ')}`,
    `RSS MiB: first ${samples[0]!.rssMiB.toFixed(0)}, median of 2nd quarter ` +
      `${rss2.toFixed(0)}, median of last quarter ${rss4.toFixed(0)}, max ` +
      `${Math.max(...samples.map((s) => s.rssMiB)).toFixed(0)}`,
    `last validation: ${JSON.stringify(result.evaluations.at(-1)?.metrics)}`,
  ].join('\n')}\n`,
)
const ok = tensorCounts.size === 1 && rss4 <= rss2 * 1.1
process.stdout.write(ok ? 'soak: memory is flat\n' : 'soak: MEMORY GROWS\n')
process.exitCode = ok ? 0 : 1
