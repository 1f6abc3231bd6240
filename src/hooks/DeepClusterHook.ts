/**
 * MMSelfSup's `DeepClusterHook(extract_dataloader, clustering, unif_sampling, reweight, reweight_pow,
 * init_memory=False, initial=True, interval=1, seed=None)` (class priority NORMAL): DeepCluster's global clustering.
 *
 * At `before_train` (when `initial`) and at `after_train_epoch` every `interval` epochs (`(epoch + 1) % interval`):
 * 1. the model's clustering features (eval mode: the neck on the backbone, as MMSelfSup's `Extractor`) of every
 *    sample of `extract_dataloader`'s dataset, through `ModelOps`;
 * 2. k-means (`clustering=dict(type='Kmeans', k, pca_dim=256)`: PCA with whitening unless `pca_dim=-1`, rows
 *    L2-normalised, 20 iterations from a k-means++ start), seeded afresh each time from `seed` (the run's seed when
 *    None) and the iteration (a `Clustering` service, where one is provided, answers instead); the labels go to
 *    `work_dir/cluster_epoch_<epoch>.npy` and the histogram to the log (`empty_num`, `min_cluster`, `max_cluster`);
 * 3. the labels become the model attribute `clustering_label` (the pseudo-labels DeepCluster trains on);
 * 4. with `unif_sampling`, the next train epoch's `DeepClusterSampler` draws uniformly over the clusters (the
 *    attribute `clustering_uniform`); with `reweight`, `loss_weight = normalised (1 / (hist + 1e-10)) ** reweight_pow`;
 * 5. the head (`head.*` parameters and buffers) is drawn afresh;
 * 6. with `init_memory` (ODC), the memory takes the features and labels (`ODCMemory.init_memory`).
 *
 * Where loopwright differs: every process clusters the same features with the same seed, so the labels agree
 * without a broadcast (only rank 0 writes the file); and a resumed run, whose state already holds the pseudo-labels,
 * does not cluster again at `before_train` (MMSelfSup re-clusters, since its labels live in the dataset), so a
 * resumed run ends exactly where an uninterrupted one does. `clustering=dict(type='PIC')` is not provided.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Option from 'effect/Option'
import { UNIFORM_SAMPLING, CLUSTERING_LABEL } from '../data/deepClusterSampler.js'
import * as Hook from '../dsl/Hook.js'
import { HookError } from '../dsl/Hook.js'
import * as path from '../dsl/path.js'
import * as P from '../dsl/Priority.js'
import * as Rng from '../dsl/Rng.js'
import { Clustering, Files, Logger, ModelOps, Run } from '../dsl/Services.js'
import type { ExtractedFeatures, HookServices } from '../dsl/Services.js'
import type { Stage } from '../dsl/Stage.js'
import type { State } from '../dsl/State.js'
import { boolean, int, json, literal, nullable, number, positiveInt, record, struct } from '../schema/codec.js'
import { LOSS_WEIGHT } from '../selfsup/attributes.js'
import { clusterFileName, encodeLabels } from '../selfsup/clusterFile.js'
import * as ODCMemory from '../selfsup/memories/ODCMemory.js'
import { cluster } from '../selfsup/numerics/kmeans.js'
import { histogram, histogramSummary, reweight } from '../selfsup/numerics/reweight.js'
import type { HookType } from './HookType.js'
import { memorySettings, writeMemory } from './odcMemoryState.js'

const clustering = struct(
  "a clustering dict: dict(type='Kmeans', k=…, pca_dim=…) (PIC is not provided)",
  { type: literal('Kmeans'), k: positiveInt },
  { pca_dim: int },
)

const args = struct(
  'DeepClusterHook arguments',
  {
    extract_dataloader: record(json, 'a dataloader dict'),
    clustering,
    unif_sampling: boolean,
    reweight: boolean,
    reweight_pow: number,
  },
  { init_memory: boolean, initial: boolean, interval: positiveInt, seed: nullable(int) },
)

export type DeepClusterHookArgs = typeof args._A

/** The label of the k-means seeds' stream. */
const KMEANS_STREAM = 0x6b6d6e73

/** The histogram line MMSelfSup logs after each clustering (DeepClusterHook and ODCHook alike). */
export const histogramLine = (labels: ArrayLike<number>, k: number): string => {
  const { empty, min, max } = histogramSummary(histogram(labels, k))
  return `empty_num: ${empty}\tmin_cluster: ${min}\tmax_cluster:${max}`
}

/** `reweight`'s loss weights as a plain list (the model attribute `loss_weight`). */
export const lossWeights = (labels: ArrayLike<number>, k: number, pow: number): number[] =>
  Array.from(reweight(histogram(labels, k), pow))

/** Does the hook cluster at this stage and epoch? (`initial` at `before_train`; `every_n_epochs(interval)` after.) */
export const clustersAt = (a: DeepClusterHookArgs, stage: 'before_train' | 'after_train_epoch', epoch: number) =>
  stage === 'before_train' ? (a.initial ?? true) : (epoch + 1) % (a.interval ?? 1) === 0

