/**
 * `CollapseDetectionHook(threshold=0.01)` (loopwright's own, priority LOW): watches the collapse statistic a
 * self-supervised algorithm logs with its loss, `feat_std` (the SimSiam paper's per-dimension standard deviation of
 * the L2-normalised projections, averaged; see `../selfsup/featureSpread.ts`), and when it falls below `threshold`
 * logs one warning line with the iteration and the value. It speaks again only after the value has come back above
 * the threshold, so a collapsed run says it once, not every iteration. Healthy `d`-dimensional projections stay
 * near `1/√d` (0.0625 for d = 256); collapsed ones give 0. It reads the message hub's history, which a checkpoint
 * keeps, so a resumed run decides as the uninterrupted one would. Without the statistic (a model that does not log
 * it, or the dry run, which computes nothing) it does nothing.
 *
 * @example
 * ```python
 * default_hooks = dict(collapse=dict(type='CollapseDetectionHook', threshold=0.01))
 * # WARNING - feature collapse at iteration 120: feat_std 0.00003 < 0.01 (the batch's normalised projections ...)
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Log from '../dsl/AppendLog.js'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Logger } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import { positiveNumber, struct } from '../schema/codec.js'
import { FEAT_STD } from '../selfsup/attributes.js'
import type { HookType } from './HookType.js'

export interface CollapseDetectionHookArgs {
  readonly threshold?: number
}

const args = struct('CollapseDetectionHook arguments (threshold)', {}, { threshold: positiveNumber })

/** The message hub key of the statistic (RuntimeInfoHook files each step output under `train/`). */
const KEY = `train/${FEAT_STD}`

/** The line the hook logs: what, where, the value, and what it means. */
export const collapseLine = (iteration: number, value: number, threshold: number): string =>
  `feature collapse at iteration ${iteration}: ${FEAT_STD} ${value.toPrecision(3)} < ${threshold} ` +
  '(the normalised projections of the batch have almost no spread; healthy ones stay near 1/sqrt(dim))'

export const CollapseDetectionHook: HookType<CollapseDetectionHookArgs> = {
  name: 'CollapseDetectionHook',
  defaultPriority: P.LOW,
  args,
  touches: { after_train_iter: { reads: ['messageHub'], writes: [] } },
  build: (a, site) => {
    const threshold = a.threshold ?? 0.01
    return Hook.make<HookServices>({
      name: 'CollapseDetectionHook',
      key: site.key,
      priority: site.priority,
      stages: {
        after_train_iter: (state) =>
          Effect.gen(function* () {
            const history = state.messageHub.scalars.get(KEY)
            if (history === undefined || history.values.length === 0) return state
            const value = Log.at(history.values, -1)!
            const before = history.values.length > 1 ? Log.at(history.values, -2) : undefined
            // Below now, and not already below at the previous iteration: a new collapse.
            if (value < threshold && (before === undefined || before >= threshold)) {
              const logger = yield* Logger
              yield* logger.log('WARNING', collapseLine(state.counters.iter + 1, value, threshold))
            }
            return state
          }),
      },
    })
  },
}
