/**
 * The dry-run plan as text (MMEngine's hook table, the loop plan, warnings)
 * and as one JSON document.
 * @module
 */
import type { Plan } from '../interpreters/dry/dryRun.js'
import { plot } from '../interpreters/dry/lrSchedule.js'
import { allCheckpoints, allEvaluations, allRemovals, ends } from '../interpreters/dry/epochRuns.js'
import type { Expanded } from '../interpreters/dry/epochRuns.js'
import { displayNumber, displayValue } from './numbers.js'

const list = (items: ReadonlyArray<string | number>, max = 12): string =>
  items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max / 2).join(', ')}, …, ${items.slice(-max / 2).join(', ')} (${items.length} in all)`

/** The first and last elements of a list completed by epoch runs, with its length when not all are shown. */
const listOf = <T>(items: Expanded<T>, show: (item: T) => string | number, max = 12): string => {
  const { items: shown, total } = ends(items, max)
  const text = shown.map(show)
  return total <= max
    ? text.join(', ')
    : `${text.slice(0, max / 2).join(', ')}, …, ${text.slice(-max / 2).join(', ')} (${total} in all)`
}

/**
 * What hooks say they do at epoch boundaries (`DeepClusterHook: k-means (k=10, pca_dim=-1) after epoch 3`), one
 * line per action with its epochs.
 */
const hookActions = (logs: Plan['logLines']['lines']): string[] => {
  const epochs = new Map<string, number[]>()
  for (const { message } of logs) {
    const m = /^(\w+Hook: .*) (before|after) epoch (\d+)$/.exec(message)
    if (m !== null) epochs.set(`${m[1]} ${m[2]}`, [...(epochs.get(`${m[1]} ${m[2]}`) ?? []), Number(m[3])])
  }
  return [...epochs].map(([action, at]) => `hook action: ${action} epoch${at.length === 1 ? '' : 's'} ${list(at)}`)
}

/** MMEngine's "Hooks will be executed in the following order" table (spec §2.5). */
export const renderHookTable = (plan: Pick<Plan, 'hooks' | 'stages'>): string => {
  const labelOf = new Map(plan.hooks.map((h) => [h.name, h.priorityLabel]))
  const blocks = Object.entries(plan.stages).map(([stage, names]) => {
    const lines = names.map((name) => `(${(labelOf.get(name) ?? '').padEnd(12)}) ${name.padEnd(35)}`)
    return [`${stage}:`, ...lines, ' -------------------- '].join('\n')
  })
  return `Hooks will be executed in the following order:\n${blocks.join('\n')}`
}

const plurals: { readonly [word: string]: string } = {
  batch: 'batches',
  'micro-batch': 'micro-batches',
  stretch: 'stretches',
}
const plural = (n: number, word: string): string => `${n} ${n === 1 ? word : (plurals[word] ?? `${word}s`)}`

/** The loop plan: how long training is, when validation, checkpoints and log lines happen. */
export const renderLoopPlan = (plan: Plan): string => {
  const lines: string[] = []
  const train = plan.loops.train
  if (train !== undefined) {
    lines.push(
      train.type === 'EpochBasedTrainLoop'
        ? `train: EpochBasedTrainLoop, ${plural(train.max_epochs, 'epoch')} × ` +
            `${plural(train.batchesPerEpoch, 'batch')} = ` +
            `${plural(train.maxIters, 'iteration')}`
        : `train: IterBasedTrainLoop, ${plural(train.max_iters, 'iteration')} ` +
            `(${plural(train.batchesPerEpoch, 'batch')} per pass over the data)`,
    )
  } else lines.push('train: none')
  // The test runs once, after training: the validations are all the others.
  const evaluations = allEvaluations(plan)
  const tests = plan.evaluations.filter((e) => e.mode === 'test').length
  const vals: Expanded<(typeof plan.evaluations)[number]> = { length: evaluations.length - tests, at: evaluations.at }
  if (plan.loops.val !== undefined) {
    const at =
      train?.type === 'IterBasedTrainLoop'
        ? `after iterations ${listOf(vals, (v) => v.iter)}`
        : `after epochs ${listOf(vals, (v) => v.epoch)}`
    lines.push(
      `validation: ${plural(plan.loops.val.batches, 'batch')}, ` +
        `${vals.length === 0 ? 'never' : `${plural(vals.length, 'time')}, ${at}`}`,
    )
  }
  if (plan.loops.test !== undefined)
    lines.push(`test: ${plural(plan.loops.test.batches, 'batch')}, ${tests > 0 ? 'after training' : 'not run'}`)
  const checkpoints = allCheckpoints(plan)
  const fileName = (c: { readonly path: string }) => c.path.slice(c.path.lastIndexOf('/') + 1)
  lines.push(
    `checkpoints: ${checkpoints.length === 0 ? 'none' : `${checkpoints.length}: ${listOf(checkpoints, fileName, 8)}`}`,
  )
  const removals = allRemovals(plan)
  if (removals.length > 0) lines.push(`checkpoints removed by max_keep_ckpts: ${listOf(removals, fileName, 8)}`)
  const trainLines = trainLinePositions(plan)
  const total = trainLines.length + repeatedTrainLines(plan)
  const positions = trainLines.map((iter) => iter + 1)
  lines.push(
    `log lines: ${plan.logLines.count} (${total} train progress ` +
      `lines${
        total === 0
          ? ''
          : `, after iterations ${
              total === positions.length
                ? list(positions)
                : `${positions.slice(0, 6).join(', ')}, …, ${positions.slice(-6).join(', ')} (${total} in all)`
            }`
      })`,
  )
  lines.push(...hookActions(plan.logLines.lines))
  for (const f of plan.files)
    lines.push(
      `file: ${f.path} (${f.writes > 0 ? plural(f.writes, 'write') : ''}` +
        `${f.writes > 0 && f.appends > 0 ? ', ' : ''}` +
        `${f.appends > 0 ? plural(f.appends, 'appended line') : ''})`,
    )
  lines.push(`steps: ${plan.steps.train} train, ${plan.steps.val} val, ${plan.steps.test} test`)
  lines.push(renderFastForward(plan))
  return lines.join('\n')
}

const isTrainLine = (message: string): boolean => /^(Epoch|Iter)\(train\)/.test(message)

/** The train progress lines of the repeated epochs (`epochRuns`), which `trainLinePositions` does not list. */
export const repeatedTrainLines = (plan: Pick<Plan, 'logLines' | 'epochRuns'>): number =>
  plan.epochRuns.reduce((n, run) => {
    const [l0, l1] = run.source.lines
    const [r0, r1] = run.source.runs
    const written = plan.logLines.lines.slice(l0, l1).filter((l) => isTrainLine(l.message)).length
    const counted = plan.logLines.runs
      .slice(r0, r1)
      .reduce((m, r) => m + r.count * r.samples.filter(isTrainLine).length, 0)
    return n + run.count * (written + counted)
  }, 0)

/**
 * The iterations after which a train progress line is written: those that ran and those counted in runs (not those
 * of repeated epochs: see {@link repeatedTrainLines}).
 */
export const trainLinePositions = (plan: Pick<Plan, 'logLines'>): ReadonlyArray<number> => {
  const written = plan.logLines.lines.filter((l) => isTrainLine(l.message)).map((l) => l.iter)
  const counted = plan.logLines.runs.flatMap((r) => {
    const each = r.samples.filter(isTrainLine).length
    return each === 0 ? [] : Array.from({ length: r.count * each }, (_, k) => r.from + Math.floor(k / each) * r.every)
  })
  return [...written, ...counted].sort((a, b) => a - b)
}

/** How the plan was made: which iterations were fast-forwarded, or why none were. */
export const renderFastForward = (
  plan: Pick<Plan, 'fastForward' | 'steps' | 'logLines' | 'epochRuns' | 'loops'>,
): string => {
  const f = plan.fastForward
  if (f.off !== undefined) return `fast-forward: off (${f.off}): every iteration was walked`
  if (f.iterations === 0) return 'fast-forward: none needed (every iteration was walked)'
  const runs = plan.logLines.runs
  const counted =
    runs.reduce((n, r) => n + r.count * r.lines, 0) + plan.epochRuns.reduce((n, r) => n + r.count * r.linesPerRepeat, 0)
  const iterationBased = plan.loops.train?.type === 'IterBasedTrainLoop'
  const epochs =
    f.epochs > 0
      ? `; ${f.epochs} of ${plural(plan.loops.train?.maxEpochs ?? 0, 'epoch')} repeat the ones before them ` +
        `(${plural(plan.epochRuns.length, 'run')})`
      : f.blocks > 0
        ? `; ${f.blocks} blocks of ${f.block} iterations repeat the ones before them ` +
          `(${plural(plan.epochRuns.length, 'run')})`
        : f.epochsOff !== undefined
          ? `; ${iterationBased ? 'blocks of iterations' : 'whole epochs'}: off (${f.epochsOff})`
          : ''
  return (
    `fast-forward: ${f.iterations} of ${plan.steps.train} train iterations computed from the hooks' cadences ` +
    `(${plural(f.stretches, 'stretch')})${epochs}` +
    `${counted === 0 ? '' : `; their ${counted} log lines are counted`}`
  )
}

