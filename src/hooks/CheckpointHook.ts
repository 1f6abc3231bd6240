/**
 * `CheckpointHook` (VERY_LOW): saves checkpoints every `interval` epochs or
 * iterations and at the end, keeps at most `max_keep_ckpts`, tracks the best
 * checkpoint by a validation metric, and records `work_dir/last_checkpoint`
 * (spec §3.6.1–3.6.2). Writing goes through the `Checkpoints` and `Files`
 * services, so the dry run lists every save without writing.
 *
 * Its bookkeeping (`keep_ckpt_ids`, `last_ckpt`, `best_score`, `best_ckpt`)
 * lives in the message hub, as in MMEngine, so it survives a resume.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as path from '../dsl/path.js'
import * as Hook from '../dsl/Hook.js'
import * as Hub from '../dsl/MessageHub.js'
import type { Json } from '../dsl/MessageHub.js'
import * as P from '../dsl/Priority.js'
import { Checkpoints, Files, Logger, Run } from '../dsl/Services.js'
import type { FileError, HookServices } from '../dsl/Services.js'
import type { Stage } from '../dsl/Stage.js'
import * as S from '../dsl/State.js'
import type { State } from '../dsl/State.js'
import {
  array,
  boolean,
  check,
  dispatch,
  int,
  json,
  literal,
  nonNegativeInt,
  nullable,
  record,
  string,
  struct,
} from '../schema/codec.js'
import type { HookType } from './HookType.js'

type OneOrMany<A> = A | ReadonlyArray<A>

export interface CheckpointHookArgs {
  readonly interval?: number
  readonly by_epoch?: boolean
  readonly save_optimizer?: boolean
  readonly save_param_scheduler?: boolean
  readonly out_dir?: string | null
  readonly max_keep_ckpts?: number
  readonly save_last?: boolean
  readonly save_best?: OneOrMany<string> | null
  readonly rule?: OneOrMany<'greater' | 'less'> | null
  readonly greater_keys?: OneOrMany<string> | null
  readonly less_keys?: OneOrMany<string> | null
  readonly file_client_args?: { readonly [k: string]: Json } | null
  readonly filename_tmpl?: string | null
  readonly backend_args?: { readonly [k: string]: Json } | null
  readonly published_keys?: OneOrMany<string> | null
  readonly save_begin?: number
}

const oneOrMany = <A>(description: string, item: import('../schema/codec.js').Codec<A>) =>
  dispatch(description, [
    [(u) => Array.isArray(u), array(item)],
    [() => true, item],
  ])

const listOf = <A>(value: OneOrMany<A> | null | undefined): ReadonlyArray<A> =>
  value === null || value === undefined ? [] : Array.isArray(value) ? (value as ReadonlyArray<A>) : [value as A]

const args = check(
  struct(
    'CheckpointHook arguments',
    {},
    {
      interval: int,
      by_epoch: boolean,
      save_optimizer: boolean,
      save_param_scheduler: boolean,
      out_dir: nullable(string),
      max_keep_ckpts: int,
      save_last: boolean,
      save_best: nullable(oneOrMany('a metric name or a list of metric names', string)),
      rule: nullable(oneOrMany("'greater', 'less' or a list of them", literal('greater', 'less'))),
      greater_keys: nullable(oneOrMany('a key or a list of keys', string)),
      less_keys: nullable(oneOrMany('a key or a list of keys', string)),
      file_client_args: nullable(record(json)),
      filename_tmpl: nullable(
        check(string, (s) =>
          s.includes('{}') ? undefined : `expected a template containing '{}', got ${JSON.stringify(s)}`,
        ),
      ),
      backend_args: nullable(record(json)),
      published_keys: nullable(oneOrMany('a checkpoint key or a list of keys', string)),
      save_begin: nonNegativeInt,
    },
  ),
  (a) => {
    const best = listOf(a.save_best)
    if (best.includes('auto') && best.length > 1) return "save_best: 'auto' cannot be combined with other metric names"
    const dup = best.find((k, i) => best.indexOf(k) !== i)
    if (dup !== undefined) return `save_best: '${dup}' is listed twice`
    const rules = listOf(a.rule)
    if (rules.length > 1 && rules.length !== best.length)
      return `rule: expected one rule or one per save_best entry (${best.length}), got ${rules.length}`
    if (a.file_client_args != null && a.backend_args != null)
      return 'file_client_args and backend_args cannot both be set'
    if (best.length > 0) {
      const greater = a.greater_keys == null ? defaultGreaterKeys : listOf(a.greater_keys)
      const less = a.less_keys == null ? defaultLessKeys : listOf(a.less_keys)
      for (const [i, key] of best.entries()) {
        const rule = rules.length === 0 ? undefined : rules.length === 1 ? rules[0] : rules[i]
        if (rule === undefined && key !== 'auto' && inferRule(key, greater, less) === undefined)
          return `save_best: cannot tell whether '${key}' should be greater or less; set rule='greater' or rule='less'`
      }
    }
    return undefined
  },
)

/** MMEngine's default `greater_keys` and `less_keys`. */
export const defaultGreaterKeys = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc']
export const defaultLessKeys = ['loss']

