/**
 * The dry-run interpreter: the same program, hooks and timeline as a real
 * run, with services that record instead of acting. The result is a `Plan`:
 * the hook table, the loop plan (validations, checkpoints, log lines) and
 * warnings — everything a reviewer wants before compute is spent.
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * import { DryRun, Program } from 'loopwright'
 * const plan = await Effect.runPromise(DryRun.dryRun(program, { datasetSizes: { train: 64 } }))
 * plan.hooks.map((h) => `${h.name} ${h.priority}`)
 * ```
 * @module
 */
import * as Data from 'effect/Data'
import * as Effect from 'effect/Effect'
import * as Hook from '../../dsl/Hook.js'
import * as Loop from '../../dsl/Loop.js'
import * as path from '../../dsl/path.js'
import * as P from '../../dsl/Priority.js'
import type { Program } from '../../dsl/Program.js'
import type { HookServices, RunFacts } from '../../dsl/Services.js'
import * as Stage from '../../dsl/Stage.js'
import { hazards } from '../../dsl/Touches.js'
import type { Sizes } from '../../dsl/timeline.js'
import type { Issue } from '../../schema/codec.js'
import { formatIssue } from '../../schema/codec.js'
import { defaultRegistries } from '../registries.js'
import type { Registries } from '../../config/Config.js'
import { buildHooks } from '../buildHooks.js'
import { initialState, interpret } from '../interpret.js'
import type { TraceEntry } from '../Trace.js'
import * as Dry from './layers.js'
import { describeLoaderSizes } from './sizes.js'
import { setupLines, worldSizeWarnings } from './setup.js'
import { applyAutoScaleLr } from '../../config/autoScaleLr.js'
import type { DatasetSizes } from './sizes.js'
import { warningsFor } from './warnings.js'
import { queueWarnings } from './queueWarnings.js'
import { builtInCadences } from './cadences.js'
import type { CadenceOf } from './cadences.js'
import { fastForward } from './fastForward.js'
import { builtInEpochCadences } from './epochCadences.js'
import type { EpochCadenceOf } from './epochCadences.js'
import type { EpochRun } from './epochRuns.js'
import type { LogRun } from './layers.js'
import { optimizerPlan } from './optimizerPlan.js'
import type { WrapperPlan } from './optimizerPlan.js'
import { simulateGroups, simulateSchedule } from './lrSchedule.js'
import type { GroupSchedules, Schedule } from './lrSchedule.js'
import type { Json } from '../../dsl/MessageHub.js'
import { describeModel, modelSize, modelSizeLine } from './describeModel.js'
import * as Optim from '../../optim/OptimStateValues.js'

/** The dry run could not start (bad hooks, unknown sizes) or a hook failed. */
export class DryRunError extends Data.TaggedError('DryRunError')<{ readonly issues: ReadonlyArray<Issue> }> {
  override get message(): string {
    return this.issues.map(formatIssue).join('\n')
  }
}

export interface DryRunOptions {
  /** Dataset sizes (samples) for loaders whose dataset the catalog does not know. */
  readonly datasetSizes?: DatasetSizes
  readonly registries?: Registries
  /** The config's file stem, for the default work dir and experiment name. */
  readonly configName?: string
  readonly configText?: string
  /** Keep at most this many trace entries in the plan (the counts cover all). Default 20 000. */
  readonly traceLimit?: number
  /**
   * Walk every iteration, running every hook, instead of fast-forwarding the quiet ones (the reference the
   * fast-forward is tested against). Default false.
   */
  readonly walk?: boolean
  /** Cadences of hook types beyond the built-in ones (user hook types that act at train-iteration stages). */
  readonly cadences?: { readonly [hookType: string]: CadenceOf }
  /**
   * Epoch cadences of hook types beyond the built-in ones (user hook types that act at train or val stages). An
   * iteration-based loop's blocks know the built-in hook types only: with another one they are not repeated.
   */
  readonly epochCadences?: { readonly [hookType: string]: EpochCadenceOf }
  /** Run the test loop after training, as `loopwright train` does. Default true. */
  readonly testAfterTrain?: boolean
  /** Warnings found while loading the config (options accepted but not honoured); listed first. */
  readonly configWarnings?: ReadonlyArray<string>
  /** Processes the run is planned for (DefaultSampler sharding, auto_scale_lr). Default 1. */
  readonly worldSize?: number
  /** Helper variables of a code config, listed once in the plan. */
  readonly variables?: ReadonlyArray<string>
}

