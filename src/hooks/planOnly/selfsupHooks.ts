/**
 * MMSelfSup's hooks that loopwright does not implement yet, as plan-only types: their arguments, class priority
 * (NORMAL: none of them overrides `Hook.priority`) and the stages their classes override, read from MMSelfSup 1.x.
 * `train` refuses them. SimSiamHook, DenseCLHook and SwAVHook are real hooks (src/hooks/).
 * @module
 */
import * as P from '../../dsl/Priority.js'
import { boolean, json, number, positiveInt, record, struct } from '../../schema/codec.js'
import { planOnlyHook } from './planOnlyHook.js'

const reason =
  "MMSelfSup's hooks are being implemented (src/selfsup/); plan the config with loopwright dry-run meanwhile"

// Where the real hooks keep pseudo-labels and the memory bank decides these names; the contract suite checks them.
const deepClusterReads = ['model.params', 'model.buffers']
const deepClusterWrites = ['model.params', 'model.loss_weight', 'data.pseudo_labels', 'files', 'log']

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
  // Extracts features (the model forward), clusters them, gives the dataset and the sampler the pseudo-labels,
  // the loss its class weights, re-initialises the head and saves the labels (`cluster_epoch_*.npy`).
  touches: {
    before_train: { reads: deepClusterReads, writes: deepClusterWrites },
    after_train_epoch: { reads: deepClusterReads, writes: deepClusterWrites },
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
  // ODC's memory bank (`model.memory_bank`): centroids updated, small clusters dealt with, class weights reset.
  touches: {
    after_train_iter: {
      reads: ['model.memory_bank'],
      writes: ['model.memory_bank', 'model.params', 'model.loss_weight', 'log'],
    },
    after_train_epoch: { reads: ['model.memory_bank'], writes: ['files'] },
  },
})
