/**
 * MMCV's `norm_cfg` as MMPretrain's ResNet and MMSelfSup's necks and heads take it. Only BatchNorm
 * kinds are accepted; in one process `SyncBN` is plain BatchNorm (the same
 * batch statistics, biased variance, eps 1e-5, momentum 0.1).
 * @module
 */
import { literal, struct } from '../schema/codec.js'

/** `dict(type='SyncBN' | 'BN' | 'BN1d')`. */
export const normCfg = struct('a norm_cfg dict (type BN, BN1d or SyncBN)', { type: literal('SyncBN', 'BN', 'BN1d') })
