/**
 * `LogProcessor`: turns the message hub into MMEngine's log lines and scalar
 * tags (spec §3.4.3). Pure: it reads the hub and the counters and returns the
 * tag and the text; `LoggerHook` decides when and writes them.
 *
 * @example
 * ```ts
 * import { LogProcessor } from 'loopwright'
 * const processor = LogProcessor.make({ window_size: 1 })
 * // LogProcessor.afterIter(processor, view, 0, 'train').line === 'Epoch(train) [1][1/2]  …'
 * ```
 * @module
 */
import * as Hub from '../../dsl/MessageHub.js'
import type { Json, MessageHub } from '../../dsl/MessageHub.js'
import type { Mode } from '../../dsl/Stage.js'
import {
  array,
  boolean,
  check,
  dispatch,
  literal,
  nonEmptyString,
  nonNegativeInt,
  positiveInt,
  string,
  struct,
} from '../../schema/codec.js'
import type { Codec } from '../../schema/codec.js'
import { exponential, fixed, rjust, timedelta } from './format.js'
import { statistic } from './statistics.js'
import type { Method } from './statistics.js'

/** One `custom_cfg` entry. */
export interface CustomStatistic {
  readonly data_src: string
  readonly log_name?: string
  readonly method_name: Method
  readonly window_size?: number | 'epoch' | 'global'
}

/** The `log_processor` config with MMEngine's defaults filled in. */
export interface LogProcessorConfig {
  readonly window_size: number
  readonly by_epoch: boolean
  readonly custom_cfg: ReadonlyArray<CustomStatistic>
  readonly num_digits: number
  readonly log_with_hierarchy: boolean
  readonly mean_pattern: string
}

const customStatistic: Codec<CustomStatistic> = struct(
  'a custom_cfg entry (data_src, method_name, optional log_name and window_size)',
  { data_src: string, method_name: literal('mean', 'max', 'min', 'current') },
  {
    log_name: string,
    window_size: dispatch('a positive integer, "epoch" or "global"', [
      [(u) => typeof u === 'string', literal('epoch', 'global')],
      [() => true, positiveInt],
    ]),
  },
)

const isRegex = (pattern: string): boolean => {
  try {
    new RegExp(pattern)
    return true
  } catch {
    return false
  }
}

/** Decodes the `log_processor` section (strict: an unknown key is an error). */
export const codec = check(
  struct(
    'a log_processor dict',
    {},
    {
      type: literal('LogProcessor'),
      window_size: positiveInt,
      by_epoch: boolean,
      custom_cfg: array(customStatistic),
      num_digits: nonNegativeInt,
      log_with_hierarchy: boolean,
      mean_pattern: check(nonEmptyString, (p) => (isRegex(p) ? undefined : `not a valid regular expression: ${p}`)),
    },
  ),
  (cfg) => {
    const names = (cfg.custom_cfg ?? []).map((c) => c.log_name ?? c.data_src)
    const duplicate = names.find((n, i) => names.indexOf(n) !== i)
    if (duplicate !== undefined)
      return `custom_cfg: log_name '${duplicate}' appears twice; each entry needs its own log_name`
    if (cfg.by_epoch === false && (cfg.custom_cfg ?? []).some((c) => c.window_size === 'epoch'))
      return `custom_cfg: window_size 'epoch' needs by_epoch=True`
    return undefined
  },
)

/** The decoded section with defaults filled in. */
export const make = (cfg: Partial<LogProcessorConfig> = {}): LogProcessorConfig => ({
  window_size: cfg.window_size ?? 10,
  by_epoch: cfg.by_epoch ?? true,
  custom_cfg: cfg.custom_cfg ?? [],
  num_digits: cfg.num_digits ?? 4,
  log_with_hierarchy: cfg.log_with_hierarchy ?? false,
  mean_pattern: cfg.mean_pattern ?? '.*(loss|time|data_time|grad_norm).*',
})

/** What the processor reads besides the hub: the runner's counters and loader lengths. */
export interface RunView {
  readonly hub: MessageHub
  readonly epoch: number
  readonly iter: number
  readonly maxEpochs: number
  readonly maxIters: number
  /** Batches of the loader of the mode being logged. */
  readonly loaderLength: number
  /** Whether a train loop exists (MMEngine prints 0 counters without one). */
  readonly hasTrainLoop: boolean
}

/** A log line and the tag (scalars) that goes to `scalars.json`. */
export interface LogRecord {
  readonly tag: { readonly [key: string]: Json }
  readonly line: string
}

const windowOf = (
  w: number | 'epoch' | 'global' | undefined,
  fallback: number,
  batchIdx: number,
  iter: number,
): number => (w === undefined ? fallback : w === 'epoch' ? batchIdx + 1 : w === 'global' ? iter + 1 : w)

