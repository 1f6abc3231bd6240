/**
 * The `ParamSchedulers` service both interpreters provide: schedulers are
 * plain numbers held in `State.optim`, so stepping them is the same pure
 * function in the dry run and in the tensor run.
 * @module
 */
import * as Effect from 'effect/Effect'
import { HookError } from '../dsl/Hook.js'
import { ParamSchedulers } from '../dsl/Services.js'
import * as Optim from '../optim/OptimStateValues.js'

export const paramSchedulers: ParamSchedulers['Service'] = ParamSchedulers.of({
  step: (state, trigger) => {
    const optim = Optim.read(state.optim)
    if (optim === undefined) return Effect.succeed(state)
    const stepped = Optim.stepSchedulers(optim, trigger)
    if (stepped._tag === 'Left') {
      const where =
        `param_scheduler` +
        `${stepped.left.wrapper === undefined ? '' : `.${stepped.left.wrapper}`}[` +
        `${stepped.left.index}]`
      return Effect.fail(
        new HookError({
          hook: 'ParamSchedulerHook',
          stage:
            trigger._tag === 'AfterTrainIter'
              ? 'after_train_iter'
              : trigger._tag === 'AfterTrainEpoch'
                ? 'after_train_epoch'
                : 'after_val_epoch',
          message: `${where}: ${stepped.left.message}`,
        }),
      )
    }
    return Effect.succeed({ ...state, optim: Optim.write(stepped.right) })
  },
  learningRates: (state) => {
    const optim = Optim.read(state.optim)
    return optim === undefined ? {} : Optim.learningRates(optim)
  },
})
