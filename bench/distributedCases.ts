/**
 * The runs the data-parallel benchmark times: the MLP 784-256-256-10 and
 * LeNet-5 on MNIST, Adam, batch 64 per worker, no hooks that write.
 */
import { decode, toProgram } from '../src/config/index.js'
import type { Program } from '../src/dsl/Program.js'
import { defaultRegistries } from '../src/interpreters/registries.js'

export const BATCH = 64
const normalise = { mean: [33.46], std: [78.87] }
export const models = {
  'MLP 784-256-256-10': {
    type: 'MLP',
    in_features: 784,
    hidden: [256, 256],
    num_classes: 10,
    data_preprocessor: normalise,
  },
  'LeNet-5': { type: 'LeNet5', num_classes: 10, data_preprocessor: normalise },
} as const
export type ModelName = keyof typeof models

/** `iters` Adam steps of `model` at batch 64 per worker. */
export const benchProgram = (model: ModelName, iters: number): Program => {
  const config = {
    model: models[model],
    train_dataloader: {
      batch_size: BATCH,
      dataset: { type: 'MNIST', split: 'train', indices: 12800 },
      sampler: { type: 'DefaultSampler', shuffle: true },
    },
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters },
    optim_wrapper: { optimizer: { type: 'Adam', lr: 0.001 } },
    param_scheduler: [],
    default_hooks: { checkpoint: null, logger: null },
    log_processor: { by_epoch: false },
    randomness: { seed: 0 },
  }
  const decoded = decode(config, defaultRegistries)
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

/**
 * Iterations per timed run, and the first steps left out of the median. Warm-up is long on two busy cores: V8 goes on
 * optimising the step's JavaScript (tfjs's engine, the interpreter) on background threads for well over a thousand
 * MLP steps — one worker's process CPU time exceeded its wall time by 1.7 ms per step over the first 200 steps,
 * 0.3–0.4 ms from step 600 to 1400 and ~0.1 ms from 1800 on, and `--trace-opt` showed tfjs's `Engine.gradients`
 * first optimised after step 1500 (scratch measurements, one run each, 2026-12-03). One worker has that work done on
 * the idle core; two workers pay for it with their own cores, so a window inside the warm-up understates the
 * speed-up (LeNet-5's steps are longer, and it settles within 200). Training runs last thousands of steps, so the
 * steady state is what is compared.
 */
export const runLength: {
  readonly [model in ModelName]: { readonly iters: number; readonly warmup: number; readonly stepMs: number }
} = {
  // stepMs: about one worker's step on this machine, the length of the machine-ceiling steps (bench/ceiling.ts).
  'MLP 784-256-256-10': { iters: 2400, warmup: 1600, stepMs: 3 },
  'LeNet-5': { iters: 400, warmup: 200, stepMs: 14 },
}

/** The median of the step times after `model`'s warm-up. */
export const steadyStep = (model: ModelName, stepMs: ReadonlyArray<number>): number => {
  const kept = [...stepMs.slice(runLength[model].warmup)].sort((a, b) => a - b)
  return kept[Math.floor(kept.length / 2)]!
}
