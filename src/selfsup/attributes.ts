/**
 * The names under which MMSelfSup's algorithms and hooks exchange values through the state: model attributes a hook
 * sets and a loss reads, memory buffers, the scalar an algorithm logs. Pure, so that hooks (and the dry run that
 * registers them) name them without loading the algorithms' tensor code.
 * @module
 */
import { join } from './Component.js'

/** The name under which an algorithm logs its feature spread (`train/feat_std` in the message hub). */
export const FEAT_STD = 'feat_std'

/**
 * The model attribute (set by `SwAVHook.frozen_layers_cfg`) naming fragments of parameter names that get no gradient.
 */
export const FROZEN_LAYERS = 'frozen_layers'

/** The model attribute holding the loss weight per class (MMSelfSup's `loss_weight` buffer). */
export const LOSS_WEIGHT = 'loss_weight'

/** The model attribute with the memory's settings (`length`, `feat_dim`, `momentum`, `num_classes`, `min_cluster`). */
export const MEMORY_SETTINGS = 'memory_bank'

/** The memory's buffers, by MMSelfSup's attribute names under `memory_bank`. */
export const MEMORY = {
  featureBank: 'memory_bank.feature_bank',
  labelBank: 'memory_bank.label_bank',
  centroids: 'memory_bank.centroids',
} as const

/** The attribute `SwAVHook` sets to make the loss under `prefix` create its queue. */
export const queueLengthAttribute = (prefix: string): string => join(prefix, 'queue_length')

/**
 * The model attribute listing buffers that each data-parallel replica keeps for itself, which `SyncBuffersHook`
 * leaves alone: SwAV's queue (MMSelfSup keeps it outside the module, one per rank, of the rank's own embeddings).
 */
export const RANK_LOCAL_BUFFERS = 'rank_local_buffers'
