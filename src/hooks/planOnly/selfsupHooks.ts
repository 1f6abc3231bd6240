/**
 * MMSelfSup's five hooks as plan-only types: their arguments, class priority
 * (NORMAL: none of them overrides `Hook.priority`) and the stages their
 * classes override, read from MMSelfSup 1.x. The sslmodels work replaces
 * these with the real hooks; until then `train` refuses them.
 * @module
 */
import * as P from '../../dsl/Priority.js'
import { array, boolean, json, nonNegativeInt, number, positiveInt, record, struct } from '../../schema/codec.js'
import { erase } from '../HookType.js'
import type { HookType } from '../HookType.js'
import { planOnlyHook } from './planOnlyHook.js'

const reason =
  "MMSelfSup's hooks are being implemented (src/selfsup/); plan the config with loopwright dry-run meanwhile"

/** `DeepClusterHook`: clusters the train set's features before training and after every `interval` epochs. */
export const DeepClusterHook = planOnlyHook({
  name: 'DeepClusterHook',
  defaultPriority: P.NORMAL,
  args: struct(
    'DeepClusterHook arguments',
    {
      extract_dataloader: record(json, 'a dataloader dict'),
      clustering: record(json, 'a clustering dict'),
      unif_sampling: boolean,
      reweight: boolean,
      reweight_pow: number,
    },
    { init_memory: boolean, initial: boolean, interval: positiveInt, seed: json },
  ),
  stages: ['before_train', 'after_train_epoch'],
  reason,
  // Extracts features, clusters them, sets the sampler's pseudo-labels and re-initialises the head.
  touches: {
    before_train: { reads: ['model.params'], writes: ['memory', 'data.sampler', 'model.params'] },
    after_train_epoch: { reads: ['model.params'], writes: ['memory', 'data.sampler', 'model.params'] },
  },
})

/** `DenseCLHook`: keeps the model's `loss_lambda` at 0 for the first `start_iters` iterations. */
export const DenseCLHook = planOnlyHook({
  name: 'DenseCLHook',
  defaultPriority: P.NORMAL,
  args: struct('DenseCLHook arguments', {}, { start_iters: nonNegativeInt }),
  stages: ['before_train', 'before_train_iter'],
  reason,
  touches: {
    before_train: { reads: ['model.loss_lambda'], writes: [] },
    before_train_iter: { reads: [], writes: ['model.loss_lambda'] },
  },
})

/** `ODCHook`: updates ODC's centroids and deals with small clusters every few iterations. */
export const ODCHook = planOnlyHook({
  name: 'ODCHook',
  defaultPriority: P.NORMAL,
  args: struct(
    'ODCHook arguments',
    {
      centroids_update_interval: positiveInt,
      deal_with_small_clusters_interval: positiveInt,
      evaluate_interval: positiveInt,
      reweight: boolean,
      reweight_pow: number,
    },
    { dist_mode: boolean },
  ),
  stages: ['after_train_iter', 'after_train_epoch'],
  reason,
  touches: {
    after_train_iter: { reads: ['memory'], writes: ['memory', 'model.params'] },
    after_train_epoch: { reads: ['memory'], writes: [] },
  },
})

/** `SimSiamHook`: holds the predictor's lr fixed (`fix_pred_lr`) while the rest follows the schedule. */
export const SimSiamHook = planOnlyHook({
  name: 'SimSiamHook',
  defaultPriority: P.NORMAL,
  args: struct('SimSiamHook arguments', { fix_pred_lr: boolean, lr: number }, { adjust_by_epoch: boolean }),
  stages: ['before_train_epoch', 'before_train_iter'],
  reason,
  // Sets the predictor group's lr back to `lr` after the schedulers have moved it.
  touches: {
    before_train_epoch: { reads: [], writes: ['optim.lr'] },
    before_train_iter: { reads: [], writes: ['optim.lr'] },
  },
})

/** `SwAVHook`: the feature queue (from `epoch_queue_starts`) and the prototypes frozen for the first iterations. */
export const SwAVHook = planOnlyHook({
  name: 'SwAVHook',
  defaultPriority: P.NORMAL,
  args: struct(
    'SwAVHook arguments',
    { batch_size: positiveInt },
    {
      epoch_queue_starts: nonNegativeInt,
      crops_for_assign: array(nonNegativeInt),
      feat_dim: positiveInt,
      queue_length: nonNegativeInt,
      interval: positiveInt,
      frozen_layers_cfg: record(json, 'a dict of layer name to iterations'),
    },
  ),
  stages: ['before_run', 'before_train_epoch', 'before_train_iter', 'after_train_epoch'],
  reason,
  touches: {
    before_run: { reads: [], writes: ['queue'] },
    before_train_epoch: { reads: [], writes: ['queue'] },
    before_train_iter: { reads: [], writes: ['model.params'] },
    after_train_epoch: { reads: ['queue'], writes: [] },
  },
})

/** All five, for the hook registry. */
export const selfsupHookTypes: ReadonlyArray<HookType<unknown>> = [
  erase(DeepClusterHook),
  erase(DenseCLHook),
  erase(ODCHook),
  erase(SimSiamHook),
  erase(SwAVHook),
]