const hyperText = (hyper: { readonly [key: string]: unknown }): string =>
  Object.entries(hyper)
    .filter(([, v]) => v !== null && v !== false)
    .map(([k, v]) => `${k}=${displayValue(v)}`)
    .join(', ')

/** The optimizer part of the plan. */
export const renderOptimizer = (plan: Plan): string => {
  if (plan.optimizer.length === 0) return 'optimizer: none'
  return plan.optimizer
    .map((w) => {
      const who = w.name === undefined ? '' : `${w.name}: `
      const lines = [`${who}${w.type} with ${w.optimizer}(${hyperText(w.hyper)})`]
      if (w.clip !== undefined)
        lines.push(
          w.clip.type === 'norm'
            ? `clip_grad: by norm, max_norm=${displayValue(w.clip.maxNorm)}, norm_type=${displayValue(w.clip.normType)}`
            : `clip_grad: by value, clip_value=${displayValue(w.clip.clipValue)}`,
        )
      if (w.lossScale !== undefined)
        lines.push(
          `loss scaling: ${JSON.stringify(w.lossScale)}` +
            `${w.dtype === undefined ? '' : `, ${w.dtype} numerics emulated`}`,
        )
      const a = w.accumulation
      if (a.k > 1) {
        const at = [...a.firstSteps, ...(a.lastSteps.length > 0 ? ['…', ...a.lastSteps] : [])].join(', ')
        lines.push(
          `gradient accumulation: ${a.k} micro-batches per step, ${a.steps} optimizer steps, after iterations ${at}`,
        )
        if (a.lastWindow !== undefined)
          lines.push(
            `  the last window has ${plural(a.lastWindow.size, 'micro-batch')}; their losses ` +
              `are divided by ${a.lastWindow.divisor}, not ${a.k} (MMEngine's rule)`,
          )
      } else lines.push(`optimizer steps: ${a.steps} (every iteration)`)
      return lines.join('\n')
    })
    .join('\n')
}

