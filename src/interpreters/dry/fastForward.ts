/**
 * The dry run's fast-forward: at each iteration boundary it asks every hook's
 * {@link Cadence} where that hook next needs to run for real, and moves the
 * train loop there in one step, with the state the quiet iterations in between
 * would leave (the cadences' closed forms) and the records they would make
 * (stage counts, steps, and log lines counted from a real occurrence of the
 * same kind). A short tail before each real iteration is walked, so that what
 * hooks derive from the last iterations (the message hub's windows, values set
 * from the counters) is exactly what a walk leaves.
 *
 * Iterations stay walked while the plan's trace is being filled, and always
 * when a hook acting at a train-iteration stage has no cadence: correctness
 * never depends on the shortcut, and the plan says in one line when it was not
 * taken.
 * @module
 */
import type { StageEvent } from '../../dsl/Event.js'
import * as Hook from '../../dsl/Hook.js'
import type { TrainLoop } from '../../dsl/Loop.js'
import * as Loop from '../../dsl/Loop.js'
import type { Program } from '../../dsl/Program.js'
import type { HookServices } from '../../dsl/Services.js'
import type { State } from '../../dsl/State.js'
import type { Sizes } from '../../dsl/timeline.js'
import type { HookType } from '../../hooks/HookType.js'
import type * as Registry from '../../schema/registry.js'
import type { Cadence, CadenceOf, Occurrence, Position } from './cadences.js'
import { builtInCadences, cadencesOf } from './cadences.js'
import type { Recording } from './layers.js'
import { epochForward } from './epochForward.js'
import type { EpochCadenceOf } from './epochCadences.js'

/** What the fast-forward needs to know about the run. */
export interface FastForwardInput {
  readonly program: Program
  /** The run's hooks in execution order. */
  readonly hooks: ReadonlyArray<Hook.Hook<HookServices>>
  readonly hookTypes: Registry.Registry<HookType<unknown>>
  readonly sizes: Sizes
  readonly recording: Recording
  readonly traceLimit: number
  /** A clock other than the dry run's still one makes every iteration's timings differ: then nothing is skipped. */
  readonly customClock: boolean
  readonly cadences?: { readonly [hookType: string]: CadenceOf }
  readonly epochCadences?: { readonly [hookType: string]: EpochCadenceOf }
}

/** The fast-forward of one run: the `fastForward` control of `interpret`, and why it may be off. */
export interface FastForward {
  /** Why every iteration is walked (one line for the plan), or undefined when the fast-forward is on. */
  readonly off: string | undefined
  /** Why no whole epoch (no block of an iteration-based loop) is repeated, when iterations are fast-forwarded. */
  readonly epochsOff: string | undefined
  /** In an iteration-based loop, the iterations of a block (see `blockCadences.ts`), when blocks can repeat. */
  readonly block: number | undefined
  readonly control: (
    state: State,
    event: StageEvent,
  ) =>
    | { readonly state: State; readonly skipTo?: number; readonly skipEpochsTo?: number; readonly skipItersTo?: number }
    | undefined
}

const iterStages = ['before_train_iter', 'after_train_iter'] as const

/**
 * The iterations a log line may average over (`log_processor` windows); the walked tail covers them. Unbounded
 * when a `custom_cfg` entry averages a scalar over the epoch or the whole run.
 */
const historyNeeded = (program: Program): number | string => {
  const lp = (program.settings['log_processor'] ?? {}) as {
    readonly window_size?: unknown
    readonly custom_cfg?: ReadonlyArray<{ readonly data_src?: unknown; readonly window_size?: unknown }>
  }
  let need = typeof lp.window_size === 'number' ? lp.window_size : 10
  for (const [i, c] of (lp.custom_cfg ?? []).entries()) {
    if (typeof c.window_size === 'number') need = Math.max(need, c.window_size)
    else if (c.window_size !== undefined && c.data_src !== '')
      return `log_processor.custom_cfg[${i}] reads ${String(c.data_src)} over window_size='${String(c.window_size)}'`
  }
  return need
}

/**
 * The first iteration at or after `iter` after which validation runs (an iteration-based loop validates after
 * the iteration whose count of finished iterations `validatesAfter` accepts), or `Infinity`.
 */
export const nextValidationIter = (loop: TrainLoop, iter: number): number => {
  const total = loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs : loop.max_iters
  let finished = Math.max(iter + 1, loop.val_begin)
  while (finished <= total) {
    const interval = Math.max(1, Loop.valIntervalAfter(loop, finished))
    const candidate = Math.min(Math.ceil(finished / interval) * interval, total)
    // A milestone up to the candidate changes the interval in force: look again from there.
    const change = loop.dynamic_intervals
      .map(([m]) => m - 1)
      .filter((f) => f > finished && f <= candidate)
      .find((f) => Loop.valIntervalAfter(loop, f) !== interval)
    if (change !== undefined) finished = change
    else if (Loop.validatesAfter(loop, candidate)) return candidate - 1
    else finished = candidate + 1
  }
  return Infinity
}

