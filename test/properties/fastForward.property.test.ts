/**
 * The fast-forward law: a dry run that skips quiet iterations by the hooks'
 * cadences plans exactly what the walking dry run plans (every hook at every
 * iteration), once its counted log-line runs are expanded.
 */
import { Effect } from 'effect'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, toProgram } from '../../src/config/index.js'
import { dryRun } from '../../src/interpreters/dry/dryRun.js'
import type { Plan } from '../../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../../src/interpreters/registries.js'
import {
  allCheckpoints,
  allEvaluations,
  allLines,
  allLogRuns,
  allRemovals,
  toArray,
} from '../../src/interpreters/dry/epochRuns.js'

const warmup = fc.record({
  type: fc.constant('LinearLR'),
  start_factor: fc.constantFrom(0.001, 0.1, 0.5),
  by_epoch: fc.constant(false),
  begin: fc.constant(0),
  end: fc.integer({ min: 1, max: 30 }),
})

const main = fc.oneof(
  fc.record({
    type: fc.constant('CosineAnnealingLR'),
    eta_min: fc.constantFrom(0, 1e-5),
    by_epoch: fc.boolean(),
    T_max: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    type: fc.constant('MultiStepLR'),
    milestones: fc
      .uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 })
      .map((m) => [...m].sort((a, b) => a - b)),
    gamma: fc.constantFrom(0.1, 0.5),
    by_epoch: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('PolyLR'),
    power: fc.constantFrom(0.9, 2),
    eta_min: fc.constantFrom(0, 1e-4),
    by_epoch: fc.boolean(),
  }),
)

const schedulers = fc.tuple(fc.option(warmup, { nil: undefined }), main, fc.boolean()).map(([w, m, convert]) => [
  ...(w === undefined ? [] : [w]),
  // A scheduler that follows the warmup starts where the warmup ends.
  {
    ...m,
    ...(w === undefined ? {} : { begin: m.by_epoch ? 1 : w.end }),
    ...(m.by_epoch && convert ? { convert_to_iter_based: true } : {}),
  },
])

const loop = fc.oneof(
  fc.record({
    type: fc.constant('EpochBasedTrainLoop'),
    max_epochs: fc.integer({ min: 2, max: 5 }),
    val_interval: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    type: fc.constant('IterBasedTrainLoop'),
    max_iters: fc.integer({ min: 31, max: 150 }),
    val_interval: fc.integer({ min: 1, max: 60 }),
    dynamic_intervals: fc.constantFrom(
      [],
      [[60, 7]],
      [
        [20, 50],
        [90, 3],
      ],
    ),
  }),
)

const hooks = fc.record({
  logger: fc.record({
    type: fc.constant('LoggerHook'),
    interval: fc.integer({ min: 1, max: 25 }),
    ignore_last: fc.boolean(),
    interval_exp_name: fc.integer({ min: 1, max: 40 }),
  }),
  checkpoint: fc.record({
    type: fc.constant('CheckpointHook'),
    interval: fc.integer({ min: 1, max: 40 }),
    by_epoch: fc.boolean(),
    max_keep_ckpts: fc.constantFrom(-1, 1, 2),
    save_last: fc.boolean(),
    save_begin: fc.integer({ min: 0, max: 5 }),
  }),
})

const customHooks = fc.subarray([
  { type: 'EMAHook', momentum: 0.01, begin_iter: 7 },
  { type: 'DenseCLHook', start_iters: 13 },
  { type: 'SimSiamHook', fix_pred_lr: true, lr: 0.05 },
  { type: 'SimSiamHook', fix_pred_lr: true, lr: 0.02, adjust_by_epoch: false },
  { type: 'SwAVHook', batch_size: 8, frozen_layers_cfg: { fc1: 9 } },
  {
    type: 'DeepClusterHook',
    extract_dataloader: { batch_size: 8, dataset: 'ArrayDataset(data.x, data.y)' },
    clustering: { type: 'Kmeans', k: 3 },
    unif_sampling: false,
    reweight: false,
    reweight_pow: 0.5,
    interval: 2,
  },
])

const config = fc.record({
  train_cfg: loop,
  trainSamples: fc.integer({ min: 8, max: 200 }),
  validate: fc.boolean(),
  param_scheduler: schedulers,
  default_hooks: hooks,
  custom_hooks: customHooks,
  window: fc.integer({ min: 1, max: 12 }),
  byEpochLog: fc.boolean(),
})

type Case = typeof config extends fc.Arbitrary<infer A> ? A : never

const programOf = (c: Case) => {
  const decoded = decode(
    {
      model: { type: 'TinyRegressor' },
      train_dataloader: { batch_size: 8, dataset: 'ArrayDataset(data.x, data.y)' },
      ...(c.validate
        ? {
            val_dataloader: { batch_size: 16, dataset: 'ArrayDataset(data.val_x, data.val_y)' },
            val_evaluator: { type: 'MSE' },
            val_cfg: {},
          }
        : {}),
      train_cfg: c.train_cfg,
      optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 } },
      param_scheduler: c.param_scheduler,
      default_hooks: c.default_hooks,
      custom_hooks: c.custom_hooks,
      log_processor: { window_size: c.window, by_epoch: c.byEpochLog },
      randomness: { seed: 1 },
    },
    defaultRegistries,
  )
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return toProgram(decoded.right)
}

