/**
 * The name mapping of sequential MMSelfSup scenarios (`steps[]`): every name
 * a step record, a `final_*` output or a generator action may use for a piece
 * of state, and the loopwright quantity it stands for. This table is the one
 * place these names live (docs/conformance.md prints it); a recorded name
 * that is in no row is a FAIL, never a pass. Names are matched as written
 * first, then normalised: lower case, the owner prefixes MMSelfSup's objects
 * give them dropped (`runner.`, `model.`, `head.loss.`, `loss.`, `hook.`,
 * `optimizer.`, `memory.`, `state.`, also with `_` in place of `.`), and the
 * suffix `_after` dropped. `head.loss.queue`,
 * `hook.queue` and `queue_after` all name the queue.
 */

/** What a recorded state name stands for, as loopwright computes it. */
export type Quantity =
  | 'params'
  | 'update'
  | 'momentum_buffer'
  | 'optimizer_state'
  | 'local_lr'
  | 'actual_lr'
  | 'weight_norm'
  | 'grad_norm'
  | 'lr'
  | 'param_groups'
  | 'fix_lr'
  | 'loss_lambda'
  | 'remembered_loss_lambda'
  | 'requires_grad'
  | 'queue'
  | 'queue_shape'
  | 'queue_is_none'
  | 'use_queue'
  | 'queue_length'
  | 'queue_ptr'
  | 'queue2'
  | 'queue2_ptr'
  | 'epoch'
  | 'iter'
  | 'feature_bank'
  | 'label_bank'
  | 'centroids'
  | 'change_ratio'
  | 'histogram'
  | 'clustering_labels'
  | 'loss_weight'
  | 'class_weight'
  | 'unif_sampling_flag'
  | 'sampler_indices'
  | 'empty_num'
  | 'min_cluster_size'
  | 'max_cluster_size'
  | 'saved_files'
  | 'head_init_calls'

/** One row of the table: the names recorded for a quantity, and what loopwright reads for it. */
export interface FieldRow {
  readonly quantity: Quantity
  readonly names: ReadonlyArray<string>
  readonly meaning: string
}

