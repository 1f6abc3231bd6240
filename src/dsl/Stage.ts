/**
 * The 22 lifecycle stages of MMEngine's `Hook`, in MMEngine's order.
 *
 * The order matters twice: it is the order of the printed hook table, and it
 * is the order a reader expects when scanning a timeline.
 *
 * @example
 * ```ts
 * import { Stage } from 'loopwright'
 * Stage.all.indexOf('before_train') // 2
 * Stage.modeOf('after_val_iter')    // 'val'
 * ```
 * @module
 */

/** Every stage name, in MMEngine's `Hook.stages` order. */
export const all = [
  'before_run',
  'after_load_checkpoint',
  'before_train',
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
  'after_train',
  'before_test',
  'before_test_epoch',
  'before_test_iter',
  'after_test_iter',
  'after_test_epoch',
  'after_test',
  'after_run',
] as const

/** A stage name such as `'after_train_iter'`. */
export type Stage = (typeof all)[number]

/** The three loop kinds a stage can belong to. */
export type Mode = 'train' | 'val' | 'test'

const stageSet: ReadonlySet<string> = new Set(all)

/** Is `name` one of the 22 stage names? */
export const isStage = (name: string): name is Stage => stageSet.has(name)

/** Position of a stage in MMEngine's order (0 … 21). */
export const indexOf = (stage: Stage): number => all.indexOf(stage)

/** The loop a stage belongs to, or `undefined` for run-level stages (`before_run`, checkpoint stages, `after_run`). */
export const modeOf = (stage: Stage): Mode | undefined =>
  stage.includes('_train') ? 'train' : stage.includes('_val') ? 'val' : stage.includes('_test') ? 'test' : undefined

/** The granularity of a stage: the whole run or a loop, one epoch, or one iteration. */
export type Level = 'run' | 'loop' | 'epoch' | 'iter'

/** Level of a stage: `before_train_iter` → `'iter'`, `after_val_epoch` → `'epoch'`, `before_test` → `'loop'`. */
export const levelOf = (stage: Stage): Level =>
  stage.endsWith('_iter') ? 'iter' : stage.endsWith('_epoch') ? 'epoch' : modeOf(stage) === undefined ? 'run' : 'loop'

/**
 * The stage that closes `stage` (`before_train_epoch` → `after_train_epoch`),
 * or `undefined` when `stage` does not open a bracket.
 */
export const closing = (stage: Stage): Stage | undefined => {
  if (!stage.startsWith('before_') || stage === 'before_save_checkpoint') return undefined
  const partner = `after_${stage.slice('before_'.length)}`
  return isStage(partner) ? partner : undefined
}

/**
 * Every `(before_X, after_X)` pair. `before_save_checkpoint` and
 * `after_load_checkpoint` are single events, not brackets.
 */
export const brackets: ReadonlyArray<readonly [Stage, Stage]> = all.flatMap((stage) => {
  const partner = closing(stage)
  return partner === undefined ? [] : [[stage, partner] as const]
})