const planOf = (c: Case, walk: boolean): Promise<Plan> =>
  Effect.runPromise(
    dryRun(programOf(c), { datasetSizes: { train: c.trainSamples, val: 20 }, traceLimit: 0, walk, worldSize: 1 }),
  )

/** The plan, or the one-line error both dry runs must agree on. */
const outcome = (c: Case, walk: boolean): Promise<Plan | string> =>
  planOf(c, walk).catch((e: unknown) => (e instanceof Error ? e.message : String(e)))

/** Equal structures whose numbers agree to a relative 1e-9. */
const closeTo = (a: unknown, b: unknown): boolean => {
  if (typeof a === 'number' && typeof b === 'number')
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b))
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => closeTo(x, b[i]))
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a)
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => closeTo((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    )
  }
  return a === b
}

/** Digits aside, two log lines say the same thing (the counted runs keep one sample line per kind). */
const shape = (message: string): string => message.replace(/[-+]?\d[\d.e+-]*/g, '#').replace(/\s+/g, '')

/** Every log line's position, written or counted, in order (whole-epoch repeats expanded). */
const positions = (plan: Plan): string[] =>
  [
    ...toArray(allLines(plan)).map((l) => ({ epoch: l.epoch, iter: l.iter })),
    ...toArray(allLogRuns(plan)).flatMap((r) =>
      Array.from({ length: r.count * r.lines }, (_, k) => ({
        epoch: r.epoch,
        iter: r.from + Math.floor(k / r.lines) * r.every,
      })),
    ),
  ]
    .sort((a, b) => a.iter - b.iter || a.epoch - b.epoch)
    .map((p) => `${p.epoch}:${p.iter}`)

/** The law for one config: the compact plan is the walked plan. How much was skipped (iterations, units). */
const lawHolds = async (
  c: Case,
): Promise<{ readonly iterations: number; readonly epochs: number; readonly blocks: number }> => {
  const walked = await outcome(c, true)
  const compact = await outcome(c, false)
  if (typeof walked === 'string' || typeof compact === 'string') {
    expect(compact).toEqual(walked)
    return { iterations: 0, epochs: 0, blocks: 0 }
  }
  expect(walked.logLines.runs).toEqual([])
  const same = (p: Plan) => ({
    steps: p.steps,
    stageCounts: p.stageCounts,
    evaluations: toArray(allEvaluations(p)),
    checkpoints: toArray(allCheckpoints(p)),
    removals: toArray(allRemovals(p)),
    files: p.files,
    warnings: p.warnings,
    traceCount: p.traceCount,
    count: p.logLines.count,
  })
  expect(same(compact)).toEqual(same(walked))
  // Jumped schedules agree with the stepped ones to rounding.
  expect(closeTo(compact.schedule, walked.schedule)).toBe(true)
  expect(closeTo(compact.paramGroups, walked.paramGroups)).toBe(true)
  // The lines that ran are the walk's lines at those positions; the counted ones fill exactly the rest.
  const byPosition = new Map<string, string[]>()
  for (const l of walked.logLines.lines) {
    const key = `${l.epoch}:${l.iter}`
    byPosition.set(key, [...(byPosition.get(key) ?? []), l.message])
  }
  for (const l of compact.logLines.lines) expect(byPosition.get(`${l.epoch}:${l.iter}`)).toContain(l.message)
  // Repeated lines say what the walk says there, digits aside.
  for (const l of toArray(allLines(compact)))
    expect((byPosition.get(`${l.epoch}:${l.iter}`) ?? []).map(shape)).toContain(shape(l.message))
  expect(positions(compact)).toEqual(positions(walked))
  for (const r of toArray(allLogRuns(compact)))
    for (let k = 0; k < r.count; k++) {
      const messages = byPosition.get(`${r.epoch}:${r.from + k * r.every}`) ?? []
      // Other lines may share the counters (a validation right after an epoch logs at the next one's).
      const shapes = messages.map(shape)
      const at = shapes.indexOf(shape(r.samples[0]!))
      expect(shapes.slice(at, at + r.samples.length)).toEqual(r.samples.map(shape))
    }
  return {
    iterations: compact.fastForward.iterations,
    epochs: compact.fastForward.epochs,
    blocks: compact.fastForward.blocks,
  }
}

