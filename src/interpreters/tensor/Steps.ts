/**
 * The tensor interpreter's `Steps` service: a train step is forward, loss,
 * gradients and the optimizer wrapper's update; a val/test step is an
 * eval-mode forward folded into the evaluator.
 *
 * Tensor lifetimes: the step reads its inputs through the store, returns a
 * state holding refs to what it keeps, and frees the rest itself (batch,
 * gradients, updates); tensors the previous state held and the new one does
 * not are freed by the interpreter's collection after the step.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
// Gradients of every op the models use must be registered before `valueAndGrads` runs.
import '../../tensor/gradients.js'
import * as Effect from 'effect/Effect'
import type { StepEvent } from '../../dsl/Event.js'
import * as Rng from '../../dsl/Rng.js'
import { StepError, Steps } from '../../dsl/Services.js'
import type { LastBatch, State, TensorTree } from '../../dsl/State.js'
import { uniformSamplingFor } from '../../data/deepClusterSampler.js'
import type { Evaluator } from '../../evaluation/registry.js'
import type { ForwardResult, Model } from '../../models/Model.js'
import * as Optim from '../../optim/OptimState.js'
import * as OW from '../../optim/OptimWrapper.js'
import { tensorsIn } from '../../optim/serialize.js'
import * as Tree from '../../tensor/tree.js'
import type { TensorStore } from './TensorStore.js'
import { nonFiniteProbe } from '../../tensor/finiteProbe.js'
import { castStraightThrough } from '../../tensor/precision.js'
import type { Loader } from './Loader.js'
import type { Communicator } from '../collective/Communicator.js'
import type { Replicas } from '../../tensor/Replicas.js'
import { collectResults, type EvaluatedBatch } from './collectResults.js'
import type { GatheredBatch } from './views.js'

/** Everything a step needs besides the state. */
export interface StepContext {
  readonly model: Model
  readonly store: TensorStore
  readonly wrapper: OW.OptimWrapper | undefined
  readonly loaders: { readonly train?: Loader; readonly val?: Loader; readonly test?: Loader }
  readonly evaluators: { readonly val?: Evaluator; readonly test?: Evaluator }
  /** What a NaN/Inf loss or gradient does when no loss scaler handles it (`non_finite`, default `'stop'`). */
  readonly nonFinite: 'stop' | 'skip' | 'warn'
  /** Log a warning (the run's logger). */
  readonly warn: (message: string) => void
  /**
   * The data-parallel workers (default: one process). Validation and test are sharded over them; their results are
   * gathered before the metrics are computed (`collectResults.ts`).
   */
  readonly communicator?: Communicator
  /** The communicator's replicas as a model's loss reaches them (`replicasOf`); absent with one worker. */
  readonly replicas?: Replicas
  /** Gathers a batch as tensors (inputs already preprocessed), owned by the caller. */
  readonly gather: (loader: Loader, indices: Int32Array, epoch?: number) => GatheredBatch
}

// Labels of the random streams derived from the run's root stream.
const TRAIN_FORWARD = 0x7472
const EVAL_FORWARD = 0x6576

/**
 * Read tensors back asynchronously, all at once. WebGPU in Node has no
 * synchronous reads, and one batched wait costs less than several.
 */
const readAll = (tensors: ReadonlyArray<tf.Tensor>): Promise<ReadonlyArray<Float32Array | Int32Array | Uint8Array>> =>
  Promise.all(tensors.map((t) => t.data() as Promise<Float32Array | Int32Array | Uint8Array>))

/** MMEngine's `parse_losses`: the sum of every entry whose name contains `loss`. */
const totalLoss = (losses: { readonly [name: string]: tf.Scalar }): tf.Scalar => {
  const parts = Object.entries(losses)
    .filter(([name]) => name.includes('loss'))
    .map(([, v]) => v)
  if (parts.length === 0)
    throw new Error(
      `the model returned no loss (entries: ` +
        `${Object.keys(losses).join(', ') || 'none'}); a loss entry's name must contain ` +
        `'loss'`,
    )
  return parts.length === 1 ? parts[0]! : (tf.addN(parts) as tf.Scalar)
}

