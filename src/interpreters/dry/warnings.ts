/**
 * The remarks a careful reviewer makes before a run spends compute. Each is
 * derived from the program, the loader sizes and what the dry run recorded.
 * @module
 */
import * as Loop from '../../dsl/Loop.js'
import type { ComponentConfig, Program } from '../../dsl/Program.js'
import type { Sizes } from '../../dsl/timeline.js'
import type { Recording } from './layers.js'

const hookArgs = (
  program: Program,
  type: string,
): ReadonlyArray<{ readonly key: string; readonly args: { readonly [k: string]: unknown }; readonly source: string }> =>
  program.hooks
    .filter((h) => h.spec.type === type || h.spec.type.endsWith(`.${type}`))
    .map((h) => ({ key: h.key, args: h.spec.args, source: h.source }))

const schedulerList = (program: Program): ReadonlyArray<ComponentConfig> =>
  Array.isArray(program.paramSchedulers)
    ? (program.paramSchedulers as ReadonlyArray<ComponentConfig>)
    : Object.values(program.paramSchedulers).flat()

/** Every warning for this program and recording, in a stable order. */
export const warningsFor = (program: Program, sizes: Sizes, recording: Recording): ReadonlyArray<string> => {
  const warnings: string[] = []
  const loop = program.trainLoop
  const batches = sizes.train ?? 0

  if (loop !== undefined && batches === 0)
    warnings.push('train_dataloader yields no batches: the train loop has nothing to train on')

  if (loop?.type === 'IterBasedTrainLoop') {
    for (const c of hookArgs(program, 'CheckpointHook')) {
      if (c.args['by_epoch'] !== false)
        warnings.push(
          `default_hooks.${c.key}: CheckpointHook saves by epoch, but the loop is ` +
            `IterBasedTrainLoop (one "epoch"): set by_epoch=False to save every ` +
            `${String(c.args['interval'] ?? 'interval')} iterations`,
        )
    }
    const lp = program.settings['log_processor'] as { readonly by_epoch?: unknown } | undefined
    if (lp?.by_epoch !== false)
      warnings.push(
        'log_processor.by_epoch is True under IterBasedTrainLoop: log lines show ' +
          'Epoch(train) headers; set log_processor.by_epoch=False',
      )
    for (const [i, s] of schedulerList(program).entries()) {
      if (s['by_epoch'] !== false)
        warnings.push(
          `param_scheduler[${i}] (${s.type}) steps by epoch under IterBasedTrainLoop, ` +
            `which has a single epoch: set by_epoch=False`,
        )
    }
  }

  for (const c of hookArgs(program, 'CheckpointHook')) {
    const where = c.source === 'default' ? `default_hooks.${c.key}` : c.key
    const interval = typeof c.args['interval'] === 'number' ? (c.args['interval'] as number) : -1
    if (interval <= 0 && loop !== undefined) {
      warnings.push(
        `${where}: interval is ${interval} (CheckpointHook's class default when the ` +
          `built-in entry is replaced): only ` +
          `${c.args['save_last'] === false ? 'no' : 'the last'} checkpoint is saved`,
      )
    }
    if (loop?.type === 'EpochBasedTrainLoop' && c.args['by_epoch'] !== false && interval > loop.max_epochs) {
      warnings.push(`${where}: interval ${interval} is longer than the run (${loop.max_epochs} epochs)`)
    }
  }

  if (loop !== undefined && program.valLoop !== undefined && !recording.evaluations.some((e) => e.mode === 'val')) {
    warnings.push(`a val loop is configured but never runs: val_begin=${loop.val_begin} is past the end of training`)
  }

  if (loop !== undefined) {
    const total = loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs : loop.max_iters
    for (const [milestone] of loop.dynamic_intervals) {
      if (milestone > total)
        warnings.push(`train_cfg.dynamic_intervals: milestone ${milestone} is after the end of training (${total})`)
    }
  }

  if (loop !== undefined) {
    const maxIters = Loop.maxIters(loop, batches)
    for (const [i, s] of schedulerList(program).entries()) {
      const end = s['end']
      if (typeof end !== 'number') continue
      const byEpoch = s['by_epoch'] !== false
      const runLength = byEpoch ? Loop.maxEpochs(loop) : maxIters
      if (end > runLength)
        warnings.push(
          `param_scheduler[${i}] (${s.type}): end=${end} ` +
            `${byEpoch ? 'epochs' : 'iterations'} is after the end of training ` +
            `(${runLength}); the schedule never completes`,
        )
    }
  }

  const accumulation = program.optimWrapper?.['accumulative_counts']
  if (
    typeof accumulation === 'number' &&
    accumulation > 1 &&
    loop?.type === 'EpochBasedTrainLoop' &&
    accumulation > batches &&
    batches > 0
  ) {
    warnings.push(
      `optim_wrapper.accumulative_counts=${accumulation} is longer than an epoch ` +
        `(${batches} batches): windows span epoch boundaries`,
    )
  }

  if (schedulerList(program).length > 0)
    warnings.push(
      'param_scheduler is checked but not simulated by this dry run: it needs one optimizer wrapper and a train loop',
    )

  if (program.randomness.seed === null && loop !== undefined)
    warnings.push('randomness.seed is not set: a seed is drawn at start, so two runs differ')

  const trainLines = recording.logs.filter((l) => /^(Epoch|Iter)\(train\)/.test(l.message)).length
  if (loop !== undefined && batches > 0 && hookArgs(program, 'LoggerHook').length > 0 && trainLines === 0) {
    warnings.push('LoggerHook never writes a train log line: its interval is longer than an epoch and ignore_last=True')
  }
  return warnings
}
