/**
 * The tensor interpreter: `train(program)` builds the model, data, optimizer
 * wrapper, schedulers, evaluators and hooks the program describes, in
 * MMEngine's order (spec §1.3), and walks the same timeline as the dry run
 * with services that compute.
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * const result = await Effect.runPromise(train(program, { workDir: 'work_dirs/mnist' }))
 * result.evaluations.at(-1)?.metrics // { 'accuracy/top1': 97.8 }
 * ```
 * @module
 */
import * as fs from 'node:fs'
import { Data, Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import type { Dataset } from '../data/Dataset.js'
import * as Loop from '../dsl/Loop.js'
import type { Json } from '../dsl/MessageHub.js'
import * as path from '../dsl/path.js'
import type { Program } from '../dsl/Program.js'
import * as Rng from '../dsl/Rng.js'
import type { LogLevel, RunFacts, SaveRequest } from '../dsl/Services.js'
import { Checkpoints, FileError, Files, Logger, Steps } from '../dsl/Services.js'
import type { Collective } from '../dsl/Services.js'
import type { State, TensorTree } from '../dsl/State.js'
import type { Sizes } from '../dsl/timeline.js'
import type { Issue } from '../config/codec.js'
import { formatIssue } from '../config/codec.js'
import { defaultRegistries } from '../config/Config.js'
import type { Registries } from '../config/Config.js'
import { buildEvaluator } from '../evaluation/registry.js'
import type { Evaluator } from '../evaluation/registry.js'
import * as Models from '../models/registry.js'
import { allModelTypes } from '../selfsup/algorithms/registry.js'
import type { Model } from '../models/Model.js'
import * as Optim from '../optim/OptimState.js'
import * as OW from '../optim/OptimWrapper.js'
import * as Tree from '../optim/tree.js'
import { TensorStore } from '../tensor/TensorStore.js'
import * as Safetensors from '../tensor/safetensors.js'
import { DEFAULT_REVISE_KEYS, loadWeights as loadWeightsByName } from '../tensor/loadWeights.js'
import { version } from '../version.js'
import { buildHooks } from './buildHooks.js'
import { initialState, interpret } from './interpret.js'
import type { TraceEntry } from './Trace.js'
import * as Checkpoint from './tensor/checkpoint.js'
import { writeAtomically } from './tensor/atomic.js'
import type { Writer } from './tensor/atomic.js'
import { fileOp, layer, writeLog } from './tensor/layers.js'
import type { LogSink } from './tensor/layers.js'
import type { Loader } from './tensor/Loader.js'
import { gatherWith, loadDataset, makeLoader } from './tensor/data.js'
import * as Preprocess from '../data/preprocess.js'
import { tensorSteps } from './tensor/Steps.js'
import { tensorOps } from './tensor/tensorOps.js'

/** Training could not start (bad config, missing data or checkpoint) or stopped on an error; `issues` say what and where. */
export class TrainError extends Data.TaggedError('TrainError')<{
  readonly issues: ReadonlyArray<Issue>
  /** `'setup'`: the run could not start (bad config, data or checkpoint: bad input); `'run'`: a step, hook or file operation failed while it ran. */
  readonly during?: 'setup' | 'run'
}> {
  override get message(): string {
    return this.issues.map(formatIssue).join('\n')
  }
}

export interface TrainOptions {
  readonly registries?: Registries
  readonly modelTypes?: typeof Models.defaultModelTypes
  /** The config's file stem: default work dir `work_dirs/<name>` and experiment name. */
  readonly configName?: string
  readonly configText?: string
  /** Overrides the config's `work_dir`. */
  readonly workDir?: string
  /** Resume from this checkpoint, or `'auto'`: the one `work_dir/last_checkpoint` names (MMEngine's `resume=True`). */
  readonly resume?: string | 'auto'
  /** Datasets to use instead of building the configured ones (tests and conformance replays). */
  readonly datasets?: { readonly train?: Dataset; readonly val?: Dataset; readonly test?: Dataset }
  /** Initial parameters by name (replaces the seeded initialisation; conformance replays). */
  readonly initialParams?: { readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: ReadonlyArray<number> } }
  /** Where log lines go. Default: standard output. */
  readonly print?: (level: LogLevel, message: string) => void
  /** Run the test loop after training. Default true when a test loop is configured. */
  readonly testAfterTrain?: boolean
  /** `YYYYMMDD_HHMMSS` of this run (its log folder). Default: now. */
  readonly timestamp?: string
  /** Every trace entry (hook calls, steps). */
  readonly trace?: (entry: TraceEntry) => void
  /** Called after every train step with the new state and a reader for its tensors (conformance replays record parameters). */
  readonly afterTrainStep?: (state: State, read: (tree: TensorTree) => { readonly [name: string]: Float32Array | Int32Array | Uint8Array }) => void
  /** Polled before every training iteration: a signal name stops the run there with a resumable checkpoint. */
  readonly interrupt?: () => 'SIGINT' | 'SIGTERM' | undefined
  /** Data-parallel communication for hooks (default: one process). */
  readonly collective?: Collective['Service']
  /** How checkpoint bytes reach the disk (tests inject faults). */
  readonly writer?: Writer
  /** Write checkpoints (default true). */
  readonly writeCheckpoints?: boolean
}

