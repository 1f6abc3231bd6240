/**
 * MMSelfSup's `SwAVHook(batch_size, epoch_queue_starts=15,
 * crops_for_assign=[0, 1], feat_dim=128, queue_length=0, interval=1,
 * frozen_layers_cfg={})` (class priority NORMAL; MMSelfSup's configs register
 * it at VERY_HIGH).
 *
 * - `before_run`: the queue length is rounded down to a multiple of the global
 *   batch (`batch_size × world size`).
 * - `before_train_epoch`: from epoch `epoch_queue_starts` on, when there is no
 *   queue yet, it asks for one: the model attribute `head.loss.queue_length`
 *   (`queue_length / world size`), on which `SwAVLoss` creates its zero queue
 *   `[len(crops_for_assign), L, feat_dim]` at the next forward.
 *   (`use_queue` is not stored: the loss derives it from the queue's last row,
 *   which is what MMSelfSup's flag amounts to.)
 * - `before_train_iter`: for each `(name, n)` of `frozen_layers_cfg`, parameters
 *   whose name contains `name` are frozen while `iter < n`, through the model
 *   attribute `frozen_layers` (SwAV detaches them: their gradient is zero).
 *   Where MMSelfSup 1.x turns `requires_grad` off, the optimizer skips them
 *   entirely; here a zero gradient still meets weight decay and momentum.
 * - Saving: MMSelfSup writes `queue{rank}.pth` every `interval` epochs and loads it
 *   at `before_run`; in loopwright the queue is a model buffer, saved in every
 *   checkpoint and restored on resume, so `interval` only documents the config.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Collective } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import * as S from '../dsl/State.js'
import type { State } from '../dsl/State.js'
import { array, nonNegativeInt, positiveInt, record, struct } from '../schema/codec.js'
import { FROZEN_LAYERS, queueLengthAttribute } from '../selfsup/attributes.js'
import type { HookType } from './HookType.js'

export interface SwAVHookArgs {
  readonly batch_size: number
  readonly epoch_queue_starts?: number
  readonly crops_for_assign?: ReadonlyArray<number>
  readonly feat_dim?: number
  readonly queue_length?: number
  readonly interval?: number
  readonly frozen_layers_cfg?: { readonly [name: string]: number }
}

/** The hook's own state: the queue length after rounding (global). */
export interface SwAVHookState {
  readonly _tag: 'SwAVHookState'
  readonly queueLength: number
}

/** The model attribute `SwAVLoss` (at `head.loss`, where MMSelfSup's SwAV puts it) reads to create its queue. */
export const QUEUE_LENGTH_ATTRIBUTE = queueLengthAttribute('head.loss')

const args = struct(
  'SwAVHook arguments (batch_size, epoch_queue_starts, crops_for_assign, feat_dim, ' +
    'queue_length, interval, frozen_layers_cfg)',
  { batch_size: positiveInt },
  {
    epoch_queue_starts: nonNegativeInt,
    crops_for_assign: array(nonNegativeInt),
    feat_dim: positiveInt,
    queue_length: nonNegativeInt,
    interval: positiveInt,
    frozen_layers_cfg: record(nonNegativeInt),
  },
)

const withAttribute = (state: State, name: string, value: S.ModelState['attributes'][string] | undefined): State => {
  if (state.model.attributes[name] === value) return state
  const { [name]: _old, ...rest } = state.model.attributes
  return { ...state, model: { ...state.model, attributes: value === undefined ? rest : { ...rest, [name]: value } } }
}

const queueLength = `model.${QUEUE_LENGTH_ATTRIBUTE}`

export const SwAVHook: HookType<SwAVHookArgs> = {
  name: 'SwAVHook',
  defaultPriority: P.NORMAL,
  args,
  // The queue itself is a model buffer that SwAVLoss creates and fills; the hook sets its length, once.
  touches: (a) => ({
    before_run: { reads: [], writes: ['own'] },
    before_train_epoch: { reads: [queueLength], writes: [queueLength] },
    ...(Object.keys(a.frozen_layers_cfg ?? {}).length === 0
      ? {}
      : { before_train_iter: { reads: [`model.${FROZEN_LAYERS}`], writes: [`model.${FROZEN_LAYERS}`] } }),
  }),
  build: (a, site) => {
    const starts = a.epoch_queue_starts ?? 15
    const frozen = Object.entries(a.frozen_layers_cfg ?? {})
    return Hook.make<HookServices>({
      name: 'SwAVHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_run: (state) =>
          Collective.use((c) => {
            const global = a.batch_size * c.worldSize
            const length = a.queue_length ?? 0
            return Effect.succeed(
              S.setHookState(state, site.key, {
                _tag: 'SwAVHookState',
                queueLength: length - (length % global),
              } satisfies SwAVHookState),
            )
          }),
        before_train_epoch: (state) =>
          Collective.use((c) => {
            const { queueLength } = S.hookState<SwAVHookState>(state, site.key, {
              _tag: 'SwAVHookState',
              queueLength: 0,
            })
            const has = typeof state.model.attributes[QUEUE_LENGTH_ATTRIBUTE] === 'number'
            return Effect.succeed(
              queueLength > 0 && state.counters.epoch >= starts && !has
                ? withAttribute(state, QUEUE_LENGTH_ATTRIBUTE, queueLength / c.worldSize)
                : state,
            )
          }),
        // MMSelfSup's class overrides these four methods; the queue file of after_train_epoch is the checkpoint here.
        before_train_iter: (state: State) => {
          if (frozen.length === 0) return Effect.succeed(state)
          const names = frozen.filter(([, until]) => state.counters.iter < until).map(([name]) => name)
          const current = state.model.attributes[FROZEN_LAYERS]
          if (JSON.stringify(current ?? []) === JSON.stringify(names)) return Effect.succeed(state)
          return Effect.succeed(withAttribute(state, FROZEN_LAYERS, names.length === 0 ? undefined : names))
        },
        after_train_epoch: (state: State) => Effect.succeed(state),
      },
    })
  },
}
