/**
 * `EMAHook` (NORMAL): keeps an averaged copy of the model's weights
 * (exponential moving average, momentum-annealed EMA, or stochastic weight
 * average), evaluates with it, and saves it as the checkpoint's weights
 * (spec §4.1, §3.6.3).
 *
 * Its state, under the hook's key in `state.hooks`, is MMEngine's
 * `ema_model.state_dict()`: the update counter `steps` and the averaged
 * tensors by name (`params`, and `buffers` when `update_buffers`). The
 * averaged tensors are refs the interpreter owns; the hook only swaps refs and
 * asks `TensorOps` for copies and lerps, so it runs unchanged in the dry run.
 *
 * | stage | what happens |
 * | --- | --- |
 * | `before_run` | the averaged model starts as a copy of the model (kept as loaded on resume) |
 * | `after_load_checkpoint` | resume: the raw weights saved beside the averaged ones come back into the model, the
 * averaged ones into the hook; `load_from`: the average restarts from the loaded weights |
 * | `before_train` | `begin_epoch ≤ max_epochs` (or `begin_iter ≤ max_iters`) is checked |
 * | `after_train_iter` | once started, one `update_parameters`; before that, a plain copy (the counter does not move) |
 * | `before/after_val_epoch`, `before/after_test_epoch` | model and average swap, so evaluation sees the average |
 * | `before_save_checkpoint` | the saved state holds the average as the model's weights and the raw weights in the
 * hook's state (MMEngine's `state_dict` / `ema_state_dict` exchange) |
 *
 * @example
 * ```json
 * { "custom_hooks": [{ "type": "EMAHook", "momentum": 0.0002, "begin_epoch": 2 }] }
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Logger, TensorOps } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import type { Stage } from '../dsl/Stage.js'
import * as S from '../dsl/State.js'
import type { State, TensorRef, TensorTree } from '../dsl/State.js'
import {
  boolean,
  check,
  literal,
  nonNegativeInt,
  nullable,
  positiveInt,
  refine,
  string,
  struct,
} from '../schema/codec.js'
import type { HookType } from './HookType.js'
import { updateAt } from './ema/averaging.js'
import type { Averaging, AveragingType } from './ema/averaging.js'

/** `EMAHook`'s constructor arguments, MMEngine's names (the averaged model's `**kwargs` included). */
export interface EMAHookArgs {
  readonly ema_type?: AveragingType
  readonly strict_load?: boolean
  readonly begin_iter?: number
  readonly begin_epoch?: number
  /** Averaged-model arguments (`**kwargs`). */
  readonly momentum?: number
  readonly gamma?: number
  readonly interval?: number
  readonly update_buffers?: boolean
  /** Accepted for config compatibility; tensors stay where the interpreter keeps them. */
  readonly device?: string | null
}

/** The hook's own state: MMEngine's `ema_model.state_dict()` (`steps`, `module.<name>`). */
export interface EMAHookState {
  readonly _tag: 'EMAHookState'
  /** `update_parameters` calls so far (MMEngine's `steps` buffer). */
  readonly steps: number
  /** The averaged parameters by name — or, while `swapped`, the model's raw ones. */
  readonly params: TensorTree
  /** The averaged buffers (empty unless `update_buffers`) — or, while `swapped`, the raw ones. */
  readonly buffers: TensorTree
  /**
   * Whether the model holds the averaged weights and this state the raw ones:
   * during val/test epochs and in saved checkpoints.
   */
  readonly swapped: boolean
}