const dispose = (transient: ReadonlyArray<unknown>, keep: ReadonlyArray<unknown>): void => {
  const kept = new Set(tensorsIn(keep))
  for (const t of tensorsIn(transient)) if (!kept.has(t) && !t.isDisposed) t.dispose()
}

const trainStep = async (ctx: StepContext, state: State, event: StepEvent): Promise<State> => {
  const { model, store } = ctx
  const wrapper = ctx.wrapper
  const loader = ctx.loaders.train
  if (wrapper === undefined) throw new Error('training needs an optim_wrapper')
  if (loader === undefined) throw new Error('training needs a train_dataloader')
  const optim = Optim.read(state.optim)
  const entry = optim?.slots[0]
  if (optim === undefined || entry === undefined) throw new Error('the optimizer state is missing from the run state')
  const stored = store.internalize(state.model.params) as Tree.Tree
  // A model's in-place parameter rewrite (SwAV's prototypes) happens before the forward, as in PyTorch; the optimizer
  // steps from there.
  const prepared = model.prepare?.(stored) ?? {}
  const params = { ...stored, ...prepared }
  const buffers = store.internalize(state.model.buffers) as Tree.Tree
  const wrapperState = store.internalize(entry.slot.tensors) as OW.WrapperState
  const factor = OW.lossFactor(wrapper, wrapperState)
  const scale = OW.lossScale(wrapper, wrapperState)
  // A DefaultSampler shuffles for the epoch DistSamplerSeedHook set (MMEngine's sampler.set_epoch):
  // without the hook, every epoch repeats epoch 0's order.
  const pass = loader.infinite ? event.batch.pass : state.data.samplerEpoch
  const indices = loader.batch(pass, event.batch.index, uniformSamplingFor(state.model.attributes, event.epoch))
  const batch = ctx.gather(loader, indices, pass)
  // Frozen parameters (requires_grad=False) get no gradient, so the optimizer skips them as PyTorch does (grad None).
  const frozen = new Set(model.info.params.filter((p) => !p.requiresGrad).map((p) => p.name))
  const names = Object.keys(params).filter((n) => !frozen.has(n))
  const half = wrapper.dtype
  const rng = Rng.split(Rng.split(state.rng, TRAIN_FORWARD), event.iter)
  const replicas = ctx.replicas
  let newBuffers: Tree.Tree = buffers
  let losses: { readonly [name: string]: tf.Scalar } = {}
  let total: tf.Scalar | undefined
  // The gradient of the loss as the optimizer wrapper backpropagates it: divided for accumulation, multiplied by the
  // loss scale.
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    // `AmpOptimWrapper(dtype=...)`: the forward pass reads weights and inputs rounded to the half format,
    // and its output is rounded too; gradients reach the float32 weights straight through.
    const cast = half === undefined ? (t: tf.Tensor) => t : (t: tf.Tensor) => castStraightThrough(half, t)
    const current = {
      ...Object.fromEntries([...frozen].filter((n) => params[n] !== undefined).map((n) => [n, cast(params[n]!)])),
      ...Object.fromEntries(names.map((n, i) => [n, cast(xs[i]!)])),
    }
    const views = batch.views === undefined ? {} : { views: batch.views.map(cast) }
    if (model.loss !== undefined) {
      const trained = model.loss(current, buffers, cast(batch.inputs), batch.targets, {
        training: true,
        rng,
        ...views,
        iter: event.iter,
        maxIters: state.counters.maxIters,
        attributes: state.model.attributes,
        indices,
        ...(replicas === undefined ? {} : { replicas }),
      })
      newBuffers = trained.buffers
      for (const b of Object.values(newBuffers)) if (!Object.values(buffers).includes(b)) tf.keep(b)
      losses = Object.fromEntries(Object.entries(trained.losses).map(([n, l]) => [n, cast(l) as tf.Scalar]))
    } else {
      const raw = model.forward(current, buffers, cast(batch.inputs), {
        training: true,
        rng,
        ...views,
        // SyncBN layers normalise over every replica's batch.
        ...(replicas === undefined ? {} : { replicas }),
      })
      const forward = { output: cast(raw.output), buffers: raw.buffers }
      newBuffers = forward.buffers
      for (const b of Object.values(newBuffers)) if (!Object.values(buffers).includes(b)) tf.keep(b)
      losses = model.losses(forward.output, batch.targets)
    }
    for (const l of Object.values(losses)) tf.keep(l)
    total = tf.keep(totalLoss(losses))
    // Most steps neither accumulate nor scale: then no multiply by 1 (two kernels, a GPU dispatch each, and a scalar).
    const backpropagated = scale / factor
    return (backpropagated === 1 ? tf.clone(total) : tf.mul(total, backpropagated)) as tf.Scalar
  })(names.map((n) => params[n]!))
  const gradTree: Tree.Tree = Object.fromEntries(names.map((n, i) => [n, grads[i]!]))
  // Without a loss scaler nothing else notices a NaN/Inf: one probe over the gradients, read back with the outputs.
  const probe = wrapper.scaling === undefined ? nonFiniteProbe(grads) : undefined
  // The update is computed before anything is read back, so that a step costs one wait for the device;
  // a non-finite step's results are simply dropped.
  const [updates, nextWrapperState] = OW.update(wrapper, gradTree, wrapperState, params, entry.slot.groups)
  const nextParams = Tree.applyUpdates(params, updates)
  // MMEngine's log_vars: every loss entry and the total, and `grad_norm` when a clipped step was taken.
  const norm = nextWrapperState.stepped ? OW.gradNorm(wrapper, nextWrapperState) : undefined
  const lossNames = Object.keys(losses)
  const values = await readAll([
    ...lossNames.map((n) => losses[n]!),
    total!,
    ...(norm === undefined ? [] : [norm]),
    ...(probe === undefined ? [] : [probe]),
  ])
  const outputs: { [name: string]: number } = {}
  lossNames.forEach((name, i) => {
    outputs[name] = values[i]![0]!
  })
  outputs['loss'] = values[lossNames.length]![0]!
  if (norm !== undefined) outputs['grad_norm'] = values[lossNames.length + 1]![0]!
  if (probe !== undefined) {
    const sums = values.at(-1)!
    probe.dispose()
    const bad = Array.from(sums).findIndex((v) => !Number.isFinite(v))
    const problem = !Number.isFinite(outputs['loss'])
      ? `the loss is ${outputs['loss']}`
      : bad >= 0
        ? `the loss is ${outputs['loss']} but the gradient of ${names[bad] ?? 'a parameter'} is not finite`
        : undefined
    if (problem !== undefined) {
      const where = `iteration ${event.iter + 1}: ${problem}`
      if (ctx.nonFinite !== 'warn') {
        // Nothing of this step survives: the state keeps the parameters, buffers and optimizer state it had.
        dispose(
          [batch, value, grads, losses, total, updates, nextParams, nextWrapperState, newBuffers, prepared],
          [stored, wrapperState, buffers],
        )
        if (ctx.nonFinite === 'stop')
          throw new Error(
            `${where}. The run stops here (non_finite='stop'); non_finite='skip' skips such ` +
              `steps, 'warn' applies them.`,
          )
        ctx.warn(`${where}; the step is skipped (non_finite='skip')`)
        return { ...state, outputs: { loss: outputs['loss'] }, lastBatch: undefined }
      }
      ctx.warn(`${where}; the step is applied anyway (non_finite='warn')`)
    }
  }
  const nonFinite = OW.nonFiniteNorm(wrapper, nextWrapperState, outputs['grad_norm'])
  dispose([batch, value, grads, updates, losses, total, prepared], [nextParams, nextWrapperState, newBuffers])
  if (nonFinite !== undefined) throw new Error(nonFinite)
  return {
    ...state,
    model: {
      ...state.model,
      params: store.externalize(nextParams) as TensorTree,
      buffers: store.externalize(newBuffers) as TensorTree,
      training: true,
    },
    optim: Optim.write(Optim.withTensors(optim, store.externalize(nextWrapperState))),
    outputs,
    lastBatch: undefined,
  }
}