/** The lr schedule: a few values and a terminal plot. */
export const renderSchedule = (plan: Plan): string => {
  const s = plan.schedule
  if (s === undefined) return ''
  const at = (k: number) => `iter ${Math.min(k * s.every, s.iterations - 1)}: ${displayNumber(s.lr[k]!)}`
  const picks = [
    0,
    Math.floor(s.lr.length / 4),
    Math.floor(s.lr.length / 2),
    Math.floor((3 * s.lr.length) / 4),
    s.lr.length - 1,
  ]
  const lines = [
    `lr of the default group over ${s.iterations} iterations (param-wise groups scale it by their lr_mult):`,
    `  ${[...new Set(picks)].map(at).join(' · ')}`,
    plot(s.lr),
  ]
  if (s.momentum !== undefined)
    lines.push(`momentum: ${displayNumber(Math.min(...s.momentum))} … ${displayNumber(Math.max(...s.momentum))}`)
  return lines.join('\n')
}

const shortList = (names: ReadonlyArray<string>): string =>
  names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, … ${names.at(-1)} (${names.length})`

/** The param groups: their parameters, effective lr and weight decay, multipliers, and each group's lr over the run. */
export const renderParamGroups = (plan: Plan): string => {
  const pg = plan.paramGroups
  if (pg === undefined) return ''
  const shown = new Set(['lr', 'weight_decay', 'lr_mult', 'decay_mult', 'lr_scale', 'layer_id', 'initial_lr'])
  const lines = pg.groups.map((g, i) => {
    const extras = Object.entries(g.hyper)
      .filter(([k]) => shown.has(k) && k !== 'lr' && k !== 'weight_decay' && k !== 'initial_lr')
      .map(([k, v]) => `${k}=${typeof v === 'number' ? displayNumber(v) : JSON.stringify(v)}`)
    return (
      `#${i}  lr=${displayValue(g.hyper['lr'])}  ` +
      `weight_decay=${displayValue(g.hyper['weight_decay'] ?? 0)}` +
      `${extras.length === 0 ? '' : `  ${extras.join(' ')}`}  [${shortList(g.params)}]`
    )
  })
  const sc = pg.schedules
  if (sc !== undefined && pg.groups.length > 1) {
    lines.push(`lr per group over ${sc.iterations} iterations (start → middle → end):`)
    sc.lr.forEach((values, i) => {
      lines.push(
        `  #${i}: ${displayNumber(values[0]!)} → ` +
          `${displayNumber(values[Math.floor(values.length / 2)]!)} → ` +
          `${displayNumber(values.at(-1)!)}`,
      )
    })
  }
  if (pg.log.length > 0)
    lines.push(
      ...pg.log.slice(0, 12),
      ...(pg.log.length > 12 ? [`… ${pg.log.length - 12} more constructor decisions (--json shows all)`] : []),
    )
  return lines.join('\n')
}

