/**
 * Helpers shared by the scheduler tests.
 */
import type * as E from 'fp-ts/lib/Either.js'
import { expect } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'

/** The Right of an Either, or a failure that shows the Left. */
export const right = <A>(e: E.Either<unknown, A>): A => {
  if (e._tag === 'Left') throw new Error(`expected Right, got Left ${JSON.stringify(e.left)}`)
  return e.right
}

/** The Left of an Either, or a failure. */
export const left = <L>(e: E.Either<L, unknown>): L => {
  if (e._tag === 'Right') throw new Error(`expected Left, got Right ${JSON.stringify(e.right)}`)
  return e.left
}

/** `get_last_value()` of group `g` after construction and each of `count − 1` further steps. */
export const values = (
  config: unknown,
  groups: S.Groups,
  count: number,
  context: S.BuildContext = {},
  g = 0,
): number[] => right(S.curve(config, groups, context, count)).map((v) => v[g]!)

/** |a − b| ≤ rel·max(|a|, |b|), element by element. */
export const expectClose = (actual: ReadonlyArray<number>, expected: ReadonlyArray<number>, rel = 1e-12): void => {
  expect(actual.length).toBe(expected.length)
  actual.forEach((a, i) => {
    const b = expected[i]!
    const ok = Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b))
    if (!ok)
      expect.fail(
        `index ${i}: ${a} vs ${b} (relative ${Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b))} > ${rel})`,
      )
  })
}

/** `[v] * n` */
export const repeat = (v: number, n: number): number[] => Array.from({ length: n }, () => v)

/**
 * Build a list (or fail) and drive it as `ParamSchedulerHook` over an epoch-based run, recording the first group's
 * `read` during each iteration.
 */
export const runEpochs = (
  configs: unknown,
  groups: S.Groups,
  run: S.EpochRun,
  context: S.BuildContext = {
    epochLength: run.epochLength,
    maxEpochs: run.epochs,
    maxIters: run.epochs * run.epochLength,
  },
) => {
  const built = right(S.buildAll(configs, groups, context))
  return right(S.simulateEpochs(built.schedulers, built.groups, run))
}

/**
 * Step every scheduler of a list once per epoch (the MMEngine unit tests' loop), recording the first group's `param`
 * before each step.
 */
export const epochValues = (
  configs: unknown,
  groups: S.Groups,
  epochs: number,
  param = 'lr',
  context: S.BuildContext = {},
): number[] => {
  let { schedulers, groups: current } = right(S.buildAll(configs, groups, context))
  const out: number[] = []
  for (let e = 0; e < epochs; e++) {
    out.push(current[0]![param] as number)
    ;({ schedulers, groups: current } = right(S.stepAll(schedulers, current, { _tag: 'AfterTrainEpoch' })))
  }
  return out
}
