/**
 * Every registered hook type keeps its `touches` declaration (the contract of
 * `touchesContract.ts`) on generated states, at every stage it acts at, for
 * each of its example arguments. A hook type registered later (DeepClusterHook
 * and ODCHook as real hooks) is picked up from the registry: it needs example
 * arguments below when `{}` does not decode.
 */
import { Effect } from 'effect'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Hook from '../../src/dsl/Hook.js'
import * as S from '../../src/dsl/State.js'
import * as Stage from '../../src/dsl/Stage.js'
import { fieldProblem } from '../../src/dsl/Touches.js'
import type { Touches } from '../../src/dsl/Touches.js'
import { touchesOf } from '../../src/hooks/HookType.js'
import type { HookType } from '../../src/hooks/HookType.js'
import { defaultHookTypes } from '../../src/hooks/registry.js'
import { Logger } from '../../src/dsl/Services.js'
import type { HookServices } from '../../src/dsl/Services.js'
import * as Optim from '../../src/optim/OptimState.js'
import { struct } from '../../src/schema/codec.js'
import * as Registry from '../../src/schema/registry.js'
import * as P from '../../src/dsl/Priority.js'
import { buildHook, check, findViolation, recipeArb } from './touchesContract.js'

/** Arguments that reach each hook's branches; a type not listed is tried with `{}`. */
const exampleArgs: { readonly [type: string]: ReadonlyArray<unknown> } = {
  CheckpointHook: [
    { interval: 1 },
    { interval: 2, by_epoch: false, max_keep_ckpts: 1 },
    { interval: 1, save_best: 'accuracy/top1', rule: 'greater', max_keep_ckpts: 2 },
    { interval: 1, save_best: 'auto', published_keys: ['meta', 'state_dict'] },
  ],
  LoggerHook: [{ interval: 1 }, { interval: 2, out_dir: 'out', ignore_last: false }],
  EMAHook: [
    { begin_iter: 2 },
    { update_buffers: true, momentum: 0.5 },
    { ema_type: 'StochasticWeightAverage', begin_epoch: 1 },
    { momentum: 0.9 },
  ],
  EmptyCacheHook: [{}, { before_epoch: true, after_epoch: false, after_iter: true }],
  EarlyStoppingHook: [{ monitor: 'accuracy/top1' }, { monitor: 'loss', rule: 'less', patience: 1, strict: true }],
  NaiveVisualizationHook: [{}, { interval: 2, draw_gt: false }],
  VisualizationHook: [{}, { enable: true }],
  SimSiamHook: [
    { fix_pred_lr: true, lr: 0.01 },
    { fix_pred_lr: true, lr: 0.05, adjust_by_epoch: false },
    { fix_pred_lr: false, lr: 0.1 },
  ],
  SwAVHook: [
    { batch_size: 2, queue_length: 8, epoch_queue_starts: 1, frozen_layers_cfg: { prototypes: 6 } },
    { batch_size: 4 },
  ],
  DenseCLHook: [{ start_iters: 3 }, {}],
  DeepClusterHook: [
    {
      extract_dataloader: {},
      clustering: { type: 'Kmeans', k: 4, pca_dim: 2 },
      unif_sampling: true,
      reweight: false,
      reweight_pow: 0.5,
    },
    {
      extract_dataloader: {},
      clustering: { type: 'Kmeans', k: 3, pca_dim: -1 },
      unif_sampling: false,
      reweight: true,
      reweight_pow: 0.5,
      init_memory: true,
    },
  ],
  ODCHook: [
    {
      centroids_update_interval: 10,
      deal_with_small_clusters_interval: 1,
      evaluate_interval: 50,
      reweight: true,
      reweight_pow: 0.5,
    },
  ],
}

const typeOf = (name: string): HookType<unknown> => {
  const resolved = Registry.resolve(defaultHookTypes, name)
  if (resolved._tag === 'Left') throw new Error(resolved.left)
  return resolved.right
}

const argsOf = (name: string): ReadonlyArray<unknown> => exampleArgs[name] ?? [{}]

/** Hold `hookType` (for `args`) to its declaration at every stage its hook acts at. */
const keepsItsDeclaration = async (hookType: HookType<unknown>, args: unknown, numRuns: number) => {
  const hook = buildHook(hookType, args)
  const stages = Hook.stagesOf(hook)
  if (stages.length === 0) return
  const ran = new Set<Stage.Stage>()
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...stages), recipeArb, async (stage, recipe) => {
      const found = await check(hook, stage, recipe)
      if (found.ran) ran.add(stage)
      // Thrown, so that fast-check prints the whole sentence with the counterexample.
      if (found.violation !== undefined) throw new Error(found.violation)
    }),
    { numRuns: numRuns * stages.length, seed: 13 },
  )
  // A stage that failed on every generated state was never held to anything.
  expect(
    stages.filter((s) => !ran.has(s)),
    `${hookType.name} ${JSON.stringify(args)}: stages never run`,
  ).toEqual([])
}

