/**
 * Runs of whole epochs in a plan: the records of a block of interpreted
 * epochs that repeat, shifted, over the epochs after it (the whole-epoch
 * fast-forward). A plan lists each record once; these functions give the
 * complete lists back, lazily (a plan of 10¹² epochs has more records than
 * memory holds).
 * @module
 */
import type { LogRun } from './layers.js'

/** An index range `[start, end)` into one of the plan's lists. */
export type Range = readonly [number, number]

/**
 * The records of the `epochs` epochs before `from` (validations after them included) repeat `count` times: repeat
 * `k` (1-based) has every counter moved on by `k × epochs` epochs and `k × iterations` iterations, and the step
 * number in each checkpoint's file name by as many epochs (an epoch checkpoint) or iterations.
 */
export interface EpochRun {
  readonly from: number
  readonly count: number
  readonly epochs: number
  readonly iterations: number
  /** Where the repeated records are in the plan's lists (`logLines.lines`, `logLines.runs`, …). */
  readonly source: {
    readonly lines: Range
    readonly runs: Range
    readonly evaluations: Range
    readonly checkpoints: Range
    readonly removals: Range
    /** For each removal in the source, whether the removed file's step counts epochs or iterations. */
    readonly removalSteps: ReadonlyArray<'epoch' | 'iter'>
  }
  /** Log lines one repeat writes (those written and those counted in runs). */
  readonly linesPerRepeat: number
}

interface Counters {
  readonly epoch: number
  readonly iter: number
}

/** A list completed by its epoch runs: its length and its `k`-th element, without building it. */
export interface Expanded<T> {
  readonly length: number
  readonly at: (k: number) => T
}

type Which = 'lines' | 'runs' | 'evaluations' | 'checkpoints' | 'removals'

/** `real` with the repeats of `runs` inserted where they happened (after their source). */
const expanded = <T>(
  real: ReadonlyArray<T>,
  runs: ReadonlyArray<EpochRun>,
  which: Which,
  shift: (item: T, run: EpochRun, k: number, index: number) => T,
): Expanded<T> => {
  type Segment =
    | { readonly _tag: 'real'; readonly start: number; readonly length: number }
    | { readonly _tag: 'run'; readonly run: EpochRun; readonly size: number; readonly length: number }
  const segments: Segment[] = []
  let next = 0
  for (const run of runs) {
    const [start, end] = run.source[which]
    segments.push({ _tag: 'real', start: next, length: end - next })
    next = end
    segments.push({ _tag: 'run', run, size: end - start, length: run.count * (end - start) })
  }
  segments.push({ _tag: 'real', start: next, length: real.length - next })
  return {
    length: segments.reduce((n, s) => n + s.length, 0),
    at: (k) => {
      let left = k
      for (const s of segments) {
        if (left >= s.length) {
          left -= s.length
          continue
        }
        if (s._tag === 'real') return real[s.start + left]!
        const index = s.run.source[which][0] + (left % s.size)
        return shift(real[index]!, s.run, Math.floor(left / s.size) + 1, index - s.run.source[which][0])
      }
      throw new RangeError(`index ${k} is past the end (${segments.reduce((n, s) => n + s.length, 0)})`)
    },
  }
}

const moved = <T extends Counters>(item: T, run: EpochRun, k: number): T => ({
  ...item,
  epoch: item.epoch + k * run.epochs,
  iter: item.iter + k * run.iterations,
})

/** `path` with the step number `step` in its file name moved on by `by`. */
const withStep = (p: string, step: number, by: number): string => {
  const slash = p.lastIndexOf('/')
  const name = p.slice(slash + 1)
  const at = name.lastIndexOf(String(step))
  return at < 0 ? p : `${p.slice(0, slash + 1)}${name.slice(0, at)}${step + by}${name.slice(at + String(step).length)}`
}

