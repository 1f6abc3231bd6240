/**
 * MMSelfSup's `ODCHook(centroids_update_interval, deal_with_small_clusters_interval, evaluate_interval, reweight,
 * reweight_pow, dist_mode=True)` (class priority NORMAL): ODC's online clustering, on the memory the model keeps in
 * its buffers (see `src/selfsup/algorithms/ODC.ts`).
 *
 * - `after_train_iter`, in MMSelfSup's order: every `centroids_update_interval` iterations (`(iter + 1) % n == 0`)
 *   the centroids are recomputed from the memory; every `deal_with_small_clusters_interval` iterations small
 *   clusters are dissolved and emptied ones refilled; then, with `reweight`, the loss weights become the normalised
 *   `(1 / (hist + 1e-10)) ** reweight_pow` of the label bank (model attributes `loss_weight` and
 *   `head.loss.class_weight`); every `evaluate_interval` iterations the histogram is logged.
 * - `after_train_epoch`: every 10 epochs the label bank goes to `work_dir/cluster_epoch_<epoch + 1>.npy`.
 *
 * MMSelfSup reweights from the label bank at every iteration whatever `reweight` says (its `set_reweight` is called
 * unconditionally); loopwright honours `reweight=False`. `dist_mode=False` is refused, as in MMSelfSup.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import { HookError } from '../dsl/Hook.js'
import * as path from '../dsl/path.js'
import * as P from '../dsl/Priority.js'
import { Files, Logger, Run } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import type { State } from '../dsl/State.js'
import { boolean, literal, number, positiveInt, struct } from '../schema/codec.js'
import { LOSS_WEIGHT } from '../selfsup/attributes.js'
import { clusterFileName, encodeLabels } from '../selfsup/clusterFile.js'
import * as ODCMemory from '../selfsup/memories/ODCMemory.js'
import { histogramLine, lossWeights } from './DeepClusterHook.js'
import type { HookType } from './HookType.js'
import { memorySettings, readLabels, readMemory, writeMemory } from './odcMemoryState.js'

const args = struct(
  'ODCHook arguments',
  {
    centroids_update_interval: positiveInt,
    deal_with_small_clusters_interval: positiveInt,
    evaluate_interval: positiveInt,
    reweight: boolean,
    reweight_pow: number,
  },
  { dist_mode: literal(true) },
)

export type ODCHookArgs = typeof args._A

/** The epochs after which ODCHook saves the label bank (MMSelfSup's `every_n_epochs(runner, 10)`). */
export const SAVE_EVERY_EPOCHS = 10

/** What `after_train_iter` does at iteration `iter` (0-based), in order. */
export const odcActions = (a: ODCHookArgs, iter: number) => ({
  updateCentroids: (iter + 1) % a.centroids_update_interval === 0,
  dealWithSmallClusters: (iter + 1) % a.deal_with_small_clusters_interval === 0,
  reweight: a.reweight,
  evaluate: (iter + 1) % a.evaluate_interval === 0,
})

/** A state without model parameters: the dry run's, which describes the model without tensors. */
const isPlan = (state: State): boolean => Object.keys(state.model.params).length === 0

const withAttributes = (state: State, attributes: { readonly [name: string]: number[] }): State => ({
  ...state,
  model: { ...state.model, attributes: { ...state.model.attributes, ...attributes } },
})

export const ODCHook: HookType<ODCHookArgs> = {
  name: 'ODCHook',
  defaultPriority: P.NORMAL,
  args,
  touches: {
    after_train_iter: {
      reads: ['model.buffers', 'model.memory_bank'],
      writes: ['model.buffers', 'model.loss_weight', 'model.head.loss.class_weight', 'log'],
    },
    after_train_epoch: { reads: ['model.buffers', 'model.memory_bank'], writes: ['files'] },
  },
  build: (a, site) => {
    const fail = (stage: 'after_train_iter' | 'after_train_epoch', message: string) =>
      new HookError({ hook: 'ODCHook', stage, message })
    return Hook.make<HookServices>({
      name: 'ODCHook',
      key: site.key,
      priority: site.priority,
      stages: {
        after_train_iter: (state) =>
          Effect.gen(function* () {
            const settings = memorySettings(state)
            // A plan's state holds no model (the dry run describes no tensors): there is no memory to act on.
            if (typeof settings === 'string' && isPlan(state)) return state
            if (typeof settings === 'string') return yield* Effect.fail(fail('after_train_iter', settings))
            const todo = odcActions(a, state.counters.iter)
            let next = state
            if (todo.updateCentroids || todo.dealWithSmallClusters) {
              // Small clusters are found from the labels alone; the feature bank is read only when there are some.
              const labels = yield* readLabels(next)
              const small = todo.dealWithSmallClusters
                ? ODCMemory.smallClusters({ ...ODCMemory.make(settings), label_bank: labels })
                : []
              if (todo.updateCentroids || small.length > 0) {
                let memory = yield* readMemory(next, settings)
                if (todo.updateCentroids) memory = ODCMemory.update_centroids_memory(memory)
                if (small.length > 0) memory = ODCMemory.deal_with_small_clusters(memory)
                next = yield* writeMemory(next, memory, small.length > 0 ? ['labelBank', 'centroids'] : ['centroids'])
              }
            }
            if (!todo.reweight && !todo.evaluate) return next
            const labels = yield* readLabels(next)
            if (todo.reweight) {
              const weight = lossWeights(labels, settings.num_classes, a.reweight_pow)
              next = withAttributes(next, { [LOSS_WEIGHT]: weight, 'head.loss.class_weight': weight })
            }
            if (todo.evaluate) yield* Logger.use((l) => l.log('INFO', histogramLine(labels, settings.num_classes)))
            return next
          }),
        after_train_epoch: (state) =>
          Effect.gen(function* () {
            if ((state.counters.epoch + 1) % SAVE_EVERY_EPOCHS !== 0) return state
            if (typeof memorySettings(state) === 'string') return state
            const labels = yield* readLabels(state)
            const { workDir } = yield* Run
            const file = path.join(workDir, clusterFileName(state.counters.epoch + 1))
            yield* Files.use((f) => f.writeBytes(file, encodeLabels(labels))).pipe(
              Effect.mapError((e) => fail('after_train_epoch', `${e.path}: ${e.message}`)),
            )
            return state
          }),
      },
    })
  },
}
