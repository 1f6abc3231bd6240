/**
 * The logged fields: `mmengine_logged_scalars` / `resumed_scalars` (what
 * LoggerHook wrote to `vis_data/scalars.json`), `summary` (whole-set numbers)
 * and `crosscheck` (the recorder agreeing with the log, and how many
 * iterations ran and were logged), each against loopwright's own run.
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Dataset } from '../../src/data/Dataset.js'
import { isDict } from '../../src/schema/codec.js'
import * as Rng from '../../src/dsl/Rng.js'
import type { Model } from '../../src/models/Model.js'
import { hyperMismatch, tensorClose } from './compare.js'
import { proseKeys } from './fields.js'
import type { Check } from './scenario.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })

/** One row of `scalars.json`. */
export type ScalarRow = { readonly [key: string]: unknown }

/** What the replay observed of one training iteration. */
export interface IterSeen {
  readonly iter: number
  readonly epoch: number
  readonly loss: number | undefined
  readonly lr: ReadonlyArray<number>
  readonly gradNorm: number | undefined
}

/** Wall-clock and memory entries: they differ between any two runs, so a record cannot hold them as checks. */
const wallClock = /^(time|data_time|memory|eta)$|\/(time|data_time|memory|eta)$/

/** Hyper-parameters (float64 in both) compare to 1e-12; counters exactly; everything else is a float32 value. */
const sameValue = (key: string, ours: unknown, recorded: unknown): boolean => {
  if (typeof ours !== 'number' || typeof recorded !== 'number') return JSON.stringify(ours) === JSON.stringify(recorded)
  if (/(^|\/|_)lr$|momentum|weight_decay/.test(key)) return hyperMismatch(ours, recorded) === undefined
  if (key === 'epoch' || key === 'iter' || key === 'step') return ours === recorded
  return tensorClose(ours, recorded)
}

/** The training rows of a `scalars.json` (those that log a learning rate). */
export const trainRows = (rows: ReadonlyArray<ScalarRow>): ScalarRow[] =>
  rows.filter((r) => r['lr'] !== undefined || Object.keys(r).some((k) => k.endsWith('.lr')))

/** `mmengine_logged_scalars` (or `resumed_scalars`): row by row, every key MMEngine wrote and none more. */
export const compareScalars = (field: string, recorded: unknown, ours: ReadonlyArray<ScalarRow>): Check => {
  if (!Array.isArray(recorded) || !recorded.every(isDict)) return fail(field, 'expected a list of scalars.json rows')
  const candidates = recorded.every((r) => r['lr'] !== undefined) ? trainRows(ours) : [...ours]
  if (candidates.length !== recorded.length)
    return fail(field, `loopwright logged ${candidates.length} rows, ${recorded.length} recorded`)
  for (const [i, r] of recorded.entries()) {
    const o = candidates[i]!
    const keys = new Set([...Object.keys(r), ...Object.keys(o).filter((k) => !wallClock.test(k))])
    for (const key of keys) {
      if (!(key in o)) return fail(field, `row ${i} (step ${String(r['step'])}): loopwright did not log ${key}`)
      if (!(key in r))
        return fail(field, `row ${i} (step ${String(r['step'])}): loopwright logged ${key}, MMEngine did not`)
      if (!sameValue(key, o[key], r[key]))
        return fail(
          field,
          `row ${i} (step ${String(r['step'])}) ${key}: ${JSON.stringify(o[key])} ≠ ${JSON.stringify(r[key])}`,
        )
    }
  }
  return pass(field, `${recorded.length} rows`)
}

/** `mean((pred − y)²)` over every row of `data` with `params`, in eval mode. */
export const fullSetMse = (
  model: Model,
  data: Dataset,
  params: { readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: ArrayLike<number> } },
): number =>
  tf.tidy(() => {
    if (data.targets.kind !== 'values') throw new Error(`${data.name}: regression targets expected`)
    const x = tf.tensor(Array.from(data.inputs), [data.length, ...data.sampleShape], 'float32')
    const y = tf.tensor(Array.from(data.targets.values), [data.length, ...data.targets.shape], 'float32')
    const tensors = Object.fromEntries(
      Object.entries(params).map(([n, p]) => [n, tf.tensor(Array.from(p.values), [...p.shape], 'float32')]),
    )
    const pred = model.forward(tensors, {}, x, { training: false, rng: Rng.make(0) }).output
    return tf.mean(tf.square(tf.sub(pred, y))).dataSync()[0]!
  })