/** The step in a checkpoint's file name: its epoch when the name ends with that number, else its iteration. */
const stepKind = (p: string, epoch: number): 'epoch' | 'iter' => {
  const numbers = p.slice(p.lastIndexOf('/') + 1).match(/\d+/g) ?? []
  return numbers.at(-1) === String(epoch) ? 'epoch' : 'iter'
}

/** The number a removed checkpoint's file name ends with. */
const lastNumber = (p: string): number => Number((p.slice(p.lastIndexOf('/') + 1).match(/\d+/g) ?? ['0']).at(-1))

/** A plan's lists that epoch runs complete. */
export interface Lists<Line, Evaluation, Checkpoint, Removal> {
  readonly logLines: { readonly lines: ReadonlyArray<Line>; readonly runs: ReadonlyArray<LogRun> }
  readonly evaluations: ReadonlyArray<Evaluation>
  readonly checkpoints: ReadonlyArray<Checkpoint>
  readonly removals: ReadonlyArray<Removal>
  readonly epochRuns: ReadonlyArray<EpochRun>
}

/** Every log line written in interpreted iterations, in order, with the repeats. */
export const allLines = <L extends Counters>(plan: Lists<L, unknown, unknown, unknown>): Expanded<L> =>
  expanded(plan.logLines.lines, plan.epochRuns, 'lines', moved)

/** Every counted run of log lines, with the repeats. */
export const allLogRuns = (plan: Lists<unknown, unknown, unknown, unknown>): Expanded<LogRun> =>
  expanded(plan.logLines.runs, plan.epochRuns, 'runs', (r, run, k) => ({
    ...r,
    epoch: r.epoch + k * run.epochs,
    from: r.from + k * run.iterations,
    to: r.to + k * run.iterations,
  }))

/** Every validation and test, with the repeats. */
export const allEvaluations = <E extends Counters>(plan: Lists<unknown, E, unknown, unknown>): Expanded<E> =>
  expanded(plan.evaluations, plan.epochRuns, 'evaluations', moved)

/** Every checkpoint saved, with the repeats. */
export const allCheckpoints = <C extends Counters & { readonly path: string }>(
  plan: Lists<unknown, unknown, C, unknown>,
): Expanded<C> =>
  expanded(plan.checkpoints, plan.epochRuns, 'checkpoints', (c, run, k) => {
    const kind = stepKind(c.path, c.epoch)
    const step = kind === 'epoch' ? c.epoch : c.iter
    return { ...moved(c, run, k), path: withStep(c.path, step, k * (kind === 'epoch' ? run.epochs : run.iterations)) }
  })

/** Every checkpoint removed by `max_keep_ckpts`, with the repeats. */
export const allRemovals = <R extends Counters & { readonly path: string }>(
  plan: Lists<unknown, unknown, unknown, R>,
): Expanded<R> =>
  expanded(plan.removals, plan.epochRuns, 'removals', (r, run, k, index) => {
    const by = run.source.removalSteps[index] === 'epoch' ? run.epochs : run.iterations
    return { ...moved(r, run, k), path: withStep(r.path, lastNumber(r.path), k * by) }
  })

/** The whole list (for tests and small plans). */
export const toArray = <T>(list: Expanded<T>): T[] => Array.from({ length: list.length }, (_, k) => list.at(k))

/** The first and last `max / 2` elements of a list (all of it when short), with its length. */
export const ends = <T>(list: Expanded<T>, max = 12): { readonly items: ReadonlyArray<T>; readonly total: number } => {
  if (list.length <= max) return { items: toArray(list), total: list.length }
  const half = Math.floor(max / 2)
  return {
    items: [
      ...Array.from({ length: half }, (_, k) => list.at(k)),
      ...Array.from({ length: half }, (_, k) => list.at(list.length - half + k)),
    ],
    total: list.length,
  }
}

/** The step kind of a checkpoint (for a removal's source). */
export const checkpointStepKind = stepKind
