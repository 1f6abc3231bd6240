/**
 * The tensor interpreter's setup (spec §1.3 steps 1–7): hooks, model, data and loaders, preprocessor,
 * evaluators, seeded parameters, the optimizer wrapper with its groups and schedulers, and the run's facts.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Dataset } from '../../data/Dataset.js'
import * as Preprocess from '../../data/preprocess.js'
import type { Hook } from '../../dsl/Hook.js'
import * as Loop from '../../dsl/Loop.js'
import type { Json } from '../../dsl/MessageHub.js'
import * as path from '../../dsl/path.js'
import type { Program } from '../../dsl/Program.js'
import * as Rng from '../../dsl/Rng.js'
import type { HookServices, RunFacts } from '../../dsl/Services.js'
import type { State, TensorTree } from '../../dsl/State.js'
import type { Sizes } from '../../dsl/timeline.js'
import { buildEvaluator } from '../../evaluation/registry.js'
import type { Evaluator } from '../../evaluation/registry.js'
import * as Models from '../../models/registry.js'
import { allModelTypes } from '../../selfsup/algorithms/registry.js'
import type { Model } from '../../models/Model.js'
import * as Optim from '../../optim/OptimState.js'
import * as OW from '../../optim/OptimWrapper.js'
import type { Issue } from '../../schema/codec.js'
import * as Tree from '../../tensor/tree.js'
import * as Effect from 'effect/Effect'
import { buildHooks } from '../buildHooks.js'
import { initialState } from '../interpret.js'
import { defaultRegistries } from '../registries.js'
import { oneProcess } from '../collective/oneProcess.js'
import { sharedSeed } from '../collective/rankRoles.js'
import { gatherWith, loadDataset, makeLoader } from './data.js'
import type { Loader } from './Loader.js'
import { applyPretrained } from './pretrained.js'
import type { TensorStore } from './TensorStore.js'
import { TrainError, fail, orFail } from './TrainError.js'
import type { TrainOptions } from './train.js'

// Labels of the random streams derived from the run's seed.
const INIT_STREAM = 0x696e6974

const pad = (n: number) => String(n).padStart(2, '0')
/** MMEngine's run timestamp, `YYYYMMDD_HHMMSS`, local time. */
export const timestampOf = (d: Date): string =>
  `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}_` +
  `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`

/**
 * Does the dataset feed this model: class labels for a classifier, values for a regressor, samples of the input size it
 * reads?
 */
const fitsModel = (model: Model, dataset: Dataset, path: string): E.Either<ReadonlyArray<Issue>, void> => {
  const targets = dataset.targets.kind === 'class' ? 'class labels' : 'regression values'
  if (model.task === 'classification' && dataset.targets.kind !== 'class')
    return E.left([
      {
        path,
        message:
          `${dataset.name} has ${targets}, but the ${model.type} model is a classifier (it ` +
          `needs integer class labels)`,
      },
    ])
  if (model.task === 'regression' && dataset.targets.kind !== 'values')
    return E.left([
      {
        path,
        message:
          `${dataset.name} has ${targets}, but the ${model.type} model predicts values (it ` +
          `needs regression targets)`,
      },
    ])
  const size = (shape: ReadonlyArray<number>) => shape.reduce((a, b) => a * b, 1)
  if (model.inputShape !== undefined && size(model.inputShape) !== size(dataset.sampleShape)) {
    return E.left([
      {
        path,
        message:
          `${dataset.name} has samples of shape [${dataset.sampleShape.join(', ')}], but ` +
          `the ${model.type} model reads [${model.inputShape.join(', ')}]`,
      },
    ])
  }
  return E.right(undefined)
}

/** Everything the run is built from, before any checkpoint is read. */
export interface Setup {
  readonly hooks: ReadonlyArray<Hook<HookServices>>
  readonly model: Model
  readonly seed: number
  readonly loaders: { readonly train?: Loader; readonly val?: Loader; readonly test?: Loader }
  readonly sizes: Sizes
  readonly gather: ReturnType<typeof gatherWith>
  readonly evaluators: { readonly val?: Evaluator; readonly test?: Evaluator }
  readonly wrapper: OW.OptimWrapper | undefined
  /** The initial state: seeded (or given) parameters, fresh optimizer state. */
  readonly state: State
  readonly facts: RunFacts
}