/** Rule inference for a metric name (case-insensitive): exact matches first, then substrings. */
export const inferRule = (
  key: string,
  greater: ReadonlyArray<string>,
  less: ReadonlyArray<string>,
): 'greater' | 'less' | undefined => {
  const k = key.toLowerCase()
  const g = greater.map((x) => x.toLowerCase())
  const l = less.map((x) => x.toLowerCase())
  if (g.includes(k)) return 'greater'
  if (l.includes(k)) return 'less'
  if (g.some((x) => k.includes(x))) return 'greater'
  if (l.some((x) => k.includes(x))) return 'less'
  return undefined
}

/** `every_n_epochs` / `every_n_train_iters` with a `save_begin` offset. */
export const everyN = (counter: number, interval: number, begin: number): boolean =>
  interval > 0 && counter + 1 - begin >= 0 && (counter + 1 - begin) % interval === 0

/** The moments CheckpointHook saves, as pure predicates (used by the dry-run plan too). */
export const CheckpointSchedule = {
  afterTrainEpoch: (a: CheckpointHookArgs, epoch: number, maxEpochs: number): boolean =>
    (a.by_epoch ?? true) &&
    (everyN(epoch, a.interval ?? -1, a.save_begin ?? 0) || ((a.save_last ?? true) && epoch + 1 === maxEpochs)),
  afterTrainIter: (a: CheckpointHookArgs, iter: number, maxIters: number): boolean =>
    !(a.by_epoch ?? true) &&
    (everyN(iter, a.interval ?? -1, a.save_begin ?? 0) || ((a.save_last ?? true) && iter + 1 === maxIters)),
  filename: (a: CheckpointHookArgs, step: number): string =>
    (a.filename_tmpl ?? ((a.by_epoch ?? true) ? 'epoch_{}.safetensors' : 'iter_{}.safetensors')).replace(
      '{}',
      String(step),
    ),
}

const asNumbers = (value: Json | undefined): number[] =>
  Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : []

