/**
 * `EarlyStoppingHook` (LOWEST): stops training when a validation metric stops
 * improving, becomes NaN/infinite, or reaches a threshold (spec §4.5,
 * MMEngine's `early_stopping_hook.py`).
 *
 * After each validation epoch it reads `state.metrics[monitor]` and decides,
 * in this order (the first that applies wins):
 * 1. `check_finite` and the score is NaN or ±∞: stop;
 * 2. `stopping_threshold` is set and the score beats it: stop;
 * 3. the score does not beat `best + min_delta` (greater) or `best − min_delta`
 *    (less): one more record without improvement; stop once there are
 *    `patience` of them in a row;
 * 4. otherwise the score is the new best and the count restarts.
 *
 * Stopping is `State.requestStop` (MMEngine's `train_loop.stop_training = True`):
 * the train loop ends before its next epoch (or iteration), and the reason is
 * logged. The pure decision is {@link decide}.
 *
 * Like MMEngine's (whose hook keeps these in attributes that no checkpoint
 * saves), the best score and the count restart at every run start, resumed
 * runs included.
 *
 * @example
 * ```json
 * { "custom_hooks": [{ "type": "EarlyStoppingHook", "monitor": "accuracy/top1", "patience": 3, "min_delta": 0.05 }] }
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Logger } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import * as S from '../dsl/State.js'
import { boolean, check, literal, nonEmptyString, nullable, number, nonNegativeInt, struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'
import { defaultGreaterKeys, defaultLessKeys, inferRule } from './CheckpointHook.js'

/** `EarlyStoppingHook`'s constructor arguments, MMEngine's names. */
export interface EarlyStoppingHookArgs {
  readonly monitor: string
  readonly rule?: 'greater' | 'less' | null
  readonly min_delta?: number
  readonly strict?: boolean
  readonly check_finite?: boolean
  readonly patience?: number
  readonly stopping_threshold?: number | null
}

/** The hook's own state: MMEngine's `best_score` and `wait_count`. */
export interface EarlyStoppingState {
  readonly _tag: 'EarlyStoppingState'
  readonly best: number
  readonly wait: number
}

/** The settings the decision needs, with the rule resolved and `min_delta` signed as MMEngine signs it. */
export interface StopRule {
  readonly monitor: string
  readonly rule: 'greater' | 'less'
  /** `min_delta` for 'greater', `−min_delta` for 'less'. */
  readonly delta: number
  readonly checkFinite: boolean
  readonly patience: number
  readonly threshold: number | null
}

const args = check(
  struct(
    'EarlyStoppingHook arguments',
    { monitor: nonEmptyString },
    {
      rule: nullable(literal('greater', 'less')),
      min_delta: number,
      strict: boolean,
      check_finite: boolean,
      patience: nonNegativeInt,
      stopping_threshold: nullable(number),
    },
  ),
  (a) =>
    a.rule == null && inferRule(a.monitor, defaultGreaterKeys, defaultLessKeys) === undefined
      ? `cannot infer whether '${a.monitor}' should be greater or less (its name ` +
        `contains none of ` +
        `${[...defaultGreaterKeys, ...defaultLessKeys].map((k) => `'${k}'`).join(', ')});` +
        ` set rule='greater' or rule='less'`
      : undefined,
)

/**
 * The rule an `EarlyStoppingHook` config describes (MMEngine's constructor).
 *
 * @example
 * ```ts
 * stopRuleOf({ monitor: 'val/loss' }).delta // -0.1: `less`, so min_delta counts downwards
 * ```
 */
export const stopRuleOf = (a: EarlyStoppingHookArgs): StopRule => {
  const rule = a.rule ?? inferRule(a.monitor, defaultGreaterKeys, defaultLessKeys) ?? 'greater'
  const minDelta = a.min_delta ?? 0.1
  return {
    monitor: a.monitor,
    rule,
    delta: rule === 'greater' ? minDelta : -1 * minDelta,
    checkFinite: a.check_finite ?? true,
    patience: a.patience ?? 5,
    threshold: a.stopping_threshold ?? null,
  }
}

/** The state before any validation: no best yet. */
export const initialStopState = (r: StopRule): EarlyStoppingState => ({
  _tag: 'EarlyStoppingState',
  best: r.rule === 'greater' ? -Infinity : Infinity,
  wait: 0,
})

/** Python's `f'{x:.3f}'` and `str(float)` for the log messages. */
const fixed3 = (x: number): string =>
  Number.isFinite(x) ? x.toFixed(3) : Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf'