/** The table. Names are given after normalisation. */
export const fieldTable: ReadonlyArray<FieldRow> = [
  {
    quantity: 'params',
    names: ['params', 'param', 'parameters', 'param_values', 'weights'],
    meaning: 'parameter values after the call, by parameter name',
  },
  {
    quantity: 'update',
    names: ['update', 'updates', 'delta', 'param_update'],
    meaning: 'parameters before the call minus after it (float32 subtraction), by name',
  },
  {
    quantity: 'momentum_buffer',
    names: ['momentum_buffer', 'momentum_buffers', 'buf', 'bufs'],
    meaning: "the optimizer's momentum slot of each parameter (null before its first step or without momentum)",
  },
  {
    quantity: 'optimizer_state',
    names: ['optimizer_state', 'opt_state', 'param_state', 'optim_state'],
    meaning: "torch's `optimizer.state` per parameter: `{momentum_buffer}` once it has one, `{}` before",
  },
  {
    quantity: 'local_lr',
    names: ['local_lr', 'local_lrs', 'lars_local_lr', 'trust_ratio', 'trust_ratios'],
    meaning: "LARS's layer-wise lr of each parameter at the step (1 where excluded), by name; null without a gradient",
  },
  {
    quantity: 'actual_lr',
    names: ['actual_lr', 'actual_lrs', 'scaled_lr'],
    meaning: "LARS's `local_lr × lr` of each parameter at the step, by name",
  },
  {
    quantity: 'weight_norm',
    names: ['weight_norm', 'weight_norms', 'param_norm', 'param_norms'],
    meaning: '‖p‖ before the step, as LARS takes it (null where its group is excluded or it has no gradient)',
  },
  {
    quantity: 'grad_norm',
    names: ['grad_norm', 'grad_norms'],
    meaning: '‖g‖ at the step, as LARS takes it (null where its group is excluded or it has no gradient)',
  },
  {
    quantity: 'lr',
    names: ['lr', 'lrs', 'group_lr', 'group_lrs', 'param_group_lr', 'param_group_lrs', 'lr_per_group'],
    meaning: "each param group's lr, in group order (a number when there is one group)",
  },
  {
    quantity: 'param_groups',
    names: ['param_groups', 'groups'],
    meaning: "each param group's hyper-parameters (and `params`/`param_names`: its parameter names)",
  },
  { quantity: 'fix_lr', names: ['fix_lr', 'fix_lrs'], meaning: "each group's `fix_lr` flag (false where unset)" },
  {
    quantity: 'loss_lambda',
    names: ['loss_lambda'],
    meaning: "the model attribute `loss_lambda` (DenseCL's loss weight) in the run's state",
  },
  {
    quantity: 'remembered_loss_lambda',
    names: ['hook.loss_lambda', 'hook_loss_lambda', 'densecl_hook_loss_lambda', 'remembered_loss_lambda'],
    meaning: "the `loss_lambda` DenseCLHook remembered at before_train (the hook's own state)",
  },
  {
    quantity: 'requires_grad',
    names: ['requires_grad', 'requires_grads', 'param_requires_grad'],
    meaning: 'per parameter name: false where a name is frozen by the model attribute `frozen_layers`',
  },
  {
    quantity: 'queue',
    names: ['queue', 'queues', 'swav_queue', 'queue1'],
    meaning:
      "the component's queue. SwAV: null until SwAVHook asks for one (attribute `head.loss.queue_length`), then " +
      'the zero queue `[len(crops_for_assign), queue_length / world_size, feat_dim]` the loss creates from it; ' +
      'MoCo/DenseCL: the `[feat_dim, queue_len]` key queue',
  },
  { quantity: 'queue_ptr', names: ['queue_ptr', 'ptr', 'queue1_ptr'], meaning: 'MoCo/DenseCL: the queue pointer' },
  { quantity: 'queue2', names: ['queue2'], meaning: "DenseCL's second (dense) queue" },
  { quantity: 'queue2_ptr', names: ['queue2_ptr', 'ptr2'], meaning: "DenseCL's second queue's pointer" },
  { quantity: 'queue_shape', names: ['queue_shape', 'queue_size'], meaning: "the queue's shape, null without one" },
  { quantity: 'queue_is_none', names: ['queue_is_none', 'queue_none'], meaning: 'true while there is no queue' },
  {
    quantity: 'use_queue',
    names: ['use_queue'],
    meaning:
      "whether SwAVLoss's next forward uses the queue: the queue exists and its last row is non-zero (loopwright " +
      'derives the flag; it keeps no separate one)',
  },
  {
    quantity: 'queue_length',
    names: ['queue_length'],
    meaning: "SwAVHook's queue length: the configured one, rounded down to the global batch at before_run",
  },
  { quantity: 'epoch', names: ['runner_epoch', 'current_epoch'], meaning: "the run's epoch counter (0-based)" },
  { quantity: 'iter', names: ['runner_iter', 'current_iter'], meaning: "the run's iteration counter (0-based)" },
  { quantity: 'feature_bank', names: ['feature_bank'], meaning: "ODCMemory's feature bank" },
  { quantity: 'label_bank', names: ['label_bank'], meaning: "ODCMemory's label bank" },
  { quantity: 'centroids', names: ['centroids'], meaning: "ODCMemory's centroids" },
  {
    quantity: 'change_ratio',
    names: ['change_ratio'],
    meaning: "the fraction of labels the last update changed (float32, as MMSelfSup's tensor)",
  },
  {
    quantity: 'histogram',
    names: ['histogram', 'hist', 'label_histogram', 'cluster_histogram', 'class_histogram'],
    meaning:
      'the number of samples per cluster, `num_classes` long: the label bank bincount; DeepClusterHook without a ' +
      "memory: the bincount of its last clustering's labels (`clustering.k` long)",
  },
  {
    quantity: 'clustering_labels',
    names: ['clustering_labels', 'clustering_label', 'new_labels', 'pseudo_labels', 'assigned_labels'],
    meaning:
      "the dataset's pseudo-labels (`dataset.clustering_labels`, loopwright's model attribute `clustering_label`); " +
      '-1 for every sample before the first clustering, as `DeepClusterImageNet` starts',
  },
  {
    quantity: 'loss_weight',
    names: ['loss_weight', 'loss_weights'],
    meaning: "the model's per-class loss weight (attribute `loss_weight`); uniform `1 / num_classes` until reweighted",
  },
  {
    quantity: 'class_weight',
    names: ['class_weight', 'class_weights'],
    meaning: "the head loss's `class_weight` (attribute `head.loss.class_weight`), null until ODCHook sets it",
  },
  {
    quantity: 'unif_sampling_flag',
    names: ['unif_sampling_flag', 'uniform_sampling', 'use_uniform_sampling'],
    meaning:
      "DeepClusterSampler's flag: uniform indices are set and not yet drawn by an epoch's iteration (attribute " +
      '`clustering_uniform` for an epoch not begun)',
  },
  {
    quantity: 'sampler_indices',
    names: ['sampler_indices', 'uniform_indices', 'indices'],
    meaning:
      "DeepClusterSampler's uniform indices: SKIP, since MMSelfSup draws them from numpy's global RNG " +
      '(`np.random.seed(epoch)`) and loopwright from its own seeded stream (`src/data/deepClusterSampler.ts`)',
  },
  { quantity: 'empty_num', names: ['empty_num', 'empty_cls', 'num_empty'], meaning: 'the logged histogram: empty' },
  {
    quantity: 'min_cluster_size',
    names: ['min_cluster', 'minimal_cls_size', 'min_cluster_size'],
    meaning: 'the logged histogram: the smallest cluster (the last `empty_num: … min_cluster: … max_cluster:…` line)',
  },
  {
    quantity: 'max_cluster_size',
    names: ['max_cluster', 'maximal_cls_size', 'max_cluster_size'],
    meaning: 'the logged histogram: the largest cluster',
  },
  {
    quantity: 'saved_files',
    names: ['saved_files', 'cluster_files', 'saved_cluster_files', 'files_saved'],
    meaning: 'the files the hook has written so far, by name under `work_dir`, in order (`cluster_epoch_<n>.npy`)',
  },
  {
    quantity: 'head_init_calls',
    names: ['head_init_weights_calls', 'head_init_calls', 'head_reinit_count', 'head_reinitialised', 'head_reinit'],
    meaning:
      'how often the head was drawn afresh (`head.init_weights()`; loopwright: `ModelOps.reinitialise(state, ' +
      "'head', …)`), a count or, recorded as a boolean, whether it has been drawn afresh",
  },
]