/** The param groups of the plan. */
export interface ParamGroupsPlan {
  readonly groups: ReadonlyArray<{
    readonly params: ReadonlyArray<string>
    readonly hyper: { readonly [key: string]: Json }
  }>
  /** What the constructor decided (MMEngine's `paramwise_options -- …` lines). */
  readonly log: ReadonlyArray<string>
  readonly schedules: GroupSchedules | undefined
}

/** A registered hook as the plan lists it. */
export interface PlannedHook {
  readonly name: string
  readonly priority: number
  readonly priorityLabel: string
  readonly key: string
  readonly stages: ReadonlyArray<Stage.Stage>
}

export interface Plan {
  readonly workDir: string
  /** How the run is set up: world size, where each dataset size came from, auto_scale_lr, config variables. */
  readonly setup: ReadonlyArray<string>
  readonly hooks: ReadonlyArray<PlannedHook>
  /** Each stage (in MMEngine order) mapped to the hooks acting there, in execution order. */
  readonly stages: { readonly [stage: string]: ReadonlyArray<string> }
  readonly loops: {
    readonly train?: Loop.TrainLoop & {
      readonly batchesPerEpoch: number
      readonly maxIters: number
      readonly maxEpochs: number
    }
    readonly val?: { readonly batches: number }
    readonly test?: { readonly batches: number }
  }
  readonly steps: { readonly train: number; readonly val: number; readonly test: number }
  /** The optimizer wrapper(s): optimizer and hyper-parameters, clipping, loss scaling, accumulation windows. */
  readonly optimizer: ReadonlyArray<WrapperPlan>
  /** lr (and momentum) of the optimizer's default group at every iteration, when one wrapper is scheduled. */
  readonly schedule: Schedule | undefined
  /**
   * The param groups the constructor builds for the model (when loopwright
   * provides the model type): parameter names and effective hyper-parameters,
   * the constructor's decisions, and every group's lr through the run.
   */
  readonly paramGroups: ParamGroupsPlan | undefined
  readonly stageCounts: { readonly [stage: string]: number }
  readonly evaluations: ReadonlyArray<{ readonly mode: 'val' | 'test'; readonly epoch: number; readonly iter: number }>
  readonly checkpoints: ReadonlyArray<{
    readonly path: string
    readonly epoch: number
    readonly iter: number
    readonly saveOptimizer: boolean
  }>
  readonly removals: ReadonlyArray<{ readonly path: string; readonly epoch: number; readonly iter: number }>
  readonly logLines: {
    /** Every log line of the run, written or counted. */
    readonly count: number
    /** The lines of the iterations that ran for real, in order. */
    readonly lines: ReadonlyArray<{
      readonly epoch: number
      readonly iter: number
      readonly level: string
      readonly message: string
    }>
    /** The lines of fast-forwarded iterations, as runs of equal occurrences (empty when every iteration ran). */
    readonly runs: ReadonlyArray<LogRun>
  }
  /**
   * How much of the train loop was fast-forwarded: iterations whose hooks did not run (their effect was computed
   * from the hooks' cadences), in how many stretches, and why nothing was, when so.
   */
  readonly fastForward: {
    readonly iterations: number
    readonly stretches: number
    readonly off: string | undefined
    /** Whole epochs left out as repeats (their records are `epochRuns`), and why none were, when so. */
    readonly epochs: number
    readonly epochsOff: string | undefined
    /**
     * In an iteration-based loop: blocks of `block` iterations left out as repeats (their records are `epochRuns`,
     * with `epochs` 0); `epochsOff` says why none were, when so.
     */
    readonly blocks: number
    readonly block: number | undefined
  }
  /**
   * Runs of whole epochs that repeat the records of the epochs before them: `logLines.lines`, `logLines.runs`,
   * `evaluations`, `checkpoints` and `removals` list each record once, and `allLines`, `allEvaluations`, … of
   * `epochRuns.ts` complete them (the counts, `files` and `logLines.count` already include the repeats).
   */
  readonly epochRuns: ReadonlyArray<EpochRun>
  readonly files: ReadonlyArray<{ readonly path: string; readonly writes: number; readonly appends: number }>
  readonly warnings: ReadonlyArray<string>
  readonly trace: ReadonlyArray<TraceEntry>
  readonly traceCount: number
}

