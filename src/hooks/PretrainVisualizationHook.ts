/**
 * MMPretrain's `VisualizationHook` (the `default_hooks.visualization` entry of
 * its `default_runtime.py`): draws predictions of some val/test samples when
 * `enable=True`. It is off by default, and loopwright does not draw
 * predictions, so an enabled hook says so once in the log and does nothing.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import type { Middleware } from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Logger } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import { boolean, json, nonNegativeNumber, nullable, positiveInt, string, struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'

/** `VisualizationHook`'s arguments (MMPretrain 1.x). */
export interface VisualizationHookArgs {
  readonly enable?: boolean
  readonly interval?: number
  readonly show?: boolean
  readonly wait_time?: number
  readonly out_dir?: string | null
  readonly [drawOption: string]: unknown
}

const args = struct(
  'VisualizationHook arguments',
  {},
  {
    enable: boolean,
    interval: positiveInt,
    show: boolean,
    wait_time: nonNegativeNumber,
    out_dir: nullable(string),
    draw_gt: boolean,
    draw_pred: boolean,
    draw_score: boolean,
    resize: json,
    rescale_factor: json,
    text_cfg: json,
  },
)

/** The `VisualizationHook` hook type (NORMAL), acting after every val and test iteration as MMPretrain's does. */
export const VisualizationHook: HookType<VisualizationHookArgs> = {
  name: 'VisualizationHook',
  defaultPriority: P.NORMAL,
  args: args as unknown as HookType<VisualizationHookArgs>['args'],
  touches: (a) => (a.enable === true ? { before_run: { reads: [], writes: ['log'] } } : {}),
  build: (a, site) => {
    const unchanged: Middleware<HookServices> = (state) => Effect.succeed(state)
    const stages: { -readonly [K in 'before_run' | 'after_val_iter' | 'after_test_iter']?: Middleware<HookServices> } =
      {
        after_val_iter: unchanged,
        after_test_iter: unchanged,
      }
    if (a.enable === true) {
      stages.before_run = (state) =>
        Logger.use((l) =>
          l.log(
            'WARNING',
            'VisualizationHook: enable=True, but loopwright does not draw predictions; the hook does nothing',
          ),
        ).pipe(Effect.as(state))
    }
    return Hook.make<HookServices>({ name: 'VisualizationHook', key: site.key, priority: site.priority, stages })
  },
}