export interface Evaluation {
  readonly mode: 'val' | 'test'
  readonly epoch: number
  readonly iter: number
  readonly metrics: { readonly [name: string]: Json }
}

export interface TrainResult {
  readonly workDir: string
  readonly logDir: string
  readonly iterations: number
  readonly epochs: number
  readonly seconds: number
  readonly evaluations: ReadonlyArray<Evaluation>
  readonly checkpoints: ReadonlyArray<string>
  /** The final parameters, by name. */
  readonly params: { readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: Float32Array } }
  /** The final state, with tensor refs that are no longer live. */
  readonly state: State
  /** The last learning rates (`lr`, `base_lr`, …). */
  readonly lr: { readonly [name: string]: number }
  /** Set when a signal stopped the run early (a resumable checkpoint was saved). */
  readonly interrupted: 'SIGINT' | 'SIGTERM' | undefined
}

/** Everything in a state that can reference tensors. */
const liveRoots = (state: State): ReadonlyArray<unknown> => [state.model, state.optim, state.hooks, state.lastBatch]

const fail = (issues: ReadonlyArray<Issue>) => Effect.fail(new TrainError({ issues }))
const orFail = <A>(either: E.Either<ReadonlyArray<Issue>, A>): Effect.Effect<A, TrainError> => (either._tag === 'Left' ? fail(either.left) : Effect.succeed(either.right))

