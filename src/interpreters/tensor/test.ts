/**
 * `test(program, checkpoint)`: MMEngine's `runner.test()` as `tools/test.py` calls it — the config's model with
 * the checkpoint's weights (`load_from`), its `test_dataloader` scored by its `test_evaluator`, and nothing of
 * training: no train or val loop, no optimizer, no checkpoint written.
 *
 * @example
 * ```ts
 * const result = await Effect.runPromise(test(program, 'work_dirs/linear/epoch_10.safetensors'))
 * result.evaluations[0]?.metrics // { 'accuracy/top1': 84.2 }
 * ```
 * @module
 */
import type * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import type { Program } from '../../dsl/Program.js'
import { train } from './train.js'
import type { TrainError, TrainOptions, TrainResult } from './train.js'
import { fail } from './TrainError.js'

/**
 * The program `runner.test()` runs: the test loop alone, with `load_from` set to `checkpoint` when given (the
 * config's own `load_from` otherwise). A program without a test loop is an error naming what is missing.
 */
export const testProgram = (program: Program, checkpoint: string | undefined): E.Either<string, Program> => {
  if (program.testLoop === undefined)
    return E.left('the config has no test loop (test_dataloader, test_cfg and test_evaluator)')
  return E.right({
    ...program,
    trainLoop: undefined,
    valLoop: undefined,
    resume: false,
    loadFrom: checkpoint ?? program.loadFrom,
  })
}

/** Run the test loop of `program` with the weights of `checkpoint` (or of the config's `load_from`). */
export const test = (
  program: Program,
  checkpoint: string | undefined,
  options: Omit<TrainOptions, 'entry' | 'resume' | 'testAfterTrain'> = {},
): Effect.Effect<TrainResult, TrainError> => {
  const tested = testProgram(program, checkpoint)
  if (tested._tag === 'Left') return fail([{ path: 'test_cfg', message: tested.left }])
  return train(tested.right, { ...options, entry: 'test', writeCheckpoints: false })
}