/**
 * The `Steps` service over `ctx`. Evaluation folds are kept here between the
 * steps of one val/test epoch (a checkpoint is never taken inside one) and
 * restart with each epoch's first batch.
 */
export const tensorSteps = (ctx: StepContext): Steps['Service'] => {
  const folds: { val: unknown[]; test: unknown[] } = { val: [], test: [] }
  // Sharded over several workers, a rank keeps its batches' results until they are gathered at the epoch's end.
  const sharded = (ctx.communicator?.worldSize ?? 1) > 1
  const evaluated: { val: EvaluatedBatch[]; test: EvaluatedBatch[] } = { val: [], test: [] }
  const evalStep = async (state: State, event: StepEvent, mode: 'val' | 'test'): Promise<State> => {
    const loader = ctx.loaders[mode]
    const evaluator = ctx.evaluators[mode]
    if (loader === undefined) throw new Error(`the ${mode} loop needs a ${mode}_dataloader`)
    if (evaluator === undefined) throw new Error(`the ${mode} loop needs a ${mode}_evaluator`)
    if (event.batchIdx === 0) {
      folds[mode] = evaluator.metrics.map((m) => m.init)
      evaluated[mode] = []
    }
    const params = ctx.store.internalize(state.model.params) as Tree.Tree
    const buffers = ctx.store.internalize(state.model.buffers) as Tree.Tree
    const indices = loader.batch(0, event.batchIdx)
    const batch = ctx.gather(loader, indices)
    const rng = Rng.split(Rng.split(state.rng, EVAL_FORWARD), event.iter)
    // Models need not tidy their intermediates: the interpreter keeps only the output (and any new buffers).
    const { output, buffers: after } = tf.tidy(
      () =>
        ctx.model.forward(params, buffers, batch.inputs, {
          training: false,
          rng,
          ...(batch.views === undefined ? {} : { views: batch.views }),
        }) as unknown as tf.TensorContainer,
    ) as unknown as ForwardResult
    const [outputValues, targetValues] = await readAll([output, batch.targets])
    const read = {
      output: { values: outputValues!, shape: output.shape },
      targets: { values: targetValues!, shape: batch.targets.shape },
    }
    if (sharded) evaluated[mode].push(read)
    else folds[mode] = evaluator.metrics.map((m, i) => m.process(folds[mode][i], read.output, read.targets))
    // The raw batch, targets and outputs stay readable for after_*_iter hooks until the next step replaces them.
    dispose([batch.inputs, batch.views, after], [buffers, batch.raw])
    const lastBatch: LastBatch = {
      mode,
      indices: Array.from(indices),
      inputs: ctx.store.ref(batch.raw),
      targets: ctx.store.ref(batch.targets),
      outputs: ctx.store.ref(output),
    }
    return { ...state, model: state.model.training ? { ...state.model, training: false } : state.model, lastBatch }
  }
  const attempt = (state: State, event: StepEvent): Effect.Effect<State, StepError> =>
    Effect.tryPromise({
      try: () => (event.mode === 'train' ? trainStep(ctx, state, event) : evalStep(state, event, event.mode)),
      catch: (e) =>
        new StepError({
          mode: event.mode,
          iter: event.iter,
          batchIdx: event.batchIdx,
          message: e instanceof Error ? e.message : String(e),
        }),
    })
  return Steps.of({
    run: attempt,
    evaluate: (state, mode) => {
      const evaluator = ctx.evaluators[mode]
      if (evaluator === undefined) return Effect.succeed(state)
      const loader = ctx.loaders[mode]
      if (sharded && ctx.communicator !== undefined && loader !== undefined) {
        // One process's batches over the whole set, folded as one process folds them.
        const all = collectResults(ctx.communicator, evaluated[mode], loader.dataset.length, loader.batchSize)
        evaluated[mode] = []
        folds[mode] = evaluator.metrics.map((m) => all.reduce((acc, b) => m.process(acc, b.output, b.targets), m.init))
      }
      const metrics: { [name: string]: number } = {}
      evaluator.metrics.forEach((m, i) => {
        Object.assign(metrics, m.compute(folds[mode][i] ?? m.init))
      })
      folds[mode] = []
      return Effect.succeed({ ...state, metrics, lastBatch: undefined })
    },
  })
}