const openUnit = refine(
  'a number strictly between 0 and 1',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0 && u < 1,
)
const positive = refine('a number > 0', (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0)

const args = check(
  struct(
    'EMAHook arguments',
    {},
    {
      ema_type: literal('ExponentialMovingAverage', 'MomentumAnnealingEMA', 'StochasticWeightAverage'),
      strict_load: boolean,
      begin_iter: nonNegativeInt,
      begin_epoch: nonNegativeInt,
      momentum: openUnit,
      gamma: positive,
      interval: positiveInt,
      update_buffers: boolean,
      device: nullable(string),
    },
  ),
  (a) => {
    const type = a.ema_type ?? 'ExponentialMovingAverage'
    if ((a.begin_iter ?? 0) !== 0 && (a.begin_epoch ?? 0) !== 0)
      return (
        `begin_iter (${a.begin_iter}) and begin_epoch (${a.begin_epoch}) cannot both be ` +
        `set; the EMA starts by iteration or by epoch`
      )
    if (a.gamma !== undefined && type !== 'MomentumAnnealingEMA')
      return `gamma: ${type} takes no gamma (only MomentumAnnealingEMA does)`
    if (a.momentum !== undefined && type === 'StochasticWeightAverage')
      return 'momentum: StochasticWeightAverage takes no momentum (it weighs every update equally)'
    return undefined
  },
)

/**
 * The averaging an `EMAHook` config describes, with MMEngine's defaults.
 *
 * @example
 * ```ts
 * averagingOf({ momentum: 0.1 }) // { type: 'ExponentialMovingAverage', momentum: 0.1, gamma: 100, interval: 1 }
 * ```
 */
export const averagingOf = (a: EMAHookArgs): Averaging => ({
  type: a.ema_type ?? 'ExponentialMovingAverage',
  momentum: a.momentum ?? 0.0002,
  gamma: a.gamma ?? 100,
  interval: a.interval ?? 1,
})

/**
 * Has averaging begun at this train iteration (0-based counters of `after_train_iter`)?
 *
 * @example
 * ```ts
 * started({ begin_iter: 3 }, 0, 1) // false: the second iteration
 * started({ begin_iter: 3 }, 0, 2) // true: the third
 * ```
 */
export const started = (a: EMAHookArgs, epoch: number, iter: number): boolean => {
  const beginEpoch = a.begin_epoch ?? 0
  return beginEpoch > 0 ? epoch + 1 >= beginEpoch : iter + 1 >= (a.begin_iter ?? 0)
}

const isFloat = (ref: TensorRef): boolean => ref.dtype === 'float32'
const pick = (tree: TensorTree, keep: (name: string, ref: TensorRef) => boolean): TensorTree =>
  Object.fromEntries(Object.entries(tree).filter(([name, ref]) => keep(name, ref)))

/** Exchange the entries both trees name: `[model', average']`. */
const exchange = (model: TensorTree, average: TensorTree): readonly [TensorTree, TensorTree] => {
  const m: { [name: string]: TensorRef } = { ...model }
  const a: { [name: string]: TensorRef } = { ...average }
  for (const name of Object.keys(average)) {
    const raw = model[name]
    if (raw === undefined) continue
    m[name] = average[name]!
    a[name] = raw
  }
  return [m, a]
}

/**
 * The `EMAHook` hook type (NORMAL), registered in `defaultHookTypes`.
 *
 * @example
 * ```ts
 * const decoded = EMAHook.args.decode({ ema_type: 'StochasticWeightAverage', interval: 2 }) // Right
 * ```
 */
export const EMAHook: HookType<EMAHookArgs> = {
  name: 'EMAHook',
  defaultPriority: P.NORMAL,
  // The average is the hook's own state; evaluation and checkpoints swap it with the model's weights.
  touches: (a) => {
    const model = (a.update_buffers ?? false) ? ['model.params', 'model.buffers'] : ['model.params']
    const swap = { reads: model, writes: [...model, 'own'] }
    return {
      before_run: { reads: model, writes: ['own', 'log'] },
      after_load_checkpoint: { reads: model, writes: [...model, 'own', 'log'] },
      after_train_iter: { reads: model, writes: ['own'] },
      before_val_epoch: swap,
      after_val_epoch: swap,
      before_test_epoch: swap,
      after_test_epoch: swap,
      before_save_checkpoint: swap,
    }
  },
  args,
  build: (a, site) => {
    const averaging = averagingOf(a)
    const updateBuffers = a.update_buffers ?? false
    const strictLoad = a.strict_load ?? false
    const error = (stage: Stage, message: string) => new Hook.HookError({ hook: 'EMAHook', stage, message })

    const read = (state: State): EMAHookState | undefined => {
      const s = state.hooks[site.key] as EMAHookState | undefined
      return s !== undefined && s !== null && (s as { _tag?: unknown })._tag === 'EMAHookState' ? s : undefined
    }
    const write = (state: State, s: EMAHookState): State => S.setHookState(state, site.key, s)
    const need = (state: State, stage: Stage): Effect.Effect<EMAHookState, Hook.HookError> => {
      const s = read(state)
      return s === undefined
        ? Effect.fail(
            error(stage, `the averaged model is missing from the run state under '${site.key}' (before_run builds it)`),
          )
        : Effect.succeed(s)
    }

    /** A fresh averaged model: copies of the model's parameters (and buffers). */
    const copyOfModel = (state: State) =>
      Effect.gen(function* () {
        const ops = yield* TensorOps
        return {
          params: yield* ops.copy(state.model.params),
          buffers: updateBuffers ? yield* ops.copy(state.model.buffers) : {},
        }
      })

    /** Model and average exchange places (evaluation, checkpoints). */
    const swap = (state: State, s: EMAHookState): State => {
      const [params, avgParams] = exchange(state.model.params, s.params)
      const [buffers, avgBuffers] = exchange(state.model.buffers, s.buffers)
      return write(
        { ...state, model: { ...state.model, params, buffers } },
        { ...s, params: avgParams, buffers: avgBuffers, swapped: !s.swapped },
      )
    }
    const swapTo = (wanted: boolean) => (state: State, stage: Stage) =>
      Effect.map(need(state, stage), (s) => (s.swapped === wanted ? state : swap(state, s)))
    const toAverage = swapTo(true)
    const toRaw = swapTo(false)

    /** `update_parameters(src_model)`. */
    const update = (state: State, s: EMAHookState) =>
      Effect.gen(function* () {
        const ops = yield* TensorOps
        const step = updateAt(averaging, s.steps)
        const source = { params: state.model.params, buffers: state.model.buffers }
        const one = (avg: TensorTree, src: TensorTree) =>
          Effect.gen(function* () {
            if (s.steps === 0) return { ...avg, ...(yield* ops.copy(pick(src, (name) => name in avg))) }
            if (step._tag === 'Keep') return avg
            // Integer buffers (num_batches_tracked) keep their first copy; only floating-point tensors average.
            const floats = pick(avg, (name, ref) => isFloat(ref) && src[name] !== undefined)
            const done =
              step._tag === 'Copy'
                ? yield* ops.copy(pick(src, (name) => name in floats))
                : yield* ops.lerp(floats, src, step.weight)
            return { ...avg, ...done }
          })
        const params = yield* one(s.params, source.params)
        const buffers = updateBuffers ? yield* one(s.buffers, source.buffers) : s.buffers
        return write(state, { ...s, steps: s.steps + 1, params, buffers })
      })

    /** Before averaging begins: every averaged entry copied from the model; `steps` unchanged. */
    const follow = (state: State, s: EMAHookState) =>
      Effect.map(copyOfModel(state), (copied) => write(state, { ...s, params: copied.params, buffers: copied.buffers }))

    /** Check the average loaded on resume against the model: names and shapes (an error with `strict_load`). */
    const loadProblems = (state: State, s: EMAHookState): string[] => {
      const problems: string[] = []
      const compare = (kind: string, model: TensorTree, avg: TensorTree) => {
        const missing = Object.keys(model).filter((n) => !(n in avg))
        const unexpected = Object.keys(avg).filter((n) => !(n in model))
        const shapes = Object.keys(avg).filter(
          (n) => n in model && JSON.stringify(model[n]!.shape) !== JSON.stringify(avg[n]!.shape),
        )
        if (missing.length > 0) problems.push(`missing ${kind} ${missing.slice(0, 5).join(', ')}`)
        if (unexpected.length > 0) problems.push(`unexpected ${kind} ${unexpected.slice(0, 5).join(', ')}`)
        for (const n of shapes.slice(0, 5))
          problems.push(
            `${n} has shape [${avg[n]!.shape.join(', ')}] in the checkpoint, the model's is ` +
              `[${model[n]!.shape.join(', ')}]`,
          )
      }
      compare('parameters', state.model.params, s.params)
      if (updateBuffers) compare('buffers', state.model.buffers, s.buffers)
      return problems
    }

    /** After the swap back: keep the matching averaged entries, fill the rest from the model (non-strict load). */
    const fitted = (state: State, s: EMAHookState) =>
      Effect.gen(function* () {
        const ops = yield* TensorOps
        const fitToModel = (model: TensorTree, avg: TensorTree) =>
          Effect.gen(function* () {
            const kept = pick(
              avg,
              (n, ref) => model[n] !== undefined && JSON.stringify(model[n]!.shape) === JSON.stringify(ref.shape),
            )
            const filled = yield* ops.copy(pick(model, (n) => !(n in kept)))
            return { ...kept, ...filled }
          })
        return write(state, {
          ...s,
          params: yield* fitToModel(state.model.params, s.params),
          buffers: updateBuffers ? yield* fitToModel(state.model.buffers, s.buffers) : {},
        })
      })

    return Hook.make<HookServices>({
      name: 'EMAHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_run: (state) =>
          Effect.gen(function* () {
            if (averaging.type !== 'StochasticWeightAverage' && averaging.momentum > 0.5) {
              yield* Logger.use((l) =>
                l.log(
                  'WARNING',
                  `EMAHook: momentum=${averaging.momentum} is large. MMEngine's momentum is the ` +
                    `weight of the new value (avg = (1 - momentum)·avg + momentum·param), usually a ` +
                    `small number such as 0.0002; the conventional decay d corresponds to momentum = ` +
                    `1 - d.`,
                ),
              )
            }
            // A resumed state already holds the averaged model from its checkpoint.
            if (read(state) !== undefined) return state
            const copied = yield* copyOfModel(state)
            return write(state, {
              _tag: 'EMAHookState',
              steps: 0,
              params: copied.params,
              buffers: copied.buffers,
              swapped: false,
            })
          }),
        after_load_checkpoint: (state) =>
          Effect.gen(function* () {
            const s = yield* need(state, 'after_load_checkpoint')
            if (s.swapped) {
              // Resumed from a checkpoint with its averaged model: undo the checkpoint's exchange.
              const back = swap(state, s)
              const loaded = read(back)!
              const problems = loadProblems(back, loaded)
              if (problems.length === 0) return back
              if (strictLoad)
                return yield* Effect.fail(
                  error(
                    'after_load_checkpoint',
                    `the checkpoint's averaged model does not fit the model (strict_load=True): ${problems.join('; ')}`,
                  ),
                )
              yield* Logger.use((l) =>
                l.log(
                  'WARNING',
                  `EMAHook: the checkpoint's averaged model does not fit the model; mismatched ` +
                    `entries restart from the model's weights: ${problems.join('; ')}`,
                ),
              )
              return yield* fitted(back, loaded)
            }
            // load_from (or a checkpoint saved without EMAHook): the average starts from the loaded weights.
            if (state.counters.iter > 0 || state.counters.epoch > 0) {
              yield* Logger.use((l) =>
                l.log(
                  'WARNING',
                  'There is no `ema_state_dict` in checkpoint. `EMAHook` will make a copy of ' +
                    '`state_dict` as the initial `ema_state_dict`.',
                ),
              )
            }
            const copied = yield* copyOfModel(state)
            return write(state, { ...s, params: copied.params, buffers: copied.buffers })
          }),
        before_train: (state) =>
          Effect.gen(function* () {
            const beginEpoch = a.begin_epoch ?? 0
            const beginIter = a.begin_iter ?? 0
            const { maxEpochs, maxIters } = state.counters
            if (beginEpoch > 0 && beginEpoch > maxEpochs)
              return yield* Effect.fail(
                error(
                  'before_train',
                  `begin_epoch (${beginEpoch}) is larger than max_epochs (${maxEpochs}); the average would never start`,
                ),
              )
            if (beginEpoch === 0 && beginIter > maxIters)
              return yield* Effect.fail(
                error(
                  'before_train',
                  `begin_iter (${beginIter}) is larger than max_iters (${maxIters}); the average would never start`,
                ),
              )
            return state
          }),
        after_train_iter: (state) =>
          Effect.gen(function* () {
            const s = yield* need(state, 'after_train_iter')
            return started(a, state.counters.epoch, state.counters.iter)
              ? yield* update(state, s)
              : yield* follow(state, s)
          }),
        before_val_epoch: (state) => toAverage(state, 'before_val_epoch'),
        after_val_epoch: (state) => toRaw(state, 'after_val_epoch'),
        before_test_epoch: (state) => toAverage(state, 'before_test_epoch'),
        after_test_epoch: (state) => toRaw(state, 'after_test_epoch'),
        before_save_checkpoint: (state) => toAverage(state, 'before_save_checkpoint'),
      },
    })
  },
}