export const DeepClusterHook: HookType<DeepClusterHookArgs> = {
  name: 'DeepClusterHook',
  defaultPriority: P.NORMAL,
  args,
  touches: {
    before_train: {
      reads: ['model.params', 'model.memory_bank', 'model.clustering_label', 'seed'],
      writes: [
        'model.clustering_label',
        'model.clustering_uniform',
        'model.loss_weight',
        'model.params',
        'model.buffers',
        'log',
        'files',
      ],
    },
    after_train_epoch: {
      reads: ['model.params', 'model.memory_bank', 'model.clustering_label', 'seed'],
      writes: [
        'model.clustering_label',
        'model.clustering_uniform',
        'model.loss_weight',
        'model.params',
        'model.buffers',
        'log',
        'files',
      ],
    },
  },
  build: (a, site) => {
    const k = a.clustering.k
    const fail = (stage: Stage) => (message: string) => new HookError({ hook: 'DeepClusterHook', stage, message })
    const seedFor = (state: State, stage: Stage): number =>
      Rng.split(
        Rng.make(a.seed ?? state.seed),
        KMEANS_STREAM + state.counters.iter * 2 + (stage === 'before_train' ? 0 : 1),
      ).seed
    const assign = (state: State, stage: Stage, features: ExtractedFeatures) =>
      Effect.gen(function* () {
        const epoch = state.counters.epoch
        if (features.count < k)
          return yield* Effect.fail(fail(stage)(`clustering.k=${k} exceeds the ${features.count} extracted samples`))
        const seed = seedFor(state, stage)
        const given = yield* Effect.serviceOption(Clustering)
        const labels = yield* (
          Option.isSome(given)
            ? given.value.cluster(features, a.clustering, seed)
            : Effect.try({
                try: () =>
                  cluster(
                    features.values,
                    features.count,
                    features.dim,
                    { k, pca_dim: a.clustering.pca_dim ?? 256 },
                    { seed },
                  ).labels,
                catch: (e) => (e instanceof Error ? e.message : String(e)),
              })
        ).pipe(Effect.mapError((message) => fail(stage)(`clustering: ${message}`)))
        if (labels.length !== features.count)
          return yield* Effect.fail(
            fail(stage)(`clustering: ${labels.length} labels for ${features.count} extracted samples`),
          )
        const { workDir } = yield* Run
        yield* Files.use((f) => f.writeBytes(path.join(workDir, clusterFileName(epoch)), encodeLabels(labels))).pipe(
          Effect.mapError((e) => fail(stage)(`${e.path}: ${e.message}`)),
        )
        yield* Logger.use((l) => l.log('INFO', histogramLine(labels, k)))
        const attributes = {
          ...state.model.attributes,
          [CLUSTERING_LABEL]: Array.from(labels),
          ...(a.unif_sampling
            ? {
                [UNIFORM_SAMPLING]: {
                  train_epoch: stage === 'before_train' ? epoch : epoch + 1,
                  num_classes: k,
                  epoch,
                },
              }
            : {}),
          ...(a.reweight ? { [LOSS_WEIGHT]: lossWeights(labels, k, a.reweight_pow) } : {}),
        }
        let next: State = yield* ModelOps.use((ops) =>
          ops.reinitialise({ ...state, model: { ...state.model, attributes } }, 'head', seed + 1),
        )
        if (a.init_memory === true) {
          const settings = memorySettings(next)
          if (typeof settings === 'string') return yield* Effect.fail(fail(stage)(`init_memory: ${settings}`))
          const memory = yield* Effect.try({
            try: () => ODCMemory.init_memory(ODCMemory.make(settings), features.values, labels),
            catch: (e) => fail(stage)(`init_memory: ${e instanceof Error ? e.message : String(e)}`),
          })
          next = yield* writeMemory(next, memory, ['featureBank', 'labelBank', 'centroids'])
        }
        return next
      })
    const deepcluster = (state: State, stage: 'before_train' | 'after_train_epoch') =>
      Effect.gen(function* () {
        yield* Logger.use((l) =>
          l.log(
            'INFO',
            `DeepClusterHook: k-means (k=${k}, pca_dim=${a.clustering.pca_dim ?? 256}) ` +
              (stage === 'before_train'
                ? `before epoch ${state.counters.epoch + 1}`
                : `after epoch ${state.counters.epoch + 1}`),
          ),
        )
        const features = yield* ModelOps.use((ops) =>
          ops.extractFeatures(state, a.extract_dataloader, 'DeepClusterHook.extract_dataloader'),
        ).pipe(Effect.mapError(fail(stage)))
        // The dry run extracts nothing: the plan shows the log line, and the state stays as it is.
        return features === undefined ? state : yield* assign(state, stage, features)
      })
    return Hook.make<HookServices>({
      name: 'DeepClusterHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_train: (state) =>
          // A resumed state already holds the pseudo-labels (see the module comment).
          clustersAt(a, 'before_train', state.counters.epoch) &&
          !Array.isArray(state.model.attributes[CLUSTERING_LABEL])
            ? deepcluster(state, 'before_train')
            : Effect.succeed(state),
        after_train_epoch: (state) =>
          clustersAt(a, 'after_train_epoch', state.counters.epoch)
            ? deepcluster(state, 'after_train_epoch')
            : Effect.succeed(state),
      },
    })
  },
}
