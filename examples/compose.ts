/**
 * A training run composed in TypeScript instead of a config file: the same
 * `Program` value a config decodes to, built with pipeable combinators, then
 * dry-run (the plan, no compute) and trained.
 *
 *   npx tsx examples/compose.ts
 */
import { Effect } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import { DryRun, Loop, Program, selectBackend, train } from '../src/index.js'

const mnist = (split: 'train' | 'test', indices: number) => ({ type: 'MNIST', split, indices })

export const program = pipe(
  Program.empty,
  Program.withModel({
    type: 'MLP',
    in_features: 784,
    hidden: [128],
    num_classes: 10,
    data_preprocessor: { mean: [33.46], std: [78.87] },
  }),
  Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2, val_interval: 1 }), {
    batch_size: 64,
    dataset: mnist('train', 6400),
    sampler: { type: 'DefaultSampler', shuffle: true },
  }),
  Program.withValLoop(
    Loop.ValLoop(),
    { batch_size: 500, dataset: mnist('test', 2000), sampler: { type: 'DefaultSampler', shuffle: false } },
    { type: 'Accuracy', topk: [1, 5] },
  ),
  Program.withOptimWrapper({ optimizer: { type: 'AdamW', lr: 0.002, weight_decay: 0.05 }, clip_grad: { max_norm: 5 } }),
  Program.withParamSchedulers([
    { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 50 },
    { type: 'CosineAnnealingLR', by_epoch: true, begin: 0, end: 2, convert_to_iter_based: true },
  ]),
  Program.withDefaultHooks({
    logger: { type: 'LoggerHook', args: { interval: 50 } },
    checkpoint: { type: 'CheckpointHook', args: { interval: 1, max_keep_ckpts: 1 } },
  }),
  Program.withRandomness({ seed: 0 }),
  Program.withWorkDir('work_dirs/compose'),
)

/** Plan, then train; resolves to the last validation accuracy. */
export const main = (options: { readonly workDir?: string; readonly quiet?: boolean } = {}) =>
  Effect.gen(function* () {
    const plan = yield* DryRun.dryRun(program, { testAfterTrain: false })
    if (options.quiet !== true)
      console.log(
        `plan: ${plan.steps.train} train steps, ${plan.evaluations.length} validations, ` +
          `${plan.checkpoints.length} checkpoints`,
      )
    yield* selectBackend('auto')
    const result = yield* train(program, {
      ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
      ...(options.quiet === true ? { print: () => {} } : {}),
    })
    return result.evaluations.at(-1)?.metrics['accuracy/top1']
  })

if (process.argv[1]?.endsWith('compose.ts')) {
  Effect.runPromise(main()).then((accuracy) => console.log(`validation accuracy: ${accuracy}`))
}