const pad = (n: number) => String(n).padStart(2, '0')
/** MMEngine's run timestamp, `YYYYMMDD_HHMMSS`, local time. */
export const timestampOf = (d: Date): string => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`

// Labels of the random streams derived from the run's seed.
const INIT_STREAM = 0x696e6974

const printToStdout = (level: LogLevel, message: string): void => {
  const line = `${new Date().toISOString().replace('T', ' ').slice(0, 19)} - loopwright - ${level} - ${message}\n`
  if (level === 'ERROR' || level === 'WARNING') process.stderr.write(line)
  else process.stdout.write(line)
}

/** The checkpoint file `resume` points at: a path, or `work_dir/last_checkpoint`'s content. */
const resumePath = (resume: string, workDir: string): Effect.Effect<string | undefined, TrainError> =>
  Effect.gen(function* () {
    if (resume !== 'auto') return resume
    const pointer = path.join(workDir, 'last_checkpoint')
    if (!fs.existsSync(pointer)) return undefined
    const text = yield* Effect.mapError(fileOp(pointer, () => fs.readFileSync(pointer, 'utf8').trim()), (e) => new TrainError({ issues: [{ path: 'resume', message: `${e.path}: ${e.message}` }] }))
    return text === '' ? undefined : text
  })

const readCheckpoint = (file: string, store: TensorStore, key: 'resume' | 'load_from'): Effect.Effect<Checkpoint.Loaded, TrainError> =>
  Effect.gen(function* () {
    const bytes = yield* Effect.mapError(fileOp(file, () => fs.readFileSync(file)), (e) => new TrainError({ issues: [{ path: key, message: `cannot read checkpoint ${e.path}: ${e.message}` }] }))
    const loaded = Checkpoint.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file, store)
    if (loaded._tag === 'Left') return yield* fail([{ path: key, message: `${loaded.left.path}: ${loaded.left.message}` }])
    return loaded.right
  })

/** Parameters from a checkpoint in place of the current ones; every name and shape must agree. */
const loadWeights = (state: State, loaded: State, file: string): E.Either<ReadonlyArray<Issue>, State> => {
  const problems: Issue[] = []
  for (const [name, ref] of Object.entries(state.model.params)) {
    const other = loaded.model.params[name]
    if (other === undefined) problems.push({ path: 'load_from', message: `${file}: missing parameter ${name}` })
    else if (JSON.stringify(other.shape) !== JSON.stringify(ref.shape)) problems.push({ path: 'load_from', message: `${file}: ${name} has shape [${other.shape.join(', ')}], the model expects [${ref.shape.join(', ')}]` })
  }
  for (const name of Object.keys(loaded.model.params)) if (!(name in state.model.params)) problems.push({ path: 'load_from', message: `${file}: unexpected parameter ${name}` })
  if (problems.length > 0) return E.left(problems)
  return E.right({ ...state, model: { ...state.model, params: loaded.model.params, buffers: { ...state.model.buffers, ...loaded.model.buffers } } })
}

/** Does the dataset feed this model: class labels for a classifier, values for a regressor, samples of the input size it reads? */
const fitsModel = (model: Model, dataset: Dataset, path: string): E.Either<ReadonlyArray<Issue>, void> => {
  const targets = dataset.targets.kind === 'class' ? 'class labels' : 'regression values'
  if (model.task === 'classification' && dataset.targets.kind !== 'class') return E.left([{ path, message: `${dataset.name} has ${targets}, but the ${model.type} model is a classifier (it needs integer class labels)` }])
  if (model.task === 'regression' && dataset.targets.kind !== 'values') return E.left([{ path, message: `${dataset.name} has ${targets}, but the ${model.type} model predicts values (it needs regression targets)` }])
  const size = (shape: ReadonlyArray<number>) => shape.reduce((a, b) => a * b, 1)
  if (model.inputShape !== undefined && size(model.inputShape) !== size(dataset.sampleShape)) {
    return E.left([{ path, message: `${dataset.name} has samples of shape [${dataset.sampleShape.join(', ')}], but the ${model.type} model reads [${model.inputShape.join(', ')}]` }])
  }
  return E.right(undefined)
}

/**
 * `load_from`: the weights of a loopwright checkpoint, or of any safetensors
 * file holding tensors under the model's dotted names (a published weights
 * file, or weights converted from PyTorch; a `module.` prefix is stripped).
 */
const loadFrom = (state: State, file: string, store: TensorStore): Effect.Effect<State, TrainError> =>
  Effect.gen(function* () {
    const bytes = yield* Effect.mapError(fileOp(file, () => new Uint8Array(fs.readFileSync(file))), (e) => new TrainError({ issues: [{ path: 'load_from', message: `cannot read ${e.path}: ${e.message}` }] }))
    const decoded = Safetensors.decode(bytes)
    if (decoded._tag === 'Left') return yield* fail([{ path: 'load_from', message: `${file}: not a readable safetensors file: ${decoded.left.message}` }])
    if (decoded.right.metadata['format'] === Checkpoint.FORMAT) {
      const loaded = Checkpoint.fromFile(decoded.right, file, store)
      if (loaded._tag === 'Left') return yield* fail([{ path: 'load_from', message: `${loaded.left.path}: ${loaded.left.message}` }])
      return yield* orFail(loadWeights(state, loaded.right.state, file))
    }
    const expected = Object.fromEntries([...Object.entries(state.model.params), ...Object.entries(state.model.buffers)].map(([n, r]) => [n, r.shape]))
    const weights = loadWeightsByName(expected, decoded.right, { reviseKeys: DEFAULT_REVISE_KEYS, strict: false })
    if (weights._tag === 'Left') return yield* fail(weights.left.map((p) => ({ path: 'load_from', message: `${file}: ${p.message}` })))
    const missingParams = weights.right.missing.filter((n) => n in state.model.params)
    if (missingParams.length > 0) return yield* fail([{ path: 'load_from', message: `${file}: missing parameter${missingParams.length > 1 ? 's' : ''} ${missingParams.join(', ')}` }])
    const refs = store.externalize(weights.right.tree) as TensorTree
    const pick = (names: TensorTree): TensorTree => Object.fromEntries(Object.keys(names).map((n) => [n, refs[n] ?? names[n]!]))
    return { ...state, model: { ...state.model, params: pick(state.model.params), buffers: pick(state.model.buffers) } }
  })

/**
 * Train `program`: the whole run, from building its parts to `after_run`.
 * Errors are values: a bad config, unreadable data or checkpoint, or a step
 * that fails arrive as a `TrainError` naming what and where.
 */
export const train = (program: Program, options: TrainOptions = {}): Effect.Effect<TrainResult, TrainError> =>
  Effect.suspend(() => {
    // The run owns every tensor it makes: whatever happens, they are freed when it ends.
    const store = new TensorStore()
    return trainWith(program, options, store).pipe(Effect.ensuring(Effect.sync(() => store.clear())))
  })

const trainWith = (program: Program, options: TrainOptions, store: TensorStore): Effect.Effect<TrainResult, TrainError> =>
  Effect.gen(function* () {
    const started = performance.now()
    const registries = options.registries ?? defaultRegistries
    const hooks = yield* orFail(buildHooks(program, registries.hooks))
    const model: Model = yield* orFail(program.model === undefined ? E.left([{ path: 'model', message: 'training needs a model' }]) : Models.build(program.model, options.modelTypes ?? allModelTypes))
    const seed = program.randomness.seed ?? (Math.random() * 2 ** 31) >>> 0
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
      if (cfg === undefined) return yield* fail([{ path: `${mode}_dataloader`, message: `the ${mode} loop needs a ${mode}_dataloader` }])
      const dataset = options.datasets?.[mode] ?? (yield* Effect.mapError(loadDataset(cfg['dataset'], `${mode}_dataloader.dataset`), (issues) => new TrainError({ issues })))
      yield* orFail(fitsModel(model, dataset, `${mode}_dataloader.dataset`))
      loaders[mode] = yield* orFail(makeLoader(dataset, cfg, `${mode}_dataloader`, { seed, infinite: mode === 'train' && iterBased }))
    }
    const sizes: Sizes = {
      ...(loaders.train === undefined ? {} : { train: loaders.train.batches }),
      ...(loaders.val === undefined ? {} : { val: loaders.val.batches }),
      ...(loaders.test === undefined ? {} : { test: loaders.test.batches }),
    }
    const [preprocessCfg, preprocessPath] = Preprocess.select(program.model, program.settings['data_preprocessor'])
    const preprocessor = preprocessCfg === undefined || preprocessCfg === null ? Preprocess.identity : yield* orFail(Preprocess.decode(preprocessCfg, preprocessPath, model.inputShape))
    const evaluators: { val?: Evaluator; test?: Evaluator } = {}
    if (program.valLoop !== undefined) evaluators.val = yield* orFail(buildEvaluator(program.valEvaluator ?? null, 'val_evaluator'))
    if (program.testLoop !== undefined) evaluators.test = yield* orFail(buildEvaluator(program.testEvaluator ?? null, 'test_evaluator'))

    // Model parameters: seeded PyTorch-style initialisation, or the given values.
    const initialised = model.init(Rng.split(Rng.make(seed), INIT_STREAM))
    let params: Tree.Tree = initialised.params
    if (options.initialParams !== undefined) {
      Object.values(params).forEach((t) => t.dispose())
      params = Tree.fromArrays(options.initialParams)
    }
    let state = initialState(program, sizes, seed)
    state = { ...state, model: { ...state.model, params: store.externalize(params) as TensorTree, buffers: store.externalize(initialised.buffers) as TensorTree, attributes: { ...model.attributes, ...state.model.attributes } } }

    // Optimizer wrapper, param groups and schedulers (groups before schedulers: they record initial_lr).
    let wrapper: OW.OptimWrapper | undefined
    if (trainLoop !== undefined) {
      if (program.optimWrapper === undefined) return yield* fail([{ path: 'optim_wrapper', message: 'training needs an optim_wrapper' }])
      if (!Array.isArray(program.paramSchedulers)) return yield* fail([{ path: 'param_scheduler', message: 'schedulers per wrapper (an OptimWrapperDict) are not supported by the tensor interpreter yet' }])
      const batches = sizes.train ?? 0
      const length = { epochLength: batches, maxEpochs: Loop.maxEpochs(trainLoop), maxIters: Loop.maxIters(trainLoop, batches) }
      const built = yield* orFail(Optim.build(program.optimWrapper, program.paramSchedulers as ReadonlyArray<Json>, model.info, length))
      wrapper = built.wrapper
      const slot = built.state.slots[0]!
      state = { ...state, optim: Optim.write({ ...built.state, slots: [{ ...slot, slot: { ...slot.slot, tensors: store.externalize(OW.init(wrapper, params)) } }] }) }
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

    // load_from / resume (spec §1.3 step 8): weights only, or the whole state.
    let start: { epoch: number; iter: number } | undefined
    const resumeFrom = options.resume ?? (program.resume ? 'auto' : undefined)
    const resumeFile = resumeFrom === undefined ? undefined : yield* resumePath(resumeFrom, workDir)
    if (resumeFile !== undefined) {
      const loaded = yield* readCheckpoint(resumeFile, store, 'resume')
      const optim = Optim.read(loaded.state.optim)
      if (!loaded.hasOptimizer || optim === undefined) return yield* fail([{ path: 'resume', message: `${resumeFile} was saved without the optimizer state (save_optimizer=False); resume needs it. Use load_from to start from its weights.` }])
      const current = Optim.read(state.optim)!
      const slots = optim.slots.map((s, i) => (loaded.hasSchedulers ? s : { ...s, slot: { ...s.slot, schedulers: current.slots[i]?.slot.schedulers ?? [] } }))
      // The meta holds the counters the run continues from (MMEngine saves `epoch + 1` after an epoch ends).
      start = { epoch: loaded.meta.epoch, iter: loaded.meta.iter }
      state = { ...loaded.state, counters: { ...loaded.state.counters, ...start }, optim: Optim.write({ ...optim, slots }), stopTraining: false }
    } else if (program.loadFrom !== undefined) state = yield* loadFrom(state, program.loadFrom, store)
    // The train loop's `initialize_count_status`: accumulation windows count from the (resumed) iteration.
    const optimNow = Optim.read(state.optim)
    if (wrapper !== undefined && optimNow !== undefined) {
      const slot = optimNow.slots[0]!
      const ws = store.internalize(slot.slot.tensors) as OW.WrapperState
      const counted = wrapper.accumulation.initializeCountStatus(ws, state.counters.iter, state.counters.maxIters)
      state = { ...state, optim: Optim.write({ ...optimNow, slots: [{ ...slot, slot: { ...slot.slot, tensors: store.externalize(counted) } }] }) }
    }
    store.collect(liveRoots(state))

    const publishCheckpoint = (source: string, keys: ReadonlyArray<string>): Effect.Effect<string, FileError> =>
      Effect.flatMap(fileOp(source, () => new Uint8Array(fs.readFileSync(source))), (bytes) => {
        const published = Checkpoint.publish(bytes, source, keys)
        if (published._tag === 'Left') return Effect.fail(new FileError({ path: source, message: published.left.message }))
        const target = Checkpoint.publishedName(source, published.right)
        return fileOp(target, () => (writeAtomically(target, published.right), target))
      })
    const log: LogSink = { print: options.print ?? printToStdout, file: path.join(logDir, `${timestamp}.log`) }
    const evaluations: Evaluation[] = []
    const checkpoints: string[] = []
    const inner = tensorSteps({ model, store, wrapper, loaders, evaluators, gather: gatherWith(preprocessor), nonFinite: (program.settings['non_finite'] as 'stop' | 'skip' | 'warn' | undefined) ?? 'stop', warn: (message) => writeLog(log, 'WARNING', message) })
    const steps: Steps['Service'] = Steps.of({
      run: (s, event) =>
        Effect.map(inner.run(s, event), (next) => {
          store.collect(liveRoots(next))
          if (event.mode === 'train' && options.afterTrainStep !== undefined) options.afterTrainStep(next, (tree) => Object.fromEntries(Object.entries(tree).map(([n, r]) => [n, store.get(r).dataSync() as Float32Array])))
          return next
        }),
      evaluate: (s, mode) =>
        Effect.map(inner.evaluate(s, mode), (next) => {
          store.collect(liveRoots(next))
          evaluations.push({ mode, epoch: next.counters.epoch, iter: next.counters.iter, metrics: next.metrics ?? {} })
          return next
        }),
    })
    const writeCheckpoint = (s: State, request: SaveRequest): Effect.Effect<void, FileError> =>
      options.writeCheckpoints === false
        ? Effect.void
        : Effect.flatMap(
            Effect.tryPromise({
              try: () =>
                Checkpoint.encode(
                  s,
                  store,
                  {
                    epoch: request.meta.epoch,
                    iter: request.meta.iter,
                    seed,
                    experiment_name: facts.experimentName,
                    loopwright_version: version,
                    time: new Date().toISOString(),
                    cfg: facts.configText,
                    ...(facts.datasetMeta === undefined ? {} : { dataset_meta: facts.datasetMeta }),
                  },
                  { saveOptimizer: request.saveOptimizer, saveParamScheduler: request.saveParamScheduler },
                ),
              catch: (e) => new FileError({ path: request.path, message: `cannot read the tensors to save: ${e instanceof Error ? e.message : String(e)}` }),
            }),
            (bytes) =>
              fileOp(request.path, () => {
                writeAtomically(request.path, bytes, options.writer)
                checkpoints.push(request.path)
              }),
          )
    let interrupted: 'SIGINT' | 'SIGTERM' | undefined
    const timelineOptions = {
      loadsCheckpoint: resumeFile !== undefined || program.loadFrom !== undefined,
      testAfterTrain: options.testAfterTrain ?? program.testLoop !== undefined,
      ...(start === undefined ? {} : { start }),
    }
    const control = options.interrupt === undefined ? {} : { interrupt: () => (interrupted = options.interrupt!()) !== undefined }
    const whole = Effect.gen(function* () {
      const end = yield* interpret(program, hooks, sizes, state, timelineOptions, control)
      if (interrupted === undefined) return end
      // Stopped between iterations: save everything so that --resume continues exactly here.
      const file = path.join(workDir, `interrupted_iter_${end.counters.iter}.safetensors`)
      yield* Checkpoints.use((c) => c.save(end, { path: file, meta: { epoch: end.counters.epoch, iter: end.counters.iter }, saveOptimizer: true, saveParamScheduler: true }))
      yield* Files.use((f) => f.writeText(path.join(workDir, 'last_checkpoint'), file))
      yield* Logger.use((l) => l.log('WARNING', `Interrupted by ${interrupted} after ${end.counters.iter} iterations; saved ${file}. Continue with --resume.`))
      return end
    })
    const final = yield* whole.pipe(
      Effect.provide(layer({ facts, hooks: () => hooks, steps, log, writeCheckpoint, publishCheckpoint, tensorOps: tensorOps(store), ...(options.collective === undefined ? {} : { collective: options.collective }), ...(options.trace === undefined ? {} : { trace: options.trace }) })),
      Effect.mapError((e) =>
        new TrainError({
          during: 'run',
          issues: [
            e._tag === 'HookError'
              ? { path: e.hook, message: `${e.stage}: ${e.message}` }
              : e._tag === 'FileError'
                ? { path: e.path, message: e.message }
                : { path: `${e.mode}_step`, message: `iteration ${e.iter + 1}, batch ${e.batchIdx}: ${e.message}` },
          ],
        }),
      ),
    )
    const finalEntries = Object.entries(final.model.params)
    const finalValues = yield* Effect.promise(() => Promise.all(finalEntries.map(([, r]) => store.get(r).data() as Promise<Float32Array>)))
    const finalParams = Object.fromEntries(finalEntries.map(([n, r], i) => [n, { shape: [...r.shape], values: finalValues[i]! }]))
    const optimFinal = Optim.read(final.optim)
    const result: TrainResult = {
      workDir,
      logDir,
      iterations: final.counters.iter,
      epochs: final.counters.epoch,
      seconds: (performance.now() - started) / 1000,
      evaluations,
      checkpoints,
      params: finalParams,
      state: final,
      lr: optimFinal === undefined ? {} : Optim.learningRates(optimFinal),
      interrupted,
    }
    return result
  })
