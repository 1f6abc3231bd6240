/**
 * MMCV's `norm_cfg` as MMPretrain's ResNet and MMSelfSup's necks and heads take it. Only BatchNorm
 * kinds are accepted; in one process `SyncBN` is plain BatchNorm (the same
 * batch statistics, biased variance, eps 1e-5, momentum 0.1); across
 * data-parallel workers its batch statistics span every worker's batch.
 * @module
 */
import { literal, struct } from '../schema/codec.js'
import type { Replicas } from '../tensor/Replicas.js'

/** `dict(type='SyncBN' | 'BN' | 'BN1d')`. */
export const normCfg = struct('a norm_cfg dict (type BN, BN1d or SyncBN)', { type: literal('SyncBN', 'BN', 'BN1d') })

/**
 * The BatchNorm options of a layer of `norm_cfg` type `normType`: the data-parallel replicas when it is `SyncBN` and
 * several workers train (synchronised batch statistics), none otherwise.
 *
 * @example
 * ```ts
 * const synced = syncedIn(a.norm_cfg?.type ?? 'SyncBN', ctx.replicas)
 * BatchNorm.apply1d(params, buffers, 'bn0', y, { training: ctx.training, ...synced })
 * ```
 */
export const syncedIn = (normType: string, replicas: Replicas | undefined): { readonly replicas?: Replicas } =>
  normType === 'SyncBN' && replicas !== undefined ? { replicas } : {}
