/**
 * The dry run's whole-epoch fast-forward: once a block of interpreted epochs
 * (each with the validation after it) is one period of every hook's records
 * ({@link EpochCadence}), the epochs after it up to the next change of regime
 * repeat it. They are left out of the timeline (`skipEpochsTo`), the state
 * they leave is computed by the cadences' closed forms, their counts are the
 * block's counts times the repeats, and their records are one
 * {@link EpochRun} that refers to the block's. The epoch before the next
 * change, and the last epoch, are always interpreted, so the message hub's
 * windows there are what a walk leaves.
 * @module
 */
import type { StageEvent } from '../../dsl/Event.js'
import * as Hook from '../../dsl/Hook.js'
import * as Loop from '../../dsl/Loop.js'
import type { Program } from '../../dsl/Program.js'
import type { HookServices } from '../../dsl/Services.js'
import type { State } from '../../dsl/State.js'
import type { Stage } from '../../dsl/Stage.js'
import type { HookType } from '../../hooks/HookType.js'
import type * as Registry from '../../schema/registry.js'
import type { CadenceContext } from './cadences.js'
import type { EpochCadence, EpochCadenceOf } from './epochCadences.js'
import { builtInEpochCadences, epochCadencesOf, lcm, validationCadence } from './epochCadences.js'
import { blockContext, blockValidationCadence, builtInBlockCadences } from './blockCadences.js'
import { checkpointStepKind } from './epochRuns.js'
import type { Recording } from './layers.js'

/** The stages a unit (a train epoch and the validation after it) runs. */
const unitStages: ReadonlyArray<Stage> = [
  'before_train_epoch',
  'before_train_iter',
  'after_train_iter',
  'after_train_epoch',
  'before_val',
  'before_val_epoch',
  'before_val_iter',
  'after_val_iter',
  'after_val_epoch',
  'after_val',
  'before_save_checkpoint',
]

/** Where the recording stood when a unit started. */
interface Mark {
  readonly lines: number
  readonly runs: number
  readonly evaluations: number
  readonly saves: number
  readonly files: number
  readonly removals: number
  readonly traceCount: number
  readonly stageCounts: ReadonlyMap<string, number>
  readonly steps: { readonly train: number; readonly val: number; readonly test: number }
  readonly countedLogs: number
  readonly countedFiles: ReadonlyMap<string, { readonly writes: number; readonly appends: number }>
  readonly iterations: number
}

export interface EpochForwardInput {
  readonly program: Program
  readonly hooks: ReadonlyArray<Hook.Hook<HookServices>>
  readonly hookTypes: Registry.Registry<HookType<unknown>>
  readonly recording: Recording
  readonly traceLimit: number
  readonly context: CadenceContext
  readonly epochCadences?: { readonly [hookType: string]: EpochCadenceOf }
}

export interface EpochForward {
  /** Why no epoch (no block of an iteration-based loop) is repeated (one line for the plan), or undefined. */
  readonly off: string | undefined
  /** In an iteration-based loop, the iterations of a block; the last iteration of each must be interpreted. */
  readonly block: number | undefined
  /**
   * Asked after every stage event (and, in an iteration-based loop, after every `after_train_iter`): the state and
   * the epoch (`skipEpochsTo`) or iteration (`skipItersTo`) to continue at, when units are left out.
   */
  readonly control: (
    state: State,
    event: StageEvent,
  ) => { readonly state: State; readonly skipEpochsTo?: number; readonly skipItersTo?: number } | undefined
}

const add = (into: Map<string, number>, key: string, by: number) => into.set(key, (into.get(key) ?? 0) + by)

/**
 * The block length of an iteration-based run: the least common multiple of `val_interval` and of every hook's period
 * in iterations, or why blocks cannot repeat.
 */
const blockLength = (
  input: EpochForwardInput,
  loop: Loop.TrainLoop,
  acting: ReadonlySet<string>,
  table: { readonly [hookType: string]: EpochCadenceOf },
): number | string => {
  const { program, context } = input
  if (program.valLoop !== undefined && loop.dynamic_intervals.length > 0)
    return 'dynamic validation intervals in an iteration-based loop'
  const perIteration = epochCadencesOf(
    program,
    input.hookTypes,
    (d) => acting.has(d.key),
    blockContext(context, 1),
    table,
  )
  let block = program.valLoop === undefined ? 1 : Math.max(1, loop.val_interval)
  for (const c of perIteration) if (c._tag === 'Cadence') block = lcm(block, c.cadence.period)
  return 2 * block <= context.maxIters
    ? block
    : `the hooks repeat every ${Number.isFinite(block) ? block : 'too many'} iterations, not twice in the run`
}

