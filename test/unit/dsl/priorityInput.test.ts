import { Effect, Exit } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Hook from '../../../src/dsl/Hook.js'
import * as Loop from '../../../src/dsl/Loop.js'
import * as P from '../../../src/dsl/Priority.js'
import * as Program from '../../../src/dsl/Program.js'
import { dryRun } from '../../../src/interpreters/dry/dryRun.js'
import { registries } from '../../../examples/customHook.js'

const hook = (priority: unknown) => Hook.make({ name: 'Mine', priority: priority as P.PriorityInput, stages: {} })

describe('priorities as users write them', () => {
  it("decodes MMEngine's names in either case, numbers and decoded priorities alike", () => {
    for (const input of ['LOW', 'low', 70, P.LOW]) expect(hook(input).priority).toEqual({ value: 70, name: 'LOW' })
    expect(hook(45).priority).toEqual({ value: 45, name: undefined })
    expect(Hook.make({ name: 'Default', stages: {} }).priority).toEqual(P.NORMAL)
  })

  it('refuses what is no priority with an error naming the hook, never undefined', () => {
    for (const bad of ['LWO', 101, -1, 4.5, null, { value: 'x', name: undefined }]) {
      expect(() => hook(bad)).toThrow(Hook.HookDefinitionError)
      expect(() => hook(bad)).toThrow(
        /^hook "Mine": priority: expected a priority name \(HIGHEST, .*\) or an integer from 0 to 100, got /,
      )
    }
  })

  it('a bad priority in a program is an issue at its path, not a misplaced hook', async () => {
    const program = (priority: unknown) =>
      pipe(
        Program.empty,
        Program.withModel({ type: 'MLP', in_features: 4, hidden: [], num_classes: 2 }),
        Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 1 }), {
          batch_size: 2,
          dataset: { type: 'MNIST', split: 'test', indices: 4 },
        }),
        Program.withOptimWrapper({ optimizer: { type: 'SGD', lr: 0.1 } }),
        Program.withCustomHook({ type: 'LossReportHook', args: {}, priority: priority as P.PriorityInput }),
      )
    const ok = await Effect.runPromise(dryRun(program('VERY_LOW'), { registries, datasetSizes: { train: 4 } }))
    expect(ok.stages['after_train_epoch']?.at(-1)).toBe('LossReportHook')
    const exit = await Effect.runPromiseExit(dryRun(program('LWO'), { registries, datasetSizes: { train: 4 } }))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain('custom_hooks[0].priority')
    expect(JSON.stringify(exit)).toContain('got \\"LWO\\"')
  })
})