/** Fields of a step record that say which call it follows; they drive the replay and are not state. */
export const identifyingFields: ReadonlySet<string> = new Set(['step', 'event', 'epoch', 'iter', 'batch_idx', 'idx'])

const tableNames: ReadonlySet<string> = new Set(fieldTable.flatMap((row) => row.names))

const prefixes = [
  ...['runner', 'model', 'module', 'head.loss', 'head_loss', 'loss', 'hook', 'optimizer', 'memory_bank', 'memory'],
  ...['state', 'data_loader', 'train_dataloader', 'dataset', 'sampler'],
]

/** A recorded name with owner prefixes and `_after` removed, lower case (`head.loss.queue_after` → `queue`). */
export const normalise = (name: string): string => {
  const bare = (n: string) => (n.endsWith('_after') ? n.slice(0, -'_after'.length) : n)
  let n = name.toLowerCase()
  // A name of the table stays whole: `loss_lambda` and `loss_weight` are not `lambda`, `weight` owned by a loss.
  while (!tableNames.has(bare(n))) {
    const owner = prefixes.flatMap((p) => [`${p}.`, `${p}_`]).find((p) => n.startsWith(p))
    if (owner === undefined) break
    n = n.slice(owner.length)
  }
  return bare(n)
}

const byName: ReadonlyMap<string, Quantity> = new Map(
  fieldTable.flatMap((row) => row.names.map((n) => [n, row.quantity] as const)),
)

/**
 * The quantity a recorded name stands for, or undefined when the table has no row for it. A name the table holds as
 * written (`hook.loss_lambda`, the hook's own copy) wins over its normalised form.
 */
export const quantityOf = (name: string): Quantity | undefined =>
  byName.get(name.toLowerCase()) ?? byName.get(normalise(name))

/**
 * A flag of some parameters named in the field (`prototypes_requires_grad`,
 * `head.prototypes.weight.requires_grad`): the part before `requires_grad`, which selects the parameters whose names
 * contain it.
 */
export const requiresGradSelector = (name: string): string | undefined => /^(.+?)[._]requires_grad$/.exec(name)?.[1]
