/**
 * Benchmarks of the pure layer and the dry run.
 *
 * - timeline: how fast the lazy event sequence unfolds (events/s);
 * - dry run: iterations/s through the six default hooks with recording services,
 *   side by side with the bare timeline, so the ratio says what hooks cost.
 */
import { Effect } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import * as Loop from '../src/dsl/Loop.js'
import * as Program from '../src/dsl/Program.js'
import { timeline } from '../src/dsl/timeline.js'
import { dryRun } from '../src/interpreters/dry/dryRun.js'
import { measure, report } from './harness.js'

const unfold = (iters: number) => {
  let n = 0
  for (const _ of timeline({ trainLoop: Loop.IterBasedTrainLoop({ max_iters: iters }) }, { train: 5005 })) n++
  return n
}

const program = (iters: number) =>
  pipe(
    Program.empty,
    Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: iters, val_interval: iters }), {
      batch_size: 64,
      dataset: { type: 'MNIST' },
    }),
    Program.withDefaultHooks({
      logger: { type: 'LoggerHook', args: { interval: 50 } },
      checkpoint: { type: 'CheckpointHook', args: { interval: 1000, by_epoch: false } },
    }),
    Program.withRandomness({ seed: 0 }),
  )

export const timelineBench = async () => {
  const events = unfold(1_500_000)
  const results = [
    await measure('timeline: unfold IterBased 1.5M iterations', 5, () => unfold(1_500_000), {
      units: events,
      unit: 'events',
    }),
    await measure('timeline: unfold 20k iterations (bare, for the ratio below)', 7, () => unfold(20_000), {
      units: 20_000,
      unit: 'iterations',
    }),
    await measure(
      'dry run: 20k iterations through the 6 default hooks',
      7,
      () => Effect.runPromise(dryRun(program(20_000), { traceLimit: 0 })),
      { units: 20_000, unit: 'iterations' },
    ),
  ]
  console.log(report(results))
  const [, bare, dry] = results
  console.log(
    `\nhooks + services cost ${(dry!.medianMs / bare!.medianMs).toFixed(1)}× the bare timeline (medians, same run)`,
  )
}
