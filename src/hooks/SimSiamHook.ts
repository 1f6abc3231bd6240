/**
 * MMSelfSup's `SimSiamHook(fix_pred_lr, lr, adjust_by_epoch=True)` (class
 * priority NORMAL; MMSelfSup's configs register it at HIGH): when
 * `fix_pred_lr`, every param group carrying `fix_lr=True` (the predictor, tagged
 * through `paramwise_cfg.custom_keys={'predictor': dict(fix_lr=True)}`) gets
 * `lr = self.lr` at every `before_train_epoch`, and also at every
 * `before_train_iter` when `adjust_by_epoch` is False (MMSelfSup 1.x's
 * `before_train_epoch` does not look at `adjust_by_epoch`). There is no
 * threshold, and since `ParamSchedulerHook` steps only in `after_*` stages the
 * pin always wins for the iterations that follow.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import type { HookServices } from '../dsl/Services.js'
import type { State } from '../dsl/State.js'
import { boolean, nonNegativeNumber, struct } from '../schema/codec.js'
import * as Optim from '../optim/OptimStateValues.js'
import type { HookType } from './HookType.js'

export interface SimSiamHookArgs {
  readonly fix_pred_lr: boolean
  readonly lr: number
  readonly adjust_by_epoch?: boolean
}

const args = struct(
  'SimSiamHook arguments (fix_pred_lr, lr, adjust_by_epoch)',
  { fix_pred_lr: boolean, lr: nonNegativeNumber },
  { adjust_by_epoch: boolean },
)

/** Every group with `fix_lr=True`, in every optimizer wrapper, with `lr` set to `lr`. */
export const pinFixedLr = (state: State, lr: number): State => {
  const optim = Optim.read(state.optim)
  if (optim === undefined) return state
  let changed = false
  const slots = optim.slots.map((entry) => ({
    ...entry,
    slot: {
      ...entry.slot,
      groups: {
        ...entry.slot.groups,
        real: entry.slot.groups.real.map((g) => {
          if (g.hyper['fix_lr'] !== true || g.hyper['lr'] === lr) return g
          changed = true
          return { ...g, hyper: { ...g.hyper, lr } }
        }),
      },
    },
  }))
  return changed ? { ...state, optim: Optim.write({ ...optim, slots }) } : state
}

const pinning = { reads: ['optim.fix_lr'], writes: ['optim.lr'] }

export const SimSiamHook: HookType<SimSiamHookArgs> = {
  name: 'SimSiamHook',
  defaultPriority: P.NORMAL,
  args,
  // The pin acts at one of the two stages, and only when fix_pred_lr; it picks the groups by their fix_lr flag.
  // The epoch pin happens whatever adjust_by_epoch says (MMSelfSup 1.x); the iteration pin only without it.
  touches: (a) =>
    !a.fix_pred_lr
      ? {}
      : (a.adjust_by_epoch ?? true)
        ? { before_train_epoch: pinning }
        : { before_train_epoch: pinning, before_train_iter: pinning },
  build: (a, site) => {
    const pin = (state: State) => Effect.succeed(a.fix_pred_lr ? pinFixedLr(state, a.lr) : state)
    return Hook.make<HookServices>({
      name: 'SimSiamHook',
      key: site.key,
      priority: site.priority,
      // MMSelfSup's class overrides both methods (so both appear in the hook table); only the iteration one
      // looks at adjust_by_epoch.
      stages: {
        before_train_epoch: pin,
        before_train_iter: (state) => ((a.adjust_by_epoch ?? true) ? Effect.succeed(state) : pin(state)),
      },
    })
  },
}
