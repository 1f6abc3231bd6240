/**
 * `ModelOps` over the run's model, data and tensor store: whole-dataset feature extraction for clustering hooks
 * (eval mode, batch by batch, in dataset order), parameters drawn afresh, and tensors from host values. Results are
 * new tensors owned by the store; what the state drops is freed by the next collection.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Effect from 'effect/Effect'
import type { Dataset } from '../../data/Dataset.js'
import * as Rng from '../../dsl/Rng.js'
import { ModelOps } from '../../dsl/Services.js'
import type { State, TensorTree } from '../../dsl/State.js'
import type { Model } from '../../models/Model.js'
import { formatIssue } from '../../schema/codec.js'
import type * as Tree from '../../tensor/tree.js'
import { loadDataset } from './data.js'
import type { Loader } from './Loader.js'
import type { TensorStore } from './TensorStore.js'
import type { GatheredBatch } from './views.js'
import type { Communicator } from '../collective/Communicator.js'
import { concatFloats } from '../collective/concatFloats.js'

export interface ModelOpsContext {
  readonly model: Model
  readonly store: TensorStore
  readonly seed: number
  readonly gather: (loader: Loader, indices: Int32Array, epoch?: number) => GatheredBatch
  /** The data-parallel workers, over which feature extraction is sharded (default: one process). */
  readonly communicator?: Communicator
}

/** The label of the stream eval-mode extraction passes to a model's forward (nothing random happens in eval mode). */
const EXTRACT_STREAM = 0x65787472

export const modelOps = (ctx: ModelOpsContext): ModelOps['Service'] => {
  // Datasets by their config: a hook that clusters every epoch loads its dataset once.
  const datasets = new Map<string, Dataset>()
  const datasetOf = (cfg: unknown, where: string): Effect.Effect<Dataset, string> => {
    const key = JSON.stringify(cfg)
    const known = datasets.get(key)
    if (known !== undefined) return Effect.succeed(known)
    return loadDataset(cfg, `${where}.dataset`).pipe(
      Effect.mapError((issues) => issues.map(formatIssue).join('; ')),
      Effect.tap((d) => Effect.sync(() => void datasets.set(key, d))),
    )
  }
  const extract = async (state: State, dataset: Dataset, batchSize: number) => {
    const params = ctx.store.internalize(state.model.params) as Tree.Tree
    const buffers = ctx.store.internalize(state.model.buffers) as Tree.Tree
    const loader: Loader = {
      dataset,
      batchSize,
      seed: ctx.seed,
      batches: Math.ceil(dataset.length / batchSize),
      infinite: false,
      batch: (_pass, index) =>
        Int32Array.from(
          { length: Math.min(batchSize, dataset.length - index * batchSize) },
          (_, i) => index * batchSize + i,
        ),
    }
    // Data parallel: rank r extracts batches r, r + N, … (MMSelfSup's Extractor shards the dataset over the
    // processes too) and the ranks all-gather the rows, so every rank clusters the same features.
    const rank = ctx.communicator?.rank ?? 0
    const worldSize = ctx.communicator?.worldSize ?? 1
    const mine: Float32Array[] = []
    for (let b = rank; b < loader.batches; b += worldSize) {
      const indices = loader.batch(0, b)
      const batch = ctx.gather(loader, indices)
      const x = batch.views?.[0] ?? batch.inputs
      const out = tf.tidy(() =>
        ctx.model.extract !== undefined
          ? ctx.model.extract(params, buffers, x)
          : ctx.model.forward(params, buffers, x, { training: false, rng: Rng.make(EXTRACT_STREAM) }).output,
      )
      for (const t of [batch.raw, batch.inputs, batch.targets, ...(batch.views ?? [])]) if (!t.isDisposed) t.dispose()
      mine.push((await out.data()) as Float32Array)
      out.dispose()
    }
    const parts = worldSize === 1 ? [concatFloats(mine)] : ctx.communicator!.allGather(concatFloats(mine))
    const total = parts.reduce((n, p) => n + p.length, 0)
    const dim = dataset.length === 0 ? 0 : total / dataset.length
    const values = new Float32Array(total)
    // Rank r's rows are its batches in order; batch b is rank (b mod N)'s (b div N)-th.
    const offsets = parts.map(() => 0)
    for (let b = 0; b < loader.batches; b++) {
      const owner = b % worldSize
      const length = Math.min(batchSize, dataset.length - b * batchSize) * dim
      values.set(parts[owner]!.subarray(offsets[owner]!, offsets[owner]! + length), b * batchSize * dim)
      offsets[owner]! += length
    }
    return { values, count: dataset.length, dim }
  }
  return ModelOps.of({
    extractFeatures: (state, dataloader, where) =>
      Effect.gen(function* () {
        const batchSize = dataloader['batch_size']
        if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)
          return yield* Effect.fail(`${where}.batch_size: expected a positive integer, got ${String(batchSize)}`)
        const dataset = yield* datasetOf(dataloader['dataset'], where)
        return yield* Effect.tryPromise({
          try: () => extract(state, dataset, batchSize),
          catch: (e) => `${where}: ${e instanceof Error ? e.message : String(e)}`,
        })
      }),
    reinitialise: (state, prefix, seed) =>
      Effect.sync(() => {
        const fresh = ctx.model.init(Rng.make(seed))
        const pick = (tree: Tree.Tree, old: TensorTree): TensorTree => {
          const chosen: { [name: string]: ReturnType<TensorStore['ref']> } = {}
          for (const [name, t] of Object.entries(tree)) {
            if (name.startsWith(`${prefix}.`) && name in old) chosen[name] = ctx.store.ref(t)
            else t.dispose()
          }
          return { ...old, ...chosen }
        }
        return {
          ...state,
          model: {
            ...state.model,
            params: pick(fresh.params, state.model.params),
            buffers: pick(fresh.buffers, state.model.buffers),
          },
        }
      }),
    fromValues: (values) =>
      Effect.sync(() =>
        Object.fromEntries(
          Object.entries(values).map(([name, v]) => [name, ctx.store.ref(tf.tensor(v.values, [...v.shape], v.dtype))]),
        ),
      ),
  })
}
