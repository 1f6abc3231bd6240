/**
 * A custom hook written in TypeScript: defined as a hook type, registered
 * next to MMEngine's hooks, placed by priority (`'LOW'`, as MMEngine writes
 * it), planned by the dry run and run by `train`. docs/getting-started.md
 * walks through it; test/unit/examples.test.ts runs it.
 *
 *   npx tsx examples/customHook.ts
 */
import { Effect } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { DryRun, Hook, Loop, MessageHub, Program, Registry, Services, State } from '../src/index.js'
import { defaultHookTypes, defaultRegistries, eraseHookType, runMain, train } from '../src/index.js'
import type { HookType } from '../src/index.js'

/** The hook's arguments, as a config would give them: `dict(type='LossReportHook', prefix='loss')`. */
const args = t.partial({ prefix: t.string })

/** After each train epoch, logs the last logged loss and counts the reports in the hook's own state. */
export const LossReportHook: HookType<t.TypeOf<typeof args>> = {
  name: 'LossReportHook',
  // MMEngine's names or numbers: 'LOW', 70 or Priority.LOW.
  defaultPriority: 'LOW',
  args,
  // What it reads and writes, so the dry run can warn about hooks it races with (docs/hooks.md, "Declarations").
  touches: { after_train_epoch: { reads: ['messageHub.scalars.train/loss'], writes: ['log', 'own'] } },
  build: (a, site) =>
    Hook.make<Services.HookServices>({
      name: 'LossReportHook',
      key: site.key,
      priority: site.priority,
      stages: {
        after_train_epoch: (state) =>
          Effect.gen(function* () {
            const loss = MessageHub.current(state.messageHub, 'train/loss')
            const logger = yield* Services.Logger
            yield* logger.log(
              'INFO',
              `${a.prefix ?? 'loss'} after epoch ${state.counters.epoch + 1}: ${loss?.toFixed(4)}`,
            )
            return State.setHookState(state, site.key, State.hookState(state, site.key, 0) + 1)
          }),
      },
    }),
}

/** MMEngine's hooks plus ours: the registry `train` and `DryRun.dryRun` decode hook types from. */
export const registries = {
  ...defaultRegistries,
  hooks: Registry.register(defaultHookTypes, eraseHookType(LossReportHook)),
}

const mnist = (split: 'train' | 'test', indices: number) => ({ type: 'MNIST', split, indices })

export const program = pipe(
  Program.empty,
  Program.withModel({
    type: 'MLP',
    in_features: 784,
    hidden: [32],
    num_classes: 10,
    data_preprocessor: { mean: [33.46], std: [78.87] },
  }),
  Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 }), {
    batch_size: 64,
    dataset: mnist('train', 640),
    sampler: { type: 'DefaultSampler', shuffle: true },
  }),
  Program.withOptimWrapper({ optimizer: { type: 'AdamW', lr: 0.003 } }),
  // `priority` may also be given here ('HIGH', 30, Priority.HIGH); it overrides the type's default.
  Program.withCustomHook({ type: 'LossReportHook', args: { prefix: 'train loss' } }),
  Program.withRandomness({ seed: 0 }),
)

/** Plan, then train; resolves to the hook order after a train epoch and the log lines the hook wrote. */
export const main = (options: { readonly workDir?: string } = {}) =>
  Effect.gen(function* () {
    const plan = yield* DryRun.dryRun(program, { registries })
    const order = plan.stages['after_train_epoch'] ?? []
    const reports: string[] = []
    const result = yield* train(program, {
      registries,
      ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
      print: (_level, message) => void (message.includes('after epoch') && reports.push(message)),
    })
    return { order, reports, count: State.hookState(result.state, 'custom_hooks[0]', 0) }
  })

if (process.argv[1]?.endsWith('customHook.ts')) {
  // runMain prints a bad setting as one line (exit code 2), never a stack trace.
  const outcome = await runMain(main())
  if (outcome !== undefined)
    console.log(`after_train_epoch runs: ${outcome.order.join(' → ')}\n${outcome.reports.join('\n')}`)
}