const pyFloat = (x: number): string =>
  Number.isNaN(x)
    ? 'nan'
    : !Number.isFinite(x)
      ? x > 0
        ? 'inf'
        : '-inf'
      : Number.isInteger(x) && Math.abs(x) < 1e16
        ? `${x}.0`
        : String(x)

/**
 * One validation's verdict: the next state, and the reason when training should stop.
 *
 * @example
 * ```ts
 * const r = stopRuleOf({ monitor: 'acc', patience: 1 })
 * const first = decide(r, initialStopState(r), 0.5)   // new best 0.5, go on
 * decide(r, first.state, 0.55).stop
 * // 'the monitored metric did not improve in the last 1 records. best score: 0.500. '
 * ```
 */
export const decide = (
  r: StopRule,
  s: EarlyStoppingState,
  score: number,
): { readonly state: EarlyStoppingState; readonly stop: string | undefined } => {
  const better = (x: number, y: number) => (r.rule === 'greater' ? x > y : x < y)
  if (r.checkFinite && !Number.isFinite(score)) {
    return {
      state: s,
      stop: `Monitored metric ${r.monitor} = ${pyFloat(score)} is infinite. Previous best value was ${fixed3(s.best)}.`,
    }
  }
  if (r.threshold !== null && better(score, r.threshold)) {
    return {
      state: { ...s, best: score },
      stop:
        `Stopping threshold reached: \`${r.monitor}\` = ${pyFloat(score)} is ${r.rule} ` +
        `than ${pyFloat(r.threshold)}.`,
    }
  }
  if (better(s.best + r.delta, score)) {
    const wait = s.wait + 1
    return {
      state: { ...s, wait },
      stop:
        wait >= r.patience
          ? `the monitored metric did not improve in the last ${wait} records. best score: ${fixed3(s.best)}. `
          : undefined,
    }
  }
  return { state: { ...s, best: score, wait: 0 }, stop: undefined }
}

/**
 * The `EarlyStoppingHook` hook type (LOWEST), registered in `defaultHookTypes`.
 *
 * @example
 * ```ts
 * EarlyStoppingHook.args.decode({ monitor: 'f1' }) // Left: cannot infer the rule; set rule='greater'
 * ```
 */
export const EarlyStoppingHook: HookType<EarlyStoppingHookArgs> = {
  name: 'EarlyStoppingHook',
  defaultPriority: P.LOWEST,
  args,
  touches: {
    before_run: { reads: [], writes: ['own'] },
    after_val_epoch: { reads: ['metrics'], writes: ['own', 'stop', 'log'] },
  },
  build: (a, site) => {
    const r = stopRuleOf(a)
    const strict = a.strict ?? false
    return Hook.make<HookServices>({
      name: 'EarlyStoppingHook',
      key: site.key,
      priority: site.priority,
      stages: {
        // MMEngine builds the hook afresh for every run: best score and count start over, also on resume.
        before_run: (state) => Effect.succeed(S.setHookState(state, site.key, initialStopState(r))),
        after_val_epoch: (state) =>
          Effect.gen(function* () {
            // The dry run evaluates nothing: there is nothing to decide on.
            if (state.metrics === undefined) return state
            const logger = yield* Logger
            const available = Object.keys(state.metrics)
            const value = Object.hasOwn(state.metrics, r.monitor) ? state.metrics[r.monitor] : undefined
            if (value === undefined) {
              if (strict) {
                return yield* Effect.fail(
                  new Hook.HookError({
                    hook: 'EarlyStoppingHook',
                    stage: 'after_val_epoch',
                    message:
                      `monitor '${r.monitor}' is not among the validation metrics ` +
                      `(${available.length === 0 ? 'none' : available.join(', ')}); fix monitor or set ` +
                      `strict=False to skip early stopping when it is missing`,
                  }),
                )
              }
              yield* logger.log(
                'WARNING',
                `Skip early stopping process since the evaluation results ` +
                  `(${available.join(', ')}) do not include \`monitor\` (${r.monitor}).`,
              )
              return state
            }
            if (typeof value !== 'number') {
              return yield* Effect.fail(
                new Hook.HookError({
                  hook: 'EarlyStoppingHook',
                  stage: 'after_val_epoch',
                  message: `monitor '${r.monitor}' is ${JSON.stringify(value)}, not a number`,
                }),
              )
            }
            const own = S.hookState<EarlyStoppingState>(state, site.key, initialStopState(r))
            const verdict = decide(r, own, value)
            const next = S.setHookState(state, site.key, verdict.state)
            if (verdict.stop === undefined) return next
            yield* logger.log('INFO', verdict.stop)
            return S.requestStop(next)
          }),
      },
    })
  },
}