/** `summary`: whole-set losses with the initial and final weights, and the mean logged loss of each epoch. */
export const checkSummary = (
  recorded: unknown,
  values: { readonly mseInit: () => number; readonly mseFinal: () => number; readonly seen: ReadonlyArray<IterSeen> },
): Check => {
  if (!isDict(recorded)) return fail('summary', 'expected a dict')
  const compared: string[] = []
  for (const [key, want] of Object.entries(recorded)) {
    if (proseKeys.has(key)) continue
    if (key === 'full_train_mse_init' || key === 'full_train_mse_final') {
      const got = key === 'full_train_mse_init' ? values.mseInit() : values.mseFinal()
      if (typeof want !== 'number' || !tensorClose(got, want))
        return fail('summary', `${key}: ${got} ≠ ${JSON.stringify(want)}`)
    } else if (key === 'mean_logged_loss_per_epoch') {
      if (!isDict(want)) return fail('summary', `${key}: expected {epoch: mean}`)
      const epochs = [...new Set(values.seen.map((s) => s.epoch))]
      if (epochs.length !== Object.keys(want).length)
        return fail('summary', `${key}: loopwright ran ${epochs.length} epochs, ${Object.keys(want).length} recorded`)
      for (const [epoch, mean] of Object.entries(want)) {
        const losses = values.seen.filter((s) => s.epoch === Number(epoch)).map((s) => s.loss ?? NaN)
        const got = losses.reduce((a, b) => a + b, 0) / losses.length
        if (typeof mean !== 'number' || !tensorClose(got, mean))
          return fail('summary', `${key}.${epoch}: ${got} ≠ ${JSON.stringify(mean)}`)
      }
    } else
      return fail(
        'summary',
        `${key}: not a summary number the contract defines (full_train_mse_init, full_train_mse_final, ` +
          `mean_logged_loss_per_epoch)`,
      )
    compared.push(key)
  }
  return pass('summary', compared.join(', '))
}

/** `crosscheck`: the same agreement between loopwright's recorder (the replay's observations) and its own log. */
export const checkCrosscheck = (
  recorded: unknown,
  seen: ReadonlyArray<IterSeen>,
  logged: ReadonlyArray<ScalarRow>,
): Check => {
  if (!isDict(recorded)) return fail('crosscheck', 'expected a dict')
  const rows = trainRows(logged)
  const rowAt = new Map(rows.map((r) => [Number(r['step']), r] as const))
  const maxDiff = (pick: (s: IterSeen) => number | undefined, key: string) =>
    Math.max(
      0,
      ...seen.flatMap((s) => {
        const ours = pick(s)
        const row = rowAt.get(s.iter)
        return ours === undefined || row === undefined || typeof row[key] !== 'number'
          ? []
          : [Math.abs((row[key] as number) - ours)]
      }),
    )
  const ours: { readonly [key: string]: unknown } = {
    n_records: seen.length,
    n_logged_train_rows: rows.length,
    max_abs_diff_loss: maxDiff((s) => s.loss, 'loss'),
    max_abs_diff_lr_group0: maxDiff((s) => s.lr[0], 'lr'),
    max_abs_diff_grad_norm: maxDiff((s) => s.gradNorm, 'grad_norm'),
    missing_iters: seen.filter((s) => !rowAt.has(s.iter)).map((s) => s.iter),
  }
  for (const [key, want] of Object.entries(recorded)) {
    if (proseKeys.has(key)) continue
    if (!(key in ours)) return fail('crosscheck', `${key}: not a crosscheck value the contract defines`)
    const got = ours[key]
    const same = key.startsWith('max_abs_diff')
      ? typeof want === 'number' && Math.abs((got as number) - want) <= 1e-12
      : JSON.stringify(got) === JSON.stringify(want)
    if (!same) return fail('crosscheck', `${key}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`)
  }
  return pass('crosscheck', `${seen.length} iterations, ${rows.length} logged`)
}