/**
 * Iteration counters are JavaScript numbers: beyond `Number.MAX_SAFE_INTEGER` iterations they stop counting one by
 * one, so such a run is refused rather than planned wrong.
 */
const beyondCounting = (loop: Loop.TrainLoop | undefined, batches: number): Issue | undefined => {
  if (loop === undefined) return undefined
  const total = Loop.maxIters(loop, batches)
  if (Number.isSafeInteger(total)) return undefined
  const what =
    loop.type === 'EpochBasedTrainLoop'
      ? `max_epochs=${loop.max_epochs} × ${batches} batches per epoch = ${total.toExponential(3)} iterations`
      : `max_iters=${loop.max_iters}`
  return {
    path: loop.type === 'EpochBasedTrainLoop' ? 'train_cfg.max_epochs' : 'train_cfg.max_iters',
    message: `${what} is more than ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER), beyond exact counting`,
  }
}

/** The plan's hook list and stage table for hooks in execution order. */
export const hookTable = (hooks: ReadonlyArray<Hook.Hook<HookServices>>): Pick<Plan, 'hooks' | 'stages'> => ({
  hooks: hooks.map((h) => ({
    name: h.name,
    priority: h.priority.value,
    priorityLabel: P.label(h.priority),
    key: h.key,
    stages: Hook.stagesOf(h),
  })),
  stages: Object.fromEntries(
    Stage.all.flatMap((stage) => {
      const acting = Hook.atStage(hooks, stage)
      return acting.length === 0 ? [] : [[stage, acting.map((h) => h.name)]]
    }),
  ),
})

const filesSummary = (recording: Dry.Recording): Plan['files'] => {
  const byPath = new Map<string, { writes: number; appends: number }>()
  for (const f of recording.files) {
    if (f.op === 'remove') continue
    const entry = byPath.get(f.path) ?? { writes: 0, appends: 0 }
    if (f.op === 'write' || f.op === 'copy') entry.writes += 1
    else entry.appends += 1
    byPath.set(f.path, entry)
  }
  // Counted operations repeat ones that were performed for real first, so their paths are already in order.
  for (const [p, counts] of recording.counted.files) {
    const entry = byPath.get(p) ?? { writes: 0, appends: 0 }
    byPath.set(p, { writes: entry.writes + counts.writes, appends: entry.appends + counts.appends })
  }
  return [...byPath].map(([p, counts]) => ({ path: p, ...counts }))
}

/** The ordering hazards of the hooks (in execution order) from their types' read/write declarations. */
const orderingHazards = (hooks: ReadonlyArray<Hook.Hook<HookServices>>): ReadonlyArray<string> =>
  hazards(hooks.map((h) => ({ name: h.name, key: h.key, priority: h.priority.value, touches: h.touches })))