/** `_collect_scalars`: scalars of this mode (prefix stripped), smoothed by `mean_pattern`, then `custom_cfg`. */
const collect = (
  cfg: LogProcessorConfig,
  view: RunView,
  mode: Mode,
  batchIdx: number,
  custom: ReadonlyArray<CustomStatistic>,
  reservePrefix: boolean,
): Map<string, number> => {
  const tag = new Map<string, number>()
  const pattern = new RegExp(cfg.mean_pattern)
  const histories = new Map<string, Hub.ScalarHistory>()
  for (const [key, history] of view.hub.scalars) {
    if (!key.startsWith(mode)) continue
    const name = reservePrefix ? key : key.slice(mode.length + 1)
    histories.set(name, history)
    tag.set(name, pattern.test(name) ? statistic(history, 'mean', cfg.window_size) : statistic(history, 'current'))
  }
  for (const entry of custom) {
    const history = histories.get(entry.data_src)
    if (history === undefined) continue
    tag.set(
      entry.log_name ?? entry.data_src,
      statistic(history, entry.method_name, windowOf(entry.window_size, cfg.window_size, batchIdx, view.iter)),
    )
  }
  return tag
}

const render = (value: Json, digits: number): string =>
  typeof value === 'number' ? fixed(value, digits) : typeof value === 'string' ? value : JSON.stringify(value)

/** `get_log_after_iter`: the line printed during a loop and its tag. */
export const afterIter = (cfg: LogProcessorConfig, view: RunView, batchIdx: number, mode: Mode): LogRecord => {
  const logTag = collect(cfg, view, mode, batchIdx, cfg.custom_cfg, false)
  const tag: Record<string, Json> = cfg.log_with_hierarchy
    ? Object.fromEntries(collect(cfg, view, mode, batchIdx, cfg.custom_cfg, true))
    : Object.fromEntries(logTag)
  const lrParts: string[] = []
  for (const [key, value] of [...logTag]) {
    if (key.endsWith('lr')) {
      logTag.delete(key)
      lrParts.push(`${key}: ${exponential(value, cfg.num_digits)}`)
    }
  }
  const lrText = lrParts.join(' ')
  const cur = (width: number) => rjust(String(batchIdx + 1), width)
  let line: string
  if (cfg.by_epoch) {
    const len = view.loaderLength
    if (mode === 'train' || mode === 'val') {
      const epochValue = mode === 'train' ? view.epoch + 1 : view.hasTrainLoop ? view.epoch : 0
      const epochText = rjust(`[${epochValue}]`, String(view.maxEpochs).length + 3)
      line = `Epoch(${mode})${epochText}[${cur(String(len).length)}/${len}]  `
      tag['epoch'] = epochValue
    } else {
      line = `Epoch(test) [${cur(String(len).length)}/${len}]  `
    }
  } else if (mode === 'train') {
    line = `Iter(train) [${rjust(String(view.iter + 1), String(view.maxIters).length)}/${view.maxIters}]  `
  } else {
    const len = view.loaderLength
    line = `Iter(${mode}) [${cur(String(len).length)}/${len}]  `
  }
  tag['iter'] = view.hasTrainLoop ? view.iter + 1 : 0
  line += `${lrText}  `
  const eta = Hub.getInfo(view.hub, 'eta')
  if (logTag.has('time') && logTag.has('data_time') && typeof eta === 'number') {
    line +=
      `eta: ${timedelta(eta)}  time: ${fixed(logTag.get('time')!, cfg.num_digits)}  ` +
      `data_time: ${fixed(logTag.get('data_time')!, cfg.num_digits)}  `
    logTag.delete('time')
    logTag.delete('data_time')
  }
  if (mode === 'train' || mode === 'val') {
    const items = [...logTag].filter(([name]) => mode === 'train' || name.startsWith('val/loss'))
    line += items.map(([name, value]) => `${name}: ${render(value, cfg.num_digits)}`).join('  ')
  }
  return { tag, line }
}

/** `get_log_after_epoch`: the summary line after a val/test loop and its tag (metrics, times). */
export const afterEpoch = (
  cfg: LogProcessorConfig,
  view: RunView,
  mode: 'val' | 'test',
  withNonScalar = false,
): LogRecord => {
  const n = view.loaderLength
  const header = cfg.by_epoch
    ? mode === 'val'
      ? `Epoch(val) [${view.hasTrainLoop ? view.epoch : 0}][${n}/${n}]  `
      : `Epoch(test) [${n}/${n}]  `
    : `Iter(${mode}) [${n}/${n}]  `
  const times: CustomStatistic[] = [
    { data_src: 'time', method_name: 'mean', window_size: 'epoch' },
    { data_src: 'data_time', method_name: 'mean', window_size: 'epoch' },
  ]
  const scalars = collect(cfg, view, mode, n - 1, [...cfg.custom_cfg, ...times], cfg.log_with_hierarchy)
  const timeEntries: Array<[string, number]> = []
  for (const key of ['time', 'data_time']) {
    const value = scalars.get(key)
    if (value !== undefined) {
      scalars.delete(key)
      timeEntries.push([key, value])
    }
  }
  const nonScalars: Array<[string, Json]> = []
  for (const [key, value] of view.hub.info) {
    if (key.startsWith(`${mode}/`)) nonScalars.push([cfg.log_with_hierarchy ? key : key.slice(mode.length + 1), value])
  }
  const shown: Array<[string, Json]> = [...scalars, ...nonScalars, ...timeEntries]
  const line = `${header}  ${shown.map(([k, v]) => `${k}: ${render(v, cfg.num_digits)}`).join('  ')}`
  const tag: Record<string, Json> = Object.fromEntries([
    ...scalars,
    ...(withNonScalar ? nonScalars : []),
    ...timeEntries,
  ])
  return { tag, line }
}