describe('the dry run fast-forward', () => {
  it('plans what the walk plans: counts, checkpoints, evaluations, files, schedules, and every log line', async () => {
    let fastForwarded = 0
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        if ((await lawHolds(c)).iterations > 0) fastForwarded += 1
      }),
      { numRuns: 80, seed: 20261203 },
    )
    // Many generated runs really skip iterations (the others have too short epochs or too frequent events).
    expect(fastForwarded).toBeGreaterThan(20)
  }, 300_000)

  it('holds over many short epochs (50–500 epochs of 2–7 iterations)', async () => {
    const manyEpochs = fc
      .tuple(
        config,
        fc.integer({ min: 50, max: 500 }),
        fc.integer({ min: 1, max: 50 }),
        // batch_size 8: 2–7 batches.
        fc.integer({ min: 9, max: 56 }),
      )
      .map(
        ([c, maxEpochs, valInterval, trainSamples]): Case => ({
          ...c,
          train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: maxEpochs, val_interval: valInterval },
          trainSamples,
        }),
      )
    let repeated = 0
    await fc.assert(
      fc.asyncProperty(manyEpochs, async (c) => {
        if ((await lawHolds(c)).epochs > 0) repeated += 1
      }),
      { numRuns: 25, seed: 20261204 },
    )
    // Some repeat whole epochs (most have periods, lcm of their intervals, longer than the run).
    expect(repeated).toBeGreaterThan(0)
  }, 300_000)

  it('holds where whole epochs repeat (short periods: intervals of 1, 2, 5, 10 or 20)', async () => {
    const short = fc.constantFrom(1, 2, 5, 10, 20)
    const repeating = fc
      .tuple(
        config,
        fc.integer({ min: 60, max: 400 }),
        short,
        fc.constantFrom<ReadonlyArray<readonly [number, number]>>(
          [],
          [[30, 5]],
          [
            [40, 2],
            [90, 10],
          ],
        ),
        fc.integer({ min: 9, max: 56 }),
        fc.record({ log: short, exp: fc.constantFrom(10, 20, 40, 100), ckpt: short }),
        fc.boolean(),
      )
      .map(
        ([c, maxEpochs, valInterval, dynamic, trainSamples, every, byEpochCkpt]): Case => ({
          ...c,
          train_cfg: {
            type: 'EpochBasedTrainLoop',
            max_epochs: maxEpochs,
            val_interval: valInterval,
            dynamic_intervals: dynamic,
          } as Case['train_cfg'],
          trainSamples,
          default_hooks: {
            logger: { ...c.default_hooks.logger, interval: every.log, interval_exp_name: every.exp },
            checkpoint: { ...c.default_hooks.checkpoint, interval: every.ckpt, by_epoch: byEpochCkpt },
          },
        }),
      )
    let repeated = 0
    await fc.assert(
      fc.asyncProperty(repeating, async (c) => {
        if ((await lawHolds(c)).epochs > 0) repeated += 1
      }),
      { numRuns: 25, seed: 20261205 },
    )
    expect(repeated).toBeGreaterThan(10)
  }, 300_000)

  it('holds where blocks of iterations repeat (iteration-based loops with short intervals)', async () => {
    const repeating = fc
      .tuple(
        config,
        fc.integer({ min: 200, max: 1500 }),
        fc.constantFrom(5, 10, 20, 50),
        fc.constantFrom(1, 20, 45),
        fc.record({
          log: fc.constantFrom(1, 2, 5, 10),
          exp: fc.constantFrom(10, 20, 50, 100),
          ckpt: fc.constantFrom(5, 10, 20, 50),
        }),
        fc.boolean(),
      )
      .map(
        ([c, maxIters, valInterval, valBegin, every, byIterCkpt]): Case => ({
          ...c,
          train_cfg: {
            type: 'IterBasedTrainLoop',
            max_iters: maxIters,
            val_interval: valInterval,
            val_begin: valBegin,
          } as unknown as Case['train_cfg'],
          default_hooks: {
            logger: { ...c.default_hooks.logger, interval: every.log, interval_exp_name: every.exp },
            checkpoint: { ...c.default_hooks.checkpoint, interval: every.ckpt, by_epoch: !byIterCkpt },
          },
        }),
      )
    let repeated = 0
    await fc.assert(
      fc.asyncProperty(repeating, async (c) => {
        if ((await lawHolds(c)).blocks > 0) repeated += 1
      }),
      { numRuns: 25, seed: 20261206 },
    )
    expect(repeated).toBeGreaterThanOrEqual(8)
  }, 300_000)

  it('skips iterations on these configs: the law is not vacuous', async () => {
    const c: Case = {
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 3, val_interval: 1 },
      trainSamples: 800,
      validate: true,
      param_scheduler: [{ type: 'CosineAnnealingLR', eta_min: 0, by_epoch: true, T_max: 3 }],
      default_hooks: {
        logger: { type: 'LoggerHook', interval: 10, ignore_last: true, interval_exp_name: 30 },
        checkpoint: {
          type: 'CheckpointHook',
          interval: 1,
          by_epoch: true,
          max_keep_ckpts: 1,
          save_last: true,
          save_begin: 0,
        },
      },
      custom_hooks: [],
      window: 5,
      byEpochLog: true,
    }
    const compact = await planOf(c, false)
    expect(compact.fastForward.off).toBeUndefined()
    expect(compact.fastForward.iterations).toBeGreaterThan(200)
    expect(compact.logLines.runs.length).toBeGreaterThan(0)
  })
})
