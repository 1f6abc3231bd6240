/**
 * The learning rate (and momentum) of the optimizer's default group at every
 * iteration, simulated with the real schedulers stepped where
 * ParamSchedulerHook steps them — before any compute. Param-wise groups scale
 * these curves by their multipliers.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import type { Json } from '../../dsl/MessageHub.js'
import type { TrainLoop } from '../../dsl/Loop.js'
import * as Loop from '../../dsl/Loop.js'
import { buildAll, stepAll, walkTrainLoop } from '../../optim/schedulers/index.js'
import type { Moment, TrainWalk } from '../../optim/schedulers/index.js'
import type { Hyper } from '../../optim/ParamGroups.js'
import * as Optim from '../../optim/OptimStateValues.js'
import { stepEpochs, stepIterations } from './schedulerSteps.js'
import { stepEpochs as jumpEpochs, stepIterations as jump } from '../../optim/schedulers/jump.js'

export interface Schedule {
  readonly iterations: number
  /** Values during iterations 0, every, 2·every, … (at most 500 points), and the last iteration. */
  readonly every: number
  readonly lr: ReadonlyArray<number>
  readonly momentum: ReadonlyArray<number> | undefined
  readonly final: { readonly lr: number; readonly momentum: number | undefined }
}

const momentumOf = (g: Hyper): number | undefined =>
  typeof g['momentum'] === 'number'
    ? g['momentum']
    : Array.isArray(g['betas']) && typeof g['betas'][0] === 'number'
      ? g['betas'][0]
      : undefined

/** Sample iterations 0, every, 2·every, … and the last one. */
const sampled = (i: number, every: number, maxIters: number): boolean => i % every === 0 || i === maxIters - 1

/** The next sampled iteration after `i`. */
const nextSample = (i: number, every: number, maxIters: number): number =>
  Math.min((Math.floor(i / every) + 1) * every, maxIters - 1)

/**
 * The walk of `loop`: only the sampled iterations and epoch ends are visited, the iterations in between are
 * jumped over (a million-iteration schedule costs its samples, epochs and breakpoints).
 */
const walkOf = (loop: TrainLoop, batchesPerEpoch: number, every: number, stepEvery: boolean): TrainWalk => {
  const maxIters = Loop.maxIters(loop, batchesPerEpoch)
  return {
    maxIters,
    epochLength: batchesPerEpoch,
    epochBased: loop.type === 'EpochBasedTrainLoop',
    ...(stepEvery ? {} : { sparse: { nextVisit: (i: number) => nextSample(i, every, maxIters) } }),
  }
}

const failureAt = (at: Moment, message: string): Issue => ({
  path: 'param_scheduler',
  message: `${at._tag === 'iter' ? `at iteration ${at.iter}` : `after epoch ${at.epoch}`}: ${message}`,
})

/** Simulate `param_scheduler` on one group with the optimizer's defaults. */
export const simulateSchedule = (
  schedulers: ReadonlyArray<{ readonly [key: string]: Json }>,
  defaults: Hyper,
  loop: TrainLoop,
  batchesPerEpoch: number,
  /** Step every iteration, as the hook does, instead of jumping between samples (the reference). Default false. */
  stepEvery = false,
): E.Either<ReadonlyArray<Issue>, Schedule> => {
  const maxIters = Loop.maxIters(loop, batchesPerEpoch)
  const built = buildAll(schedulers, [defaults], {
    epochLength: batchesPerEpoch,
    maxEpochs: Loop.maxEpochs(loop),
    maxIters,
    realGroups: 1,
    defaults,
  })
  if (built._tag === 'Left')
    return E.left(built.left.map((i) => ({ path: `param_scheduler${i.path}`, message: i.message })))
  const every = Math.max(1, Math.ceil(maxIters / 500))
  const lr: number[] = []
  const momentum: number[] = []
  const hasMomentum = momentumOf(built.right.groups[0]!) !== undefined
  const walked = walkTrainLoop(
    built.right,
    (state, trigger) => stepAll(state.schedulers, state.groups, trigger),
    walkOf(loop, batchesPerEpoch, every, stepEvery),
    (state, i) => {
      if (!sampled(i, every, maxIters)) return
      lr.push(state.groups[0]!['lr'] as number)
      if (hasMomentum) momentum.push(momentumOf(state.groups[0]!)!)
    },
    stepEvery ? undefined : (state, count) => jump(state.schedulers, state.groups, count),
    stepEvery ? undefined : (state, epochs) => jumpEpochs(state.schedulers, state.groups, epochs, batchesPerEpoch),
  )
  if (walked._tag === 'Left') return E.left([failureAt(walked.left.at, walked.left.error.message)])
  const last = walked.right.groups[0]!
  return E.right({
    iterations: maxIters,
    every,
    lr,
    momentum: hasMomentum ? momentum : undefined,
    final: { lr: last['lr'] as number, momentum: momentumOf(last) },
  })
}