/** Dry-run `program`: build its hooks, unfold its timeline with the dry services, and summarise. */
export const dryRun = (input: Program, options: DryRunOptions = {}): Effect.Effect<Plan, DryRunError> =>
  Effect.gen(function* () {
    const registries = options.registries ?? defaultRegistries
    const built = buildHooks(input, registries.hooks, 'plan')
    if (built._tag === 'Left') return yield* Effect.fail(new DryRunError({ issues: built.left }))
    const hooks = built.right
    const worldSize = options.worldSize ?? 1
    const described = describeLoaderSizes(input, options.datasetSizes, worldSize)
    if (described._tag === 'Left') return yield* Effect.fail(new DryRunError({ issues: described.left }))
    const sizes: Sizes = Object.fromEntries(described.right.map((d) => [d.loader, d.batches]))
    const tooLong = beyondCounting(input.trainLoop, sizes.train ?? 0)
    if (tooLong !== undefined) return yield* Effect.fail(new DryRunError({ issues: [tooLong] }))
    const scaled = applyAutoScaleLr(input, worldSize)
    const program = scaled.program
    const setup = setupLines(program, worldSize, described.right, scaled.line, options)
    const loop0 = program.trainLoop
    const optimizer = optimizerPlan(
      program.optimWrapper,
      loop0 === undefined ? 0 : Loop.maxIters(loop0, sizes.train ?? 0),
    )
    if (optimizer._tag === 'Left') return yield* Effect.fail(new DryRunError({ issues: optimizer.left }))
    const schedulerList = Array.isArray(program.paramSchedulers) ? program.paramSchedulers : undefined
    const single =
      optimizer.right.length === 1 && optimizer.right[0]!.name === undefined ? optimizer.right[0] : undefined
    const simulated =
      loop0 !== undefined && single !== undefined && schedulerList !== undefined && (sizes.train ?? 0) > 0
        ? simulateSchedule(schedulerList, single.hyper, loop0, sizes.train ?? 0, options.walk === true)
        : undefined
    if (simulated?._tag === 'Left') return yield* Effect.fail(new DryRunError({ issues: simulated.left }))
    // Param groups need the model's parameters: known model types describe them without allocating tensors.
    const groupsWarnings: string[] = []
    let paramGroups: ParamGroupsPlan | undefined
    let modelLine: string | undefined
    let initialOptim: Optim.OptimState | undefined
    if (
      loop0 !== undefined &&
      program.optimWrapper !== undefined &&
      schedulerList !== undefined &&
      program.model !== undefined
    ) {
      const model = describeModel(program.model)
      const batches = sizes.train ?? 0
      if (model._tag === 'Right') modelLine = modelSizeLine(modelSize(model.right))
      if (model._tag === 'Left')
        groupsWarnings.push(
          `param groups are not shown: ${model.left.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        )
      else if (batches === 0)
        groupsWarnings.push('param groups are not shown: the train loader has no batch per process (a dataset size?)')
      else {
        const built = Optim.build(program.optimWrapper, schedulerList as ReadonlyArray<Json>, model.right.info, {
          epochLength: batches,
          maxEpochs: Loop.maxEpochs(loop0),
          maxIters: Loop.maxIters(loop0, batches),
        })
        if (built._tag === 'Left') return yield* Effect.fail(new DryRunError({ issues: built.left }))
        initialOptim = built.right.state
        groupsWarnings.push(...built.right.warnings)
        const schedules =
          batches > 0 ? simulateGroups(built.right.state, loop0, batches, options.walk === true) : undefined
        if (schedules?._tag === 'Left') return yield* Effect.fail(new DryRunError({ issues: schedules.left }))
        paramGroups = {
          groups: built.right.state.slots[0]!.slot.groups.real.map((g) => ({
            params: g.names,
            hyper: g.hyper as { readonly [key: string]: Json },
          })),
          log: built.right.log,
          schedules: schedules?._tag === 'Right' ? schedules.right : undefined,
        }
      }
    }
    const name = options.configName ?? 'config'
    const workDir = program.workDir ?? path.join('work_dirs', name)
    const timestamp = '<timestamp>'
    const facts: RunFacts = {
      workDir,
      logDir: path.join(workDir, timestamp),
      timestamp,
      experimentName: `${(program.settings['experiment_name'] as string | undefined) ?? name}_${timestamp}`,
      configText: options.configText ?? '',
      sizes,
      datasetMeta: undefined,
    }
    const recording = Dry.emptyRecording()
    const traceLimit = options.traceLimit ?? 20_000
    const forward = fastForward({
      program,
      hooks,
      hookTypes: registries.hooks,
      sizes,
      recording,
      traceLimit,
      customClock: false,
      ...(options.cadences === undefined ? {} : { cadences: { ...builtInCadences, ...options.cadences } }),
      ...(options.epochCadences === undefined
        ? {}
        : { epochCadences: { ...builtInEpochCadences, ...options.epochCadences } }),
    })
    const seed = program.randomness.seed ?? 0
    const start = initialState(program, sizes, seed)
    // With the groups known, the dry run's schedulers step the same numbers the tensor run steps (and its logs show the
    // same lr).
    const run = interpret(
      program,
      hooks,
      sizes,
      initialOptim === undefined ? start : { ...start, optim: Optim.write(initialOptim) },
      {
        loadsCheckpoint: program.loadFrom !== undefined,
        testAfterTrain: options.testAfterTrain ?? true,
      },
      options.walk === true ? {} : { fastForward: forward.control },
    )
    yield* run.pipe(
      Effect.provide(Dry.layer(recording, facts, () => hooks, { traceLimit })),
      Effect.mapError(
        (e) =>
          new DryRunError({
            issues: [
              {
                path: e._tag === 'HookError' ? e.hook : `${e.mode}_step`,
                message: e._tag === 'HookError' ? `${e.stage}: ${e.message}` : e.message,
              },
            ],
          }),
      ),
    )
    const loop = program.trainLoop
    const batches = sizes.train ?? 0
    return {
      workDir,
      setup: modelLine === undefined ? setup : [...setup, modelLine],
      ...hookTable(hooks),
      loops: {
        ...(loop === undefined
          ? {}
          : {
              train: {
                ...loop,
                batchesPerEpoch: batches,
                maxIters: Loop.maxIters(loop, batches),
                maxEpochs: Loop.maxEpochs(loop),
              },
            }),
        ...(program.valLoop === undefined ? {} : { val: { batches: sizes.val ?? 0 } }),
        ...(program.testLoop === undefined ? {} : { test: { batches: sizes.test ?? 0 } }),
      },
      steps: { ...recording.stepCounts },
      optimizer: optimizer.right,
      schedule: simulated?._tag === 'Right' ? simulated.right : undefined,
      paramGroups,
      stageCounts: Object.fromEntries(
        Stage.all.filter((s) => recording.stageCounts.has(s)).map((s) => [s, recording.stageCounts.get(s)!]),
      ),
      evaluations: recording.evaluations,
      checkpoints: recording.saves.map((s) => ({
        path: s.path,
        epoch: s.meta.epoch,
        iter: s.meta.iter,
        saveOptimizer: s.saveOptimizer,
      })),
      removals: recording.files
        .filter((f) => f.op === 'remove')
        .map((f) => ({ path: f.path, epoch: f.epoch, iter: f.iter })),
      logLines: {
        count: recording.logs.length + recording.counted.logs,
        lines: recording.logs,
        runs: recording.counted.runs,
      },
      fastForward: {
        iterations: recording.counted.iterations,
        stretches: recording.counted.stretches,
        off: options.walk === true ? 'walked on request' : forward.off,
        epochs: recording.counted.epochs,
        epochsOff: options.walk === true ? undefined : forward.epochsOff,
        blocks: recording.counted.blocks,
        block: options.walk === true ? undefined : forward.block,
      },
      epochRuns: recording.counted.epochRuns,
      files: filesSummary(recording),
      warnings: [
        ...(options.configWarnings ?? []),
        ...worldSizeWarnings(options.configName, worldSize),
        ...orderingHazards(hooks),
        ...groupsWarnings,
        ...warningsFor(program, sizes, recording),
        ...queueWarnings(
          program,
          described.right.find((d) => d.loader === 'train'),
          worldSize,
        ),
      ].filter((w) => simulated === undefined || !w.startsWith('param_scheduler is checked but not simulated')),
      trace: recording.trace,
      traceCount: recording.traceCount,
    }
  })