/** The whole plan as text. */
export const renderPlan = (plan: Plan, source: string): string =>
  [
    `loopwright dry run of ${source} (nothing is computed or written)`,
    `work_dir: ${plan.workDir}`,
    ...plan.setup,
    '',
    renderHookTable(plan),
    '',
    'Loop plan:',
    renderLoopPlan(plan)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    'Optimizer:',
    renderOptimizer(plan)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    ...(plan.paramGroups === undefined
      ? []
      : [
          '',
          'Param groups:',
          renderParamGroups(plan)
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
        ]),
    ...(plan.schedule === undefined
      ? []
      : [
          '',
          'Schedule:',
          renderSchedule(plan)
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
        ]),
    '',
    plan.warnings.length === 0 ? 'Warnings: none' : `Warnings:\n${plan.warnings.map((w) => `  - ${w}`).join('\n')}`,
  ].join('\n')

/**
 * The plan as one JSON document: `hooks` as `{ name, priority }` in execution order, `stages` as stage → hook names.
 */
export const planJson = (plan: Plan, source: string, includeTrace: boolean): unknown => ({
  config: source,
  workDir: plan.workDir,
  setup: plan.setup,
  hooks: plan.hooks.map((h) => ({ name: h.name, priority: h.priority })),
  hookDetails: plan.hooks,
  stages: plan.stages,
  loops: plan.loops,
  steps: plan.steps,
  optimizer: plan.optimizer,
  schedule: plan.schedule,
  paramGroups: plan.paramGroups,
  stageCounts: plan.stageCounts,
  evaluations: plan.evaluations,
  checkpoints: plan.checkpoints,
  removals: plan.removals,
  logLines: plan.logLines,
  fastForward: plan.fastForward,
  epochRuns: plan.epochRuns,
  files: plan.files,
  warnings: plan.warnings,
  ...(includeTrace ? { trace: plan.trace, traceCount: plan.traceCount } : { traceCount: plan.traceCount }),
})
