/**
 * `DistSamplerSeedHook` (NORMAL): tells the training sampler which epoch
 * starts, so that each epoch draws a different, reproducible order
 * (`sampler.set_epoch(runner.epoch)`, spec §3.3). Without it every epoch would
 * see the order of epoch 0, exactly as in MMEngine.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import type { HookServices } from '../dsl/Services.js'
import { struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'

export const DistSamplerSeedHook: HookType<Record<never, never>> = {
  name: 'DistSamplerSeedHook',
  defaultPriority: P.NORMAL,
  args: struct('DistSamplerSeedHook arguments (it takes none)', {}),
  touches: { before_train_epoch: { reads: [], writes: ['data.sampler.epoch'] } },
  build: (_args, site) =>
    Hook.make<HookServices>({
      name: 'DistSamplerSeedHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_train_epoch: (state) =>
          Effect.succeed(
            state.data.samplerEpoch === state.counters.epoch
              ? state
              : { ...state, data: { ...state.data, samplerEpoch: state.counters.epoch } },
          ),
      },
    }),
}