export const CheckpointHook: HookType<CheckpointHookArgs> = {
  name: 'CheckpointHook',
  defaultPriority: P.VERY_LOW,
  args,
  touches: (a) => {
    // A checkpoint holds the whole state; saving records where it went and which ones are kept.
    const saving = {
      reads: ['*'],
      writes: ['messageHub.info.last_ckpt', 'messageHub.info.keep_ckpt_ids', 'checkpoint.files', 'files', 'log'],
    }
    const byEpoch = a.by_epoch ?? true
    const best = listOf(a.save_best).length > 0
    const published = a.published_keys != null && listOf(a.published_keys).length > 0
    return {
      before_train: {
        reads: ['messageHub.info.keep_ckpt_ids'],
        writes: ['own', 'messageHub.info.keep_ckpt_ids', 'files', 'log'],
      },
      ...(byEpoch ? { after_train_epoch: saving } : { after_train_iter: saving }),
      after_val_epoch: best
        ? { reads: ['*'], writes: [...saving.writes, 'messageHub.info.best_score*', 'messageHub.info.best_ckpt*'] }
        : { reads: ['metrics'], writes: ['log'] },
      ...(published
        ? {
            after_train: {
              reads: ['messageHub.info.last_ckpt', 'messageHub.info.best_ckpt*'],
              writes: ['checkpoint.files', 'log'],
            },
          }
        : {}),
    }
  },
  build: (a, site) => {
    const byEpoch = a.by_epoch ?? true
    const maxKeep = a.max_keep_ckpts ?? -1
    const bestKeys = listOf(a.save_best)
    const rules = listOf(a.rule)
    const greater = a.greater_keys == null ? defaultGreaterKeys : listOf(a.greater_keys)
    const less = a.less_keys == null ? defaultLessKeys : listOf(a.less_keys)

    const outDir = (state: State): string => S.hookState(state, site.key, { outDir: '' }).outDir
    const fail = (stage: Stage) => (e: FileError) =>
      new Hook.HookError({ hook: 'CheckpointHook', stage, message: `${e.path}: ${e.message}` })

    const saveWithStep = (state: State, step: number, meta: { epoch: number; iter: number }, stage: Stage) =>
      Effect.gen(function* () {
        const files = yield* Files
        const run = yield* Run
        const checkpoints = yield* Checkpoints
        let hub = state.messageHub
        const dir = outDir(state)
        let oldest: number | undefined
        if (maxKeep > 0) {
          const kept = asNumbers(Hub.getInfo(hub, 'keep_ckpt_ids'))
          if (kept.at(-1) !== step) {
            if (kept.length >= maxKeep) oldest = kept.shift()!
            kept.push(step)
            hub = Hub.updateInfo(hub, 'keep_ckpt_ids', kept)
          }
        }
        const filename = CheckpointSchedule.filename(a, step)
        const lastCkpt = path.join(dir, filename)
        hub = Hub.updateInfo(hub, 'last_ckpt', lastCkpt)
        const next: State = { ...state, messageHub: hub }
        yield* checkpoints.save(next, {
          path: lastCkpt,
          meta,
          saveOptimizer: a.save_optimizer ?? true,
          saveParamScheduler: a.save_param_scheduler ?? true,
        })
        yield* Effect.mapError(files.writeText(path.join(run.workDir, 'last_checkpoint'), lastCkpt), fail(stage))
        // Only once the new checkpoint and the pointer are on disk does the oldest one go (MMEngine removes it
        // first; a failed save would then leave no checkpoint at all).
        if (oldest !== undefined && oldest !== step)
          yield* Effect.mapError(files.remove(path.join(dir, CheckpointSchedule.filename(a, oldest))), fail(stage))
        return next
      })

    const saveBest = (state: State): Effect.Effect<State, Hook.HookError | FileError, HookServices> =>
      Effect.gen(function* () {
        const metrics = state.metrics ?? {}
        const checkpoints = yield* Checkpoints
        const files = yield* Files
        const logger = yield* Logger
        const current = byEpoch ? state.counters.epoch : state.counters.iter
        const filename = CheckpointSchedule.filename(a, current)
        const keys = bestKeys.includes('auto') ? Object.keys(metrics).slice(0, 1) : bestKeys
        let hub = state.messageHub
        let updated = false
        for (const [i, key] of keys.entries()) {
          const rule =
            (rules.length === 0 ? undefined : rules.length === 1 ? rules[0] : rules[i]) ??
            inferRule(key, greater, less) ??
            'greater'
          const score = Object.hasOwn(metrics, key) ? metrics[key] : undefined
          if (score === undefined) {
            return yield* Effect.fail(
              new Hook.HookError({
                hook: 'CheckpointHook',
                stage: 'after_val_epoch',
                message:
                  `save_best: metric '${key}' is not among the validation metrics ` +
                  `(${Object.keys(metrics).join(', ')})`,
              }),
            )
          }
          if (typeof score !== 'number') continue
          const scoreKey = keys.length === 1 ? 'best_score' : `best_score_${key}`
          const ckptKey = keys.length === 1 ? 'best_ckpt' : `best_ckpt_${key}`
          const stored = Hub.getInfo(hub, scoreKey)
          const best = typeof stored === 'number' ? stored : rule === 'greater' ? -Infinity : Infinity
          if (!(rule === 'greater' ? score > best : score < best)) continue
          updated = true
          hub = Hub.updateInfo(hub, scoreKey, score)
          const previous = Hub.getInfo(hub, ckptKey)
          if (typeof previous === 'string') yield* Effect.mapError(files.remove(previous), fail('after_val_epoch'))
          const bestName = `best_${key}_${filename}`.replaceAll('/', '_')
          const bestPath = path.join(outDir(state), bestName)
          hub = Hub.updateInfo(hub, ckptKey, bestPath)
          yield* checkpoints.save(
            { ...state, messageHub: hub },
            {
              path: bestPath,
              meta: { epoch: state.counters.epoch, iter: state.counters.iter },
              saveOptimizer: false,
              saveParamScheduler: false,
            },
          )
          yield* logger.log(
            'INFO',
            `The best checkpoint with ${score.toFixed(4)} ${key} at ${current} ` +
              `${byEpoch ? 'epoch' : 'iter'} is saved to ${bestName}.`,
          )
        }
        const next: State = { ...state, messageHub: hub }
        if (updated && Hub.getInfo(hub, 'last_ckpt') !== undefined) {
          return yield* saveWithStep(
            next,
            current,
            { epoch: state.counters.epoch, iter: state.counters.iter },
            'after_val_epoch',
          )
        }
        return next
      })

    const mapFile = (stage: Stage) => (e: Hook.HookError | FileError) => (e._tag === 'FileError' ? fail(stage)(e) : e)

    return Hook.make<HookServices>({
      name: 'CheckpointHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_train: (state) =>
          Effect.gen(function* () {
            const run = yield* Run
            const files = yield* Files
            const dir = a.out_dir == null ? run.workDir : path.join(a.out_dir, path.basename(run.workDir))
            let next = S.setHookState(state, site.key, { outDir: dir })
            yield* Logger.use((l) => l.log('INFO', `Checkpoints will be saved to ${dir}.`))
            if (maxKeep > 0) {
              const kept = asNumbers(Hub.getInfo(next.messageHub, 'keep_ckpt_ids'))
              while (kept.length > maxKeep) {
                const oldest = kept.shift()!
                yield* Effect.mapError(
                  files.remove(path.join(dir, CheckpointSchedule.filename(a, oldest))),
                  fail('before_train'),
                )
              }
              next = S.modifyHub(next, (h) =>
                Hub.getInfo(h, 'keep_ckpt_ids') === undefined ? h : Hub.updateInfo(h, 'keep_ckpt_ids', kept),
              )
            }
            return next
          }),
        after_train_epoch: (state) =>
          Effect.gen(function* () {
            if (!CheckpointSchedule.afterTrainEpoch(a, state.counters.epoch, state.counters.maxEpochs)) return state
            const step = state.counters.epoch + 1
            yield* Logger.use((l) => l.log('INFO', `Saving checkpoint at ${step} epochs`))
            return yield* Effect.mapError(
              saveWithStep(state, step, { epoch: step, iter: state.counters.iter }, 'after_train_epoch'),
              mapFile('after_train_epoch'),
            )
          }),
        after_train_iter: (state) =>
          Effect.gen(function* () {
            if (!CheckpointSchedule.afterTrainIter(a, state.counters.iter, state.counters.maxIters)) return state
            const step = state.counters.iter + 1
            yield* Logger.use((l) => l.log('INFO', `Saving checkpoint at ${step} iterations`))
            return yield* Effect.mapError(
              saveWithStep(state, step, { epoch: state.counters.epoch, iter: step }, 'after_train_iter'),
              mapFile('after_train_iter'),
            )
          }),
        after_train: (state) =>
          Effect.gen(function* () {
            const keys = a.published_keys == null ? [] : listOf(a.published_keys)
            if (keys.length === 0) return state
            // Publish the last checkpoint (when save_last) and every best one, keeping only `published_keys`.
            const hub = state.messageHub
            const last = Hub.getInfo(hub, 'last_ckpt')
            const sources = [
              ...((a.save_last ?? true) && typeof last === 'string' ? [last] : []),
              ...[...hub.info]
                .filter(([k, v]) => (k === 'best_ckpt' || k.startsWith('best_ckpt_')) && typeof v === 'string')
                .map(([, v]) => v as string),
            ]
            for (const source of sources) {
              const published = yield* Effect.mapError(
                Checkpoints.use((c) => c.publish(source, keys)),
                fail('after_train'),
              )
              yield* Logger.use((l) =>
                l.log('INFO', `The checkpoint ${source} is published to ${published} with keys ${keys.join(', ')}.`),
              )
            }
            return state
          }),
        after_val_epoch: (state) =>
          Effect.gen(function* () {
            if (state.metrics === undefined) return state
            if (Object.keys(state.metrics).length === 0) {
              yield* Logger.use((l) =>
                l.log(
                  'WARNING',
                  'Since `metrics` is an empty dict, the behavior to save the best checkpoint will ' +
                    'be skipped in this evaluation.',
                ),
              )
              return state
            }
            if (bestKeys.length === 0) return state
            return yield* Effect.mapError(saveBest(state), mapFile('after_val_epoch'))
          }),
      },
    })
  },
}
