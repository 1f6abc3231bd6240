/**
 * `train_cfg`, `val_cfg` and `test_cfg` (spec §1.3, §1.5–1.8, §14.2).
 * @module
 */
import * as t from 'io-ts'
import {
  array,
  boolean,
  check,
  expected,
  isDict,
  literal,
  nonNegativeInt,
  positiveInt,
  refine,
  strayKeys,
  struct,
} from '../../schema/codec.js'
import type { Codec } from '../../schema/codec.js'
import { unscoped } from '../../schema/registry.js'

const pair = refine<readonly [number, number]>(
  'a (milestone, interval) pair of positive integers',
  (u): u is readonly [number, number] =>
    Array.isArray(u) && u.length === 2 && u.every((x) => Number.isInteger(x) && (x as number) > 0),
)

const dynamicIntervals = check(array(pair, 'a list of (milestone, interval) pairs'), (pairs) =>
  pairs.every((p, i) => i === 0 || pairs[i - 1]![0] < p[0]) ? undefined : 'milestones must increase strictly',
)

const common = { val_begin: nonNegativeInt, val_interval: positiveInt, dynamic_intervals: dynamicIntervals }

const epochBased = struct(
  'an EpochBasedTrainLoop config',
  { max_epochs: positiveInt },
  { type: literal('EpochBasedTrainLoop', 'mmengine.EpochBasedTrainLoop'), ...common },
)
const iterBased = struct(
  'an IterBasedTrainLoop config',
  { max_iters: positiveInt },
  { type: literal('IterBasedTrainLoop', 'mmengine.IterBasedTrainLoop'), ...common },
)
const epochByFlag = struct('an epoch-based train_cfg', { by_epoch: literal(true), max_epochs: positiveInt }, common)
const iterByFlag = struct('an iteration-based train_cfg', { by_epoch: literal(false), max_iters: positiveInt }, common)

export type TrainCfg =
  | t.TypeOf<typeof epochBased>
  | t.TypeOf<typeof iterBased>
  | t.TypeOf<typeof epochByFlag>
  | t.TypeOf<typeof iterByFlag>

const trainKeys = ['type', 'by_epoch', 'max_epochs', 'max_iters', ...Object.keys(common)]

const trainDescription =
  "a train_cfg dict with type='EpochBasedTrainLoop' (max_epochs) or type='IterBasedTrainLoop' (max_iters), or by_epoch"

/** Dispatches on `type` (or `by_epoch`) so that errors name the right loop's keys. */
export const trainCfg: Codec<TrainCfg> = new t.Type<TrainCfg, TrainCfg, unknown>(
  trainDescription,
  (u): u is TrainCfg => trainCfg.validate(u, [])._tag === 'Right',
  (u, c) => {
    if (!isDict(u)) return expected(u, c, trainDescription)
    if (u['type'] !== undefined && u['by_epoch'] !== undefined)
      return t.failure(u, c, 'give either `type` or `by_epoch`, not both')
    if (u['type'] !== undefined) {
      const type = typeof u['type'] === 'string' ? unscoped(u['type']) : undefined
      if (type === 'EpochBasedTrainLoop') return epochBased.validate(u, c)
      if (type === 'IterBasedTrainLoop') return iterBased.validate(u, c)
      return t.failure(
        u['type'],
        t.appendContext(c, 'type', t.string, u['type']),
        `expected 'EpochBasedTrainLoop' or 'IterBasedTrainLoop', got ${JSON.stringify(u['type'])}`,
      )
    }
    if (u['by_epoch'] === true) return epochByFlag.validate(u, c)
    if (u['by_epoch'] === false) return iterByFlag.validate(u, c)
    if (u['by_epoch'] !== undefined)
      return expected(
        u['by_epoch'],
        t.appendContext(c, 'by_epoch', t.boolean, u['by_epoch']),
        'a boolean (true or false)',
      )
    // Neither `type` nor `by_epoch`: say so, and name keys that may be misspellings of them.
    const stray = strayKeys(u, c, trainKeys)
    if (u['max_iters'] !== undefined && u['max_epochs'] === undefined)
      return t.failures([
        { value: u, context: c, message: "needs type='IterBasedTrainLoop' (or by_epoch=False) to use max_iters" },
        ...stray,
      ])
    return t.failures([
      {
        value: u,
        context: c,
        message: "needs type='EpochBasedTrainLoop' or type='IterBasedTrainLoop' (or by_epoch=True/False)",
      },
      ...stray,
    ])
  },
  t.identity,
)

/** Does this train_cfg describe an epoch-based loop? */
export const isEpochBased = (cfg: TrainCfg): cfg is t.TypeOf<typeof epochBased> | t.TypeOf<typeof epochByFlag> =>
  'max_epochs' in cfg

export const valCfg = struct('a val_cfg dict', {}, { type: literal('ValLoop', 'mmengine.ValLoop'), fp16: boolean })
export const testCfg = struct('a test_cfg dict', {}, { type: literal('TestLoop', 'mmengine.TestLoop'), fp16: boolean })
export type EvalCfg = t.TypeOf<typeof valCfg>