/** A terminal plot of a curve: `width` columns, `height` rows, with its range. */
export const plot = (values: ReadonlyArray<number>, width = 60, height = 8): string => {
  if (values.length === 0) return ''
  const min = Math.min(...values)
  const max = Math.max(...values)
  const columns = Array.from(
    { length: Math.min(width, values.length) },
    (_, c) => values[Math.floor((c * (values.length - 1)) / Math.max(1, Math.min(width, values.length) - 1))]!,
  )
  const rowOf = (v: number) => (max === min ? 0 : Math.round(((v - min) / (max - min)) * (height - 1)))
  const rows = Array.from({ length: height }, (_, r) => height - 1 - r).map((r) =>
    columns.map((v) => (rowOf(v) === r ? '•' : ' ')).join(''),
  )
  const label = (v: number) => v.toExponential(2).padStart(9)
  return rows
    .map((row, i) => `${i === 0 ? label(max) : i === height - 1 ? label(min) : ' '.repeat(9)} │${row}`)
    .join('\n')
}

/** An SVG picture of the curves (for `--plot FILE.svg`). */
export const svg = (schedule: Schedule): string => {
  const w = 640
  const h = 240
  const pad = 40
  const series = [
    { name: 'lr', values: schedule.lr, color: '#1f77b4' },
    ...(schedule.momentum === undefined ? [] : [{ name: 'momentum', values: schedule.momentum, color: '#ff7f0e' }]),
  ]
  const paths = series.map((s) => {
    const min = Math.min(...s.values)
    const max = Math.max(...s.values)
    const x = (i: number) => pad + (i * (w - 2 * pad)) / Math.max(1, s.values.length - 1)
    const y = (v: number) => h - pad - (max === min ? 0.5 : (v - min) / (max - min)) * (h - 2 * pad)
    const d = s.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    return (
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/><text ` +
      `x="${w - pad}" y="${y(s.values.at(-1)!) - 4}" font-size="11" text-anchor="end" ` +
      `fill="${s.color}">${s.name} (${min.toExponential(2)} … ` +
      `${max.toExponential(2)})</text>`
    )
  })
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ` +
    `${w} ${h}"><rect width="100%" height="100%" fill="white"/><line x1="${pad}" ` +
    `y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><text ` +
    `x="${w / 2}" y="${h - 10}" font-size="11" text-anchor="middle">iteration (0 … ` +
    `${schedule.iterations})</text>${paths.join('')}</svg>\n`
  )
}

/** The lr of every real param group, sampled as {@link Schedule} samples the default group. */
export interface GroupSchedules {
  readonly every: number
  readonly iterations: number
  readonly lr: ReadonlyArray<ReadonlyArray<number>>
}

/**
 * Step the schedulers held in an optimizer state through a whole run, as
 * `ParamSchedulerHook` steps them, and sample every real group's lr.
 */
export const simulateGroups = (
  optim: Optim.OptimState,
  loop: TrainLoop,
  batchesPerEpoch: number,
  /** Step every iteration, as the hook does, instead of jumping between samples (the reference). Default false. */
  stepEvery = false,
): E.Either<ReadonlyArray<Issue>, GroupSchedules> => {
  const maxIters = Loop.maxIters(loop, batchesPerEpoch)
  const every = Math.max(1, Math.ceil(maxIters / 500))
  const real = optim.slots[0]?.slot.groups.real.length ?? 0
  const lr: number[][] = Array.from({ length: real }, () => [])
  const walked = walkTrainLoop(
    optim,
    Optim.stepSchedulers,
    walkOf(loop, batchesPerEpoch, every, stepEvery),
    (state, i) => {
      if (sampled(i, every, maxIters))
        state.slots[0]!.slot.groups.real.forEach((g, k) => {
          lr[k]!.push(g.hyper['lr'] as number)
        })
    },
    stepEvery ? undefined : stepIterations,
    stepEvery ? undefined : (state, epochs) => stepEpochs(state, epochs, batchesPerEpoch),
  )
  if (walked._tag === 'Left') return E.left([failureAt(walked.left.at, walked.left.error.message)])
  return E.right({ every, iterations: maxIters, lr })
}
