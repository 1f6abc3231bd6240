/** Tiny configs of every algorithm on a SmallCNN over 8×8 single-channel images, and seeded two-view batches. */
import * as tf from '@tensorflow/tfjs-core'
import * as Rng from '../../../../src/dsl/Rng.js'
import { uniformValues } from '../../../../src/models/init.js'

export const backbone = { type: 'SmallCNN', in_channels: 1, base_channels: 4, stages: 2, img_size: 8 }
const projector = (out: number, extra: object = {}) => ({
  type: 'NonLinearNeck',
  in_channels: 8,
  hid_channels: 16,
  out_channels: out,
  ...extra,
})
const predictor = (width: number) => ({
  type: 'NonLinearNeck',
  in_channels: width,
  hid_channels: 8,
  out_channels: width,
  with_avg_pool: false,
  with_last_bn: false,
  with_last_bias: true,
})

/** A model config per algorithm, shaped like MMSelfSup's own (loss types, head types, extra arguments). */
export const algorithmConfigs: { readonly [type: string]: object } = {
  SimSiam: {
    type: 'SimSiam',
    backbone,
    neck: projector(8, { num_layers: 3, with_last_bn_affine: false }),
    head: { type: 'LatentPredictHead', loss: { type: 'CosineSimilarityLoss' }, predictor: predictor(8) },
  },
  BYOL: {
    type: 'BYOL',
    base_momentum: 0.99,
    backbone,
    neck: projector(8, { with_bias: true, with_last_bn: false, with_avg_pool: true }),
    head: {
      type: 'LatentPredictHead',
      loss: { type: 'CosineSimilarityLoss', shift_factor: 2.0, scale_factor: 2.0 },
      predictor: predictor(8),
    },
  },
  MoCo: {
    type: 'MoCo',
    queue_len: 32,
    feat_dim: 8,
    momentum: 0.99,
    backbone,
    neck: { type: 'MoCoV2Neck', in_channels: 8, hid_channels: 16, out_channels: 8, with_avg_pool: true },
    head: { type: 'ContrastiveHead', loss: { type: 'mmcls.CrossEntropyLoss' }, temperature: 0.2 },
  },
  MoCoV3: {
    type: 'MoCoV3',
    base_momentum: 0.99,
    backbone,
    neck: projector(8, { num_layers: 3, with_last_bn_affine: false }),
    head: {
      type: 'MoCoV3Head',
      predictor: {
        type: 'NonLinearNeck',
        in_channels: 8,
        hid_channels: 16,
        out_channels: 8,
        with_avg_pool: false,
        with_last_bn_affine: false,
      },
      loss: { type: 'mmcls.CrossEntropyLoss', loss_weight: 2 * 0.2 },
      temperature: 0.2,
    },
  },
  SimCLR: {
    type: 'SimCLR',
    backbone,
    neck: {
      type: 'NonLinearNeck',
      in_channels: 8,
      hid_channels: 16,
      out_channels: 8,
      num_layers: 2,
      with_avg_pool: true,
    },
    head: { type: 'ContrastiveHead', loss: { type: 'mmcls.CrossEntropyLoss' }, temperature: 0.1 },
  },
  DenseCL: {
    type: 'DenseCL',
    queue_len: 32,
    feat_dim: 8,
    momentum: 0.99,
    loss_lambda: 0.5,
    backbone,
    neck: { type: 'DenseCLNeck', in_channels: 8, hid_channels: 16, out_channels: 8 },
    head: { type: 'ContrastiveHead', loss: { type: 'mmcls.CrossEntropyLoss' }, temperature: 0.2 },
  },
  SwAV: {
    type: 'SwAV',
    backbone,
    neck: { type: 'SwAVNeck', in_channels: 8, hid_channels: 16, out_channels: 8, norm_cfg: { type: 'SyncBN' } },
    head: {
      type: 'SwAVHead',
      loss: {
        type: 'SwAVLoss',
        feat_dim: 8,
        epsilon: 0.05,
        temperature: 0.1,
        num_crops: [2],
        crops_for_assign: [0, 1],
        num_prototypes: 10,
      },
    },
  },
  BarlowTwins: {
    type: 'BarlowTwins',
    backbone,
    neck: {
      type: 'NonLinearNeck',
      in_channels: 8,
      hid_channels: 16,
      out_channels: 16,
      num_layers: 3,
      with_last_bias: false,
      with_last_bn: false,
      with_last_bn_affine: false,
      with_avg_pool: true,
    },
    head: { type: 'LatentCrossCorrelationHead', in_channels: 16, loss: { type: 'CrossCorrelationLoss' } },
  },
}

/** `n` images of 8×8, each seen twice: as is, and mirrored with a little seeded noise (`[n, 2, 8, 8, 1]`). */
export const twoViewValues = (n: number, seed: number): Float32Array => {
  const [base, r] = uniformValues(Rng.make(seed), n * 64, 0, 1)
  const [noise] = uniformValues(r, n * 64, -0.1, 0.1)
  const out = new Float32Array(n * 2 * 64)
  for (let i = 0; i < n; i++)
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        out[i * 128 + y * 8 + x] = base[i * 64 + y * 8 + x]!
        out[i * 128 + 64 + y * 8 + x] = base[i * 64 + y * 8 + (7 - x)]! + noise[i * 64 + y * 8 + x]!
      }
  return out
}

export const twoViews = (n: number, seed: number): tf.Tensor => tf.tensor(twoViewValues(n, seed), [n, 2, 8, 8, 1])