/** Build the whole-epoch fast-forward of a run (blocks of iterations in an iteration-based one). */
export const epochForward = (input: EpochForwardInput): EpochForward => {
  const { program, hooks, recording } = input
  const loop = program.trainLoop
  const never: EpochForward['control'] = () => undefined
  if (loop === undefined) return { off: 'no train loop', block: undefined, control: never }
  const blocks = loop.type === 'IterBasedTrainLoop'
  const acting = new Set(hooks.filter((h) => unitStages.some((s) => Hook.actsAt(h, s))).map((h) => h.key))
  const table = blocks ? builtInBlockCadences(input.context.trainLength) : (input.epochCadences ?? builtInEpochCadences)
  const block = blocks ? blockLength(input, loop, acting, table) : undefined
  if (typeof block === 'string') return { off: block, block: undefined, control: never }
  const context = block === undefined ? input.context : blockContext(input.context, block)
  const found = epochCadencesOf(program, input.hookTypes, (decl) => acting.has(decl.key), context, table)
  const missing = [...new Set(found.flatMap((c) => (c._tag === 'None' ? [c.name] : [])))]
  if (missing.length > 0)
    return {
      off: `${missing.join(', ')} declare${missing.length === 1 ? 's' : ''} no ${blocks ? 'block' : 'epoch'} cadence`,
      block: undefined,
      control: never,
    }
  const validates = program.valLoop !== undefined
  const cadences: ReadonlyArray<EpochCadence> = [
    block === undefined ? validationCadence(loop, validates) : blockValidationCadence(loop, validates, block),
    ...found.flatMap((c) => (c._tag === 'Cadence' ? [c.cadence] : [])),
  ]
  const period = cadences.reduce((m, c) => lcm(m, c.period), 1)
  const batches = context.trainLength
  const marks = new Map<number, Mark>()
  let removals = 0
  let scanned = 0
  // Units from here on were interpreted (a source block must not hold repeated ones). An iteration-based loop's
  // first block holds its one `before_train_epoch`, which the others do not repeat.
  let interpretedSince = blocks ? 1 : 0

  const mark = (): Mark => {
    for (; scanned < recording.files.length; scanned++) if (recording.files[scanned]!.op === 'remove') removals += 1
    const counted = recording.counted
    return {
      lines: recording.logs.length,
      runs: counted.runs.length,
      evaluations: recording.evaluations.length,
      saves: recording.saves.length,
      files: recording.files.length,
      removals,
      traceCount: recording.traceCount,
      stageCounts: new Map(recording.stageCounts),
      steps: { ...recording.stepCounts },
      countedLogs: counted.logs,
      countedFiles: new Map([...counted.files].map(([p, c]) => [p, { ...c }])),
      iterations: counted.iterations,
    }
  }

  /** The state units `[from, to)` leave, or undefined when a cadence cannot tell. */
  const advance = (state: State, from: number, to: number): State | undefined => {
    let next: State | undefined = state
    for (const c of cadences) if (c.advance !== undefined && next !== undefined) next = c.advance(next, from, to)
    return next
  }

  /** Count `count` repeats of units `[source, a)` over `[a, a + count × period)`. */
  const repeat = (source: Mark, end: Mark, a: number, count: number): void => {
    const counted = recording.counted
    recording.traceCount += count * (end.traceCount - source.traceCount)
    for (const [stage, n] of end.stageCounts)
      add(recording.stageCounts, stage, count * (n - (source.stageCounts.get(stage) ?? 0)))
    for (const mode of ['train', 'val', 'test'] as const)
      recording.stepCounts[mode] += count * (end.steps[mode] - source.steps[mode])
    const lines = end.lines - source.lines + end.countedLogs - source.countedLogs
    counted.logs += count * lines
    const files = new Map<string, { writes: number; appends: number }>()
    const bump = (p: string, writes: number, appends: number) => {
      const entry = files.get(p) ?? { writes: 0, appends: 0 }
      files.set(p, { writes: entry.writes + writes, appends: entry.appends + appends })
    }
    for (const f of recording.files.slice(source.files, end.files))
      if (f.op === 'append') bump(f.path, 0, 1)
      else if (f.op !== 'remove') bump(f.path, 1, 0)
    for (const [p, c] of end.countedFiles) {
      const before = source.countedFiles.get(p) ?? { writes: 0, appends: 0 }
      bump(p, c.writes - before.writes, c.appends - before.appends)
    }
    for (const [p, c] of files) {
      const entry = counted.files.get(p) ?? { writes: 0, appends: 0 }
      counted.files.set(p, { writes: entry.writes + count * c.writes, appends: entry.appends + count * c.appends })
    }
    const saves = recording.saves.slice(source.saves, end.saves)
    const removalSteps = recording.files
      .slice(source.files, end.files)
      .filter((f) => f.op === 'remove')
      .map((f) => {
        const save = saves.find((s) => s.atEpoch === f.epoch && s.atIter === f.iter)
        return save === undefined ? 'iter' : checkpointStepKind(save.path, save.meta.epoch)
      })
    counted.iterations += count * period * batches
    counted.stretches += 1
    if (blocks) counted.blocks += count * period
    else counted.epochs += count * period
    counted.epochRuns.push({
      from: blocks ? a * batches : a,
      count,
      epochs: blocks ? 0 : period,
      iterations: period * batches,
      source: {
        lines: [source.lines, end.lines],
        runs: [source.runs, end.runs],
        evaluations: [source.evaluations, end.evaluations],
        checkpoints: [source.saves, end.saves],
        removals: [source.removals, end.removals],
        removalSteps,
      },
      linesPerRepeat: lines,
    })
  }

  /** At the end of unit `unit`: repeat the block before, when it is a period and the regime holds long enough. */
  const unitEnded = (
    state: State,
    unit: number,
  ): { readonly state: State; readonly skipEpochsTo?: number; readonly skipItersTo?: number } | undefined => {
    const a = unit + 1
    marks.set(a, mark())
    marks.delete(a - period - 1)
    const s = a - period
    if (s < interpretedSince || state.stopTraining || recording.trace.length < input.traceLimit) return undefined
    const change = Math.min(context.maxEpochs - 1, ...cadences.map((c) => c.nextChange(s + 1)))
    let count = Math.floor((change - 1 - a) / period)
    const source = marks.get(s)
    if (source === undefined) return undefined
    // A closed form that fails (a scheduler step that raises) is tried over fewer repeats, halving; the epochs
    // left are interpreted, and the one that fails says so.
    let next: State | undefined
    for (; count >= 1 && next === undefined; count = next === undefined ? Math.floor(count / 2) : count)
      next = advance(state, a, a + count * period)
    if (next === undefined || count < 1) return undefined
    repeat(source, marks.get(a)!, a, count)
    const to = a + count * period
    interpretedSince = to
    marks.clear()
    marks.set(to, mark())
    return blocks ? { state: next, skipItersTo: to * batches } : { state: next, skipEpochsTo: to }
  }

  /** A block of an iteration-based loop ends after its last iteration, or after the validation that follows it. */
  const blockControl: EpochForward['control'] = (state, event) => {
    if (event.stage === 'after_train_iter') {
      const finished = event.iter + 1
      if (finished % batches !== 0 || (validates && Loop.validatesAfter(loop, finished))) return undefined
      return unitEnded(state, finished / batches - 1)
    }
    if (event.stage === 'after_val' && event.iter % batches === 0 && event.iter > 0)
      return unitEnded(state, event.iter / batches - 1)
    return undefined
  }

  const control: EpochForward['control'] = (state, event) => {
    if (event.stage === 'before_train') {
      marks.set(0, mark())
      return undefined
    }
    if (blocks) return blockControl(state, event)
    if (event.stage === 'after_train_epoch') {
      if (validates && Loop.validatesAfter(loop, event.epoch + 1)) return undefined
      return unitEnded(state, event.epoch)
    }
    // The validation after epoch e runs with the epoch counter at e + 1.
    if (event.stage === 'after_val') return unitEnded(state, event.epoch - 1)
    return undefined
  }
  return { off: undefined, block, control }
}