/** Build every part of the run the program describes, in MMEngine's order; the store owns the tensors. */
export const setup = (program: Program, options: TrainOptions, store: TensorStore): Effect.Effect<Setup, TrainError> =>
  Effect.gen(function* () {
    const registries = options.registries ?? defaultRegistries
    const hooks = yield* orFail(buildHooks(program, registries.hooks))
    const model: Model = yield* orFail(
      program.model === undefined
        ? E.left([{ path: 'model', message: 'training needs a model' }])
        : Models.build(program.model, options.modelTypes ?? allModelTypes),
    )
    const communicator = options.communicator ?? oneProcess
    const seed = sharedSeed(communicator, program.randomness.seed ?? (Math.random() * 2 ** 31) >>> 0)
    const trainLoop = program.trainLoop
    const iterBased = trainLoop?.type === 'IterBasedTrainLoop'

    // Data: datasets, then loaders (their lengths give the timeline's sizes).
    const loaders: { train?: Loader; val?: Loader; test?: Loader } = {}
    const wanted = [
      ['train', program.trainDataloader, trainLoop !== undefined],
      ['val', program.valDataloader, program.valLoop !== undefined],
      ['test', program.testDataloader, program.testLoop !== undefined],
    ] as const
    for (const [mode, cfg, used] of wanted) {
      if (!used) continue
      if (cfg === undefined)
        return yield* fail([{ path: `${mode}_dataloader`, message: `the ${mode} loop needs a ${mode}_dataloader` }])
      const dataset =
        options.datasets?.[mode] ??
        (yield* Effect.mapError(
          loadDataset(cfg['dataset'], `${mode}_dataloader.dataset`),
          (issues) => new TrainError({ issues }),
        ))
      yield* orFail(fitsModel(model, dataset, `${mode}_dataloader.dataset`))
      // Every loader is sharded, as MMEngine's DefaultSampler: validation and test gather their results before the
      // metrics (`collectResults.ts`), so every rank sees one process's metrics.
      const shard = { rank: communicator.rank, worldSize: communicator.worldSize }
      const loaderOptions = { seed, infinite: mode === 'train' && iterBased, shard }
      loaders[mode] = yield* orFail(makeLoader(dataset, cfg, `${mode}_dataloader`, loaderOptions))
    }
    const sizes: Sizes = {
      ...(loaders.train === undefined ? {} : { train: loaders.train.batches }),
      ...(loaders.val === undefined ? {} : { val: loaders.val.batches }),
      ...(loaders.test === undefined ? {} : { test: loaders.test.batches }),
    }
    const [preprocessCfg, preprocessPath] = Preprocess.select(program.model, program.settings['data_preprocessor'])
    const preprocessor =
      preprocessCfg === undefined || preprocessCfg === null
        ? Preprocess.identity
        : yield* orFail(Preprocess.decode(preprocessCfg, preprocessPath, model.inputShape))
    const evaluators: { val?: Evaluator; test?: Evaluator } = {}
    if (program.valLoop !== undefined)
      evaluators.val = yield* orFail(buildEvaluator(program.valEvaluator ?? null, 'val_evaluator'))
    if (program.testLoop !== undefined)
      evaluators.test = yield* orFail(buildEvaluator(program.testEvaluator ?? null, 'test_evaluator'))

    // Model parameters: seeded PyTorch-style initialisation, or the given values.
    const initialised = model.init(Rng.split(Rng.make(seed), INIT_STREAM))
    let params: Tree.Tree = initialised.params
    if (options.initialParams !== undefined) {
      Object.values(params).forEach((t) => {
        t.dispose()
      })
      params = Tree.fromArrays(options.initialParams)
    }
    let state = initialState(program, sizes, seed)
    state = {
      ...state,
      model: {
        ...state.model,
        params: store.externalize(params) as TensorTree,
        buffers: store.externalize(initialised.buffers) as TensorTree,
        attributes: { ...model.attributes, ...state.model.attributes },
      },
    }
    state = yield* Effect.mapError(applyPretrained(state, program.model, store), (issues) => new TrainError({ issues }))

    // Optimizer wrapper, param groups and schedulers (groups before schedulers: they record initial_lr).
    let wrapper: OW.OptimWrapper | undefined
    if (trainLoop !== undefined) {
      if (program.optimWrapper === undefined)
        return yield* fail([{ path: 'optim_wrapper', message: 'training needs an optim_wrapper' }])
      if (!Array.isArray(program.paramSchedulers))
        return yield* fail([
          {
            path: 'param_scheduler',
            message: 'schedulers per wrapper (an OptimWrapperDict) are not supported by the tensor interpreter yet',
          },
        ])
      const batches = sizes.train ?? 0
      const length = {
        epochLength: batches,
        maxEpochs: Loop.maxEpochs(trainLoop),
        maxIters: Loop.maxIters(trainLoop, batches),
      }
      const built = yield* orFail(
        Optim.build(program.optimWrapper, program.paramSchedulers as ReadonlyArray<Json>, model.info, length),
      )
      const reduce = communicator.allReduceMeanVia
      wrapper = communicator.worldSize === 1 ? built.wrapper : OW.withGradientReduction(built.wrapper, reduce)
      state = {
        ...state,
        optim: Optim.write(Optim.withTensors(built.state, store.externalize(OW.init(wrapper, params)))),
      }
    }

    // Facts about the run and where it writes.
    const name = options.configName ?? 'config'
    const workDir = options.workDir ?? program.workDir ?? path.join('work_dirs', name)
    const timestamp = options.timestamp ?? timestampOf(new Date())
    const logDir = path.join(workDir, timestamp)
    const facts: RunFacts = {
      workDir,
      logDir,
      timestamp,
      experimentName: `${(program.settings['experiment_name'] as string | undefined) ?? name}_${timestamp}`,
      configText: options.configText ?? '',
      sizes,
      datasetMeta: loaders.train?.dataset.metainfo,
    }
    return { hooks, model, seed, loaders, sizes, gather: gatherWith(preprocessor), evaluators, wrapper, state, facts }
  })