describe('every registered hook type keeps its touches declaration', () => {
  it('registers example arguments (or takes {}) for every hook type', () => {
    for (const name of Registry.names(defaultHookTypes)) {
      const hookType = typeOf(name)
      for (const args of argsOf(name)) {
        const decoded = hookType.args.decode(args)
        expect(decoded._tag, `${name}: give it example arguments in exampleArgs (${JSON.stringify(args)})`).toBe(
          'Right',
        )
      }
    }
  })

  it('names only fields of the vocabulary, at stages its hook acts at', () => {
    for (const name of Registry.names(defaultHookTypes)) {
      const hookType = typeOf(name)
      for (const args of argsOf(name)) {
        const decoded = hookType.args.decode(args)
        if (decoded._tag === 'Left') continue
        const touches: Touches = touchesOf(hookType, decoded.right)
        const acting = new Set(Hook.stagesOf(buildHook(hookType, args)))
        for (const [stage, t] of Object.entries(touches)) {
          expect(Stage.isStage(stage) && acting.has(stage), `${name} declares ${stage}, where it does not act`).toBe(
            true,
          )
          for (const field of [...t!.reads, ...t!.writes])
            expect(fieldProblem(field), `${name} at ${stage}`).toBe(undefined)
        }
      }
    }
  })

  for (const name of Registry.names(defaultHookTypes)) {
    it(`${name}: what it changes, does and looks at is declared`, async () => {
      for (const args of argsOf(name)) await keepsItsDeclaration(typeOf(name), args, 5)
    })
  }
})

/** A synthetic hook type: `stage` does `act`; its type declares `touches`. */
const synthetic = (
  touches: Touches,
  stage: Stage.Stage,
  act: (state: S.State) => Effect.Effect<S.State, never, HookServices>,
): HookType<unknown> => ({
  name: 'SyntheticHook',
  defaultPriority: P.NORMAL,
  args: struct('SyntheticHook arguments', {}) as HookType<unknown>['args'],
  touches,
  build: (_args, site) =>
    Hook.make<HookServices>({
      name: 'SyntheticHook',
      key: site.key,
      priority: site.priority,
      stages: { [stage]: act },
    }),
})

/** The first violation the contract finds in `numRuns` generated states (fast-check's shrinking off). */
const firstViolation = async (hookType: HookType<unknown>, stage: Stage.Stage): Promise<string | undefined> => {
  const hook = buildHook(hookType, {})
  for (const recipe of fc.sample(recipeArb, { numRuns: 60, seed: 5 })) {
    const found = await findViolation(hook, stage, recipe)
    if (found !== undefined) return found
  }
  return undefined
}

const setLossLambda = (state: S.State) =>
  Effect.succeed({ ...state, model: { ...state.model, attributes: { ...state.model.attributes, loss_lambda: 0.25 } } })

const lrToInfo = (state: S.State) => {
  const lr = Optim.read(state.optim)?.slots[0]?.slot.groups.real[0]?.hyper['lr']
  return Effect.succeed(
    S.modifyHub(state, (h) => (lr === undefined ? h : { ...h, info: new Map(h.info).set('seen_lr', lr as number) })),
  )
}

describe('the contract catches a wrong declaration (self-test)', () => {
  it('an undeclared write of a model attribute', async () => {
    const lying = synthetic({ before_train_iter: { reads: [], writes: [] } }, 'before_train_iter', setLossLambda)
    expect(await firstViolation(lying, 'before_train_iter')).toMatch(
      /^SyntheticHook at before_train_iter writes model\.loss_lambda, which it does not declare/,
    )
    const honest = synthetic(
      { before_train_iter: { reads: [], writes: ['model.loss_lambda'] } },
      'before_train_iter',
      setLossLambda,
    )
    expect(await firstViolation(honest, 'before_train_iter')).toBeUndefined()
  })

  it('an undeclared read of the learning rate', async () => {
    const lying = synthetic(
      { after_train_iter: { reads: [], writes: ['messageHub.info.seen_lr'] } },
      'after_train_iter',
      lrToInfo,
    )
    expect(await firstViolation(lying, 'after_train_iter')).toMatch(
      new RegExp(
        '^SyntheticHook at after_train_iter reads optim\\.lr, which it does not declare: ' +
          'changing it changed messageHub\\.info\\.seen_lr',
      ),
    )
    const honest = synthetic(
      { after_train_iter: { reads: ['optim.lr'], writes: ['messageHub.info.seen_lr'] } },
      'after_train_iter',
      lrToInfo,
    )
    expect(await firstViolation(honest, 'after_train_iter')).toBeUndefined()
  })

  it('an undeclared effect, and a read that only shows in an effect', async () => {
    const logsStop = (state: S.State) =>
      Effect.as(
        Logger.use((l) => l.log('INFO', `stop=${state.stopTraining}`)),
        state,
      )
    const silent = synthetic({ after_val_epoch: { reads: ['stop'], writes: [] } }, 'after_val_epoch', logsStop)
    expect(await firstViolation(silent, 'after_val_epoch')).toMatch(/writes log, which it does not declare/)
    const blind = synthetic({ after_val_epoch: { reads: [], writes: ['log'] } }, 'after_val_epoch', logsStop)
    expect(await firstViolation(blind, 'after_val_epoch')).toMatch(
      /reads stop, which it does not declare: changing it changed its effects/,
    )
  })
})