interface Template {
  readonly logs: ReadonlyArray<string>
  readonly files: ReadonlyArray<{ readonly op: string; readonly path: string }>
}

/** Build the fast-forward for a dry run. */
export const fastForward = (input: FastForwardInput): FastForward => {
  const { program, hooks, sizes, recording } = input
  const loop = program.trainLoop
  const trainLength = sizes.train ?? 0
  const never: FastForward['control'] = () => undefined
  const offWith = (why: string): FastForward => ({ off: why, epochsOff: undefined, block: undefined, control: never })
  if (loop === undefined || trainLength === 0)
    return { off: undefined, epochsOff: undefined, block: undefined, control: never }
  if (input.customClock) return offWith('a clock that moves makes each iteration differ')
  const context = {
    trainLength,
    maxIters: Loop.maxIters(loop, trainLength),
    maxEpochs: Loop.maxEpochs(loop),
  }
  const perIter = new Set(hooks.filter((h) => iterStages.some((s) => Hook.actsAt(h, s))).map((h) => h.key))
  const found = cadencesOf(
    program,
    input.hookTypes,
    (decl) => perIter.has(decl.key),
    context,
    input.cadences ?? builtInCadences,
  )
  const missing = found.flatMap((c) => (c._tag === 'None' ? [c.name] : []))
  if (missing.length > 0)
    return offWith(`${[...new Set(missing)].join(', ')} declare${missing.length === 1 ? 's' : ''} no cadence`)
  const history = historyNeeded(program)
  if (typeof history === 'string') return offWith(history)
  const tail = Math.max(1, history)
  const cadences = found.flatMap((c) => (c._tag === 'Cadence' ? [c.cadence] : []))
  // One hook's write-only occurrences (LoggerHook's lines) are counted; another's are run like any activity.
  const counter = cadences.find((c) => c.nextOccurrence !== undefined)
  const others: ReadonlyArray<Cadence> = cadences.filter((c) => c !== counter)
  const nextOther = (at: Position, limit: number): number =>
    others.reduce((m, c) => Math.min(m, c.nextActive(at, m)), counter?.nextActive(at, limit) ?? limit)
  // Trace entries of one iteration: its two stage events, its step, and one call per acting hook.
  const tracePerIter = 3 + iterStages.reduce((n, s) => n + Hook.atStage(hooks, s).length, 0)
  const templates = new Map<string, Template>()
  let mark = { logs: 0, files: 0 }

  const positionAfter = (event: StageEvent): Position | undefined => {
    if (event.stage === 'before_train_epoch')
      return {
        iter: event.iter,
        epoch: event.epoch,
        batchIdx: loop.type === 'EpochBasedTrainLoop' ? event.iter - event.epoch * trainLength : event.iter,
      }
    const next = { iter: event.iter + 1, epoch: event.epoch, batchIdx: (event.batchIdx ?? 0) + 1 }
    return loop.type === 'EpochBasedTrainLoop' && next.batchIdx >= trainLength ? undefined : next
  }

  // After a real iteration that was an occurrence of a kind not yet seen, alone: what it recorded is that kind's.
  const learn = (event: StageEvent) => {
    if (counter === undefined) return
    const at = { iter: event.iter, epoch: event.epoch, batchIdx: event.batchIdx ?? 0 }
    const occurrence = counter.nextOccurrence!(at, at.iter + 1)
    if (occurrence === undefined || templates.has(occurrence.kind) || nextOther(at, at.iter + 1) <= at.iter) return
    templates.set(occurrence.kind, {
      logs: recording.logs.slice(mark.logs).map((l) => l.message),
      files: recording.files.slice(mark.files).map((f) => ({ op: f.op, path: f.path })),
    })
  }

  const count = (epoch: number, occurrence: Occurrence) => {
    const template = templates.get(occurrence.kind)!
    const counted = recording.counted
    counted.logs += template.logs.length
    for (const f of template.files) {
      const entry = counted.files.get(f.path) ?? { writes: 0, appends: 0 }
      if (f.op === 'append') entry.appends += 1
      else if (f.op !== 'remove') entry.writes += 1
      counted.files.set(f.path, entry)
    }
    const last = counted.runs.at(-1)
    // A run stays within its epoch, or its block of iterations: units repeat with their runs.
    const block = epochs.block
    if (
      last !== undefined &&
      last.epoch === epoch &&
      (block === undefined || Math.floor(last.from / block) === Math.floor(occurrence.iter / block)) &&
      last.kind === occurrence.kind &&
      (last.count === 1 || occurrence.iter - last.to === last.every)
    ) {
      last.every = occurrence.iter - last.to
      last.to = occurrence.iter
      last.count += 1
    } else
      counted.runs.push({
        epoch,
        from: occurrence.iter,
        to: occurrence.iter,
        every: 1,
        count: 1,
        kind: occurrence.kind,
        lines: template.logs.length,
        samples: template.logs,
      })
  }

  /**
   * How many of an epoch's last iterations must be walked when nothing runs for real before its end. Nothing at
   * the epoch's end or in the validation after it reads the train windows, so only the next epoch's first real
   * iteration can: when it comes within `tail` batches of that epoch's start, its windows still hold this epoch's
   * last iterations. (Kinds learned meanwhile only move that iteration later, which needs fewer.)
   */
  const carriedOver = (epochEnd: number, epoch: number): number => {
    if (epoch + 1 >= context.maxEpochs) return 0
    const next: Position = { iter: epochEnd, epoch: epoch + 1, batchIdx: 0 }
    let first = nextOther(next, epochEnd + Math.min(tail, trainLength))
    if (counter !== undefined) {
      let from = next
      for (;;) {
        const o = counter.nextOccurrence!(from, first)
        if (o === undefined) break
        if (!templates.has(o.kind)) {
          first = o.iter
          break
        }
        from = { iter: o.iter + 1, epoch: next.epoch, batchIdx: o.iter + 1 - epochEnd }
      }
    }
    return Math.max(0, tail - (first - epochEnd) - 1)
  }

  const epochs = epochForward({
    program,
    hooks,
    hookTypes: input.hookTypes,
    recording,
    traceLimit: input.traceLimit,
    context,
    ...(input.epochCadences === undefined ? {} : { epochCadences: input.epochCadences }),
  })

  const control: FastForward['control'] = (state, event) => {
    if (event.stage !== 'after_train_iter' && event.stage !== 'before_train_iter') {
      const skip = epochs.control(state, event)
      if (skip !== undefined) return skip
    }
    if (event.stage === 'after_train_iter') {
      learn(event)
      // The last iteration of a block (iteration-based loops) may end a unit that repeats.
      if (epochs.block !== undefined) {
        const skip = epochs.control(state, event)
        if (skip !== undefined) return skip
        // Not past a block's end: the validation after it may end the block, and skip whole blocks.
        if ((event.iter + 1) % epochs.block === 0) return undefined
      }
    }
    // An iteration's records (LoggerHook writes at after_train_iter) are those made after its before_train_iter.
    if (event.stage === 'before_train_iter') mark = { logs: recording.logs.length, files: recording.files.length }
    if (event.stage !== 'after_train_iter' && event.stage !== 'before_train_epoch') return undefined
    if (state.stopTraining || recording.trace.length < input.traceLimit) return undefined
    const at = positionAfter(event)
    if (at === undefined) return undefined
    const epochEnd = loop.type === 'EpochBasedTrainLoop' ? at.iter + (trainLength - at.batchIdx) : undefined
    let limit = epochEnd ?? context.maxIters
    if (loop.type === 'IterBasedTrainLoop' && program.valLoop !== undefined)
      limit = Math.min(limit, nextValidationIter(loop, at.iter))
    // A block's last iteration runs, so that the block's end is seen.
    if (epochs.block !== undefined) limit = Math.min(limit, (Math.floor(at.iter / epochs.block) + 1) * epochs.block - 1)
    limit = nextOther(at, limit)
    // Occurrences of a kind not yet seen are run for real (and teach the kind); the others are counted.
    const occurrences: Occurrence[] = []
    if (counter !== undefined) {
      let from = at
      for (;;) {
        const o = counter.nextOccurrence!(from, limit)
        if (o === undefined) break
        if (!templates.has(o.kind)) {
          limit = o.iter
          break
        }
        occurrences.push(o)
        from = { iter: o.iter + 1, epoch: at.epoch, batchIdx: at.batchIdx + (o.iter + 1 - at.iter) }
      }
    }
    const to = limit - (limit === epochEnd ? carriedOver(epochEnd, at.epoch) : tail)
    if (to <= at.iter) return undefined
    let next: State | undefined = state
    for (const c of cadences) if (c.advance !== undefined && next !== undefined) next = c.advance(next, at, to)
    if (next === undefined) return undefined
    for (const o of occurrences) if (o.iter < to) count(at.epoch, o)
    const n = to - at.iter
    recording.counted.iterations += n
    recording.counted.stretches += 1
    recording.traceCount += n * tracePerIter
    recording.stepCounts.train += n
    for (const s of iterStages) recording.stageCounts.set(s, (recording.stageCounts.get(s) ?? 0) + n)
    return { state: next, skipTo: to }
  }
  return { off: undefined, epochsOff: epochs.off, block: epochs.block, control }
}
