/** Tiny configs of every algorithm on a SmallCNN over 8×8 single-channel images, and seeded two-view batches. */
import * as tf from '@tensorflow/tfjs-core'
import type { Json } from '../../../../src/dsl/MessageHub.js'
import type { Model } from '../../../../src/models/Model.js'
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

/** What {@link profiledStep} measured: losses as numbers, gradients by name, and its `tf.profile`. */
export interface ProfiledStep {
  readonly losses: { readonly [name: string]: number }
  readonly gradients: { readonly [name: string]: Float32Array }
  /** The parameters' ranks by name (the tensors are disposed). */
  readonly ranks: { readonly [name: string]: number }
  /** The step's peak bytes beyond what it left allocated. */
  readonly peak: number
  /** How many times the kernel `kernel` ran. */
  readonly calls: (kernel: string) => number
  /** Tensors left behind by the step (0 when it frees what it makes). */
  readonly leaked: number
}

/**
 * One differentiated step of `model` on two seeded views of `batch` images, under `tf.profile`: the loss is `total`
 * of the step's losses. Parameters, buffers and inputs are disposed afterwards.
 */
export const profiledStep = async (
  model: Model,
  batch: number,
  attributes: { readonly [name: string]: Json },
  total: (losses: { readonly [name: string]: tf.Scalar }) => tf.Scalar,
): Promise<ProfiledStep> => {
  const { params, buffers } = model.init(Rng.make(1))
  const names = Object.keys(params)
  const x = twoViews(batch, 3)
  const before = tf.memory().numTensors
  let losses: { [name: string]: number } = {}
  let gradients: { [name: string]: Float32Array } = {}
  const profile = await tf.profile(() => {
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const r = model.loss!(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), buffers, x, tf.zeros([batch]), {
        training: true,
        rng: Rng.make(0),
        iter: 1,
        maxIters: 10,
        attributes,
      })
      losses = Object.fromEntries(Object.entries(r.losses).map(([n, l]) => [n, l.dataSync()[0]!]))
      tf.dispose(Object.values(r.buffers).filter((b) => !Object.values(buffers).includes(b)))
      return total(r.losses as { [name: string]: tf.Scalar })
    })(names.map((n) => params[n]!))
    gradients = Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array]))
    tf.dispose([value, ...grads])
    return undefined as unknown as tf.TensorContainer
  })
  const leaked = tf.memory().numTensors - before
  const ranks = Object.fromEntries(names.map((n) => [n, params[n]!.rank]))
  tf.dispose([x, ...Object.values(params), ...Object.values(buffers)])
  // tfjs reuses the profile object for the next profile: take the kernel names now.
  const kernels = profile.kernels.map((k) => k.name)
  const calls = (kernel: string) => kernels.filter((k) => k === kernel).length
  return { losses, gradients, ranks, peak: profile.peakBytes - profile.newBytes, calls, leaked }
}

/** The largest gradient difference between `a` and `b`, each gradient's over its own scale (at least 1e-3). */
export const gradientGap = (
  a: { readonly [name: string]: Float32Array },
  b: { readonly [name: string]: Float32Array },
): number => {
  let worst = 0
  for (const [name, g] of Object.entries(b)) {
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs))
    g.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - a[name]![i]!) / scale)
    })
  }
  return worst
}
