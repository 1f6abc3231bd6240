/**
 * DeepCluster and ODC trained through the tensor interpreter with their hooks, on 32 MNIST images: cluster files,
 * pseudo-labels, the memory, and kill-and-resume (a run stopped mid-epoch and resumed ends bit-identical).
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLUSTERING_LABEL } from '../../../../src/data/deepClusterSampler.js'
import type { State } from '../../../../src/dsl/State.js'
import { train } from '../../../../src/interpreters/tensor/train.js'
import type { TrainOptions, TrainResult } from '../../../../src/interpreters/tensor/train.js'
import { MEMORY } from '../../../../src/selfsup/algorithms/ODC.js'
import { decodeLabels } from '../../../../src/selfsup/clusterFile.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { programOf, tempDir } from '../../interpreters/tensor/support.js'

const backbone = { type: 'SmallCNN', in_channels: 1, base_channels: 4, stages: 2, img_size: 28 }
const mnist = (pipeline?: object[]) => ({
  type: 'MNIST',
  split: 'train',
  indices: 32,
  ...(pipeline === undefined ? {} : { pipeline }),
})
const trainPipeline = [
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PackSelfSupInputs', algorithm_keys: ['sample_idx'], meta_keys: ['img_path'] },
]
const extractDataloader = {
  batch_size: 12,
  sampler: { type: 'DefaultSampler', shuffle: false, round_up: true },
  dataset: mnist(),
}
const head = { type: 'ClsHead', loss: { type: 'mmcls.CrossEntropyLoss' }, with_avg_pool: false, in_channels: 8 }

/** Three epochs of two batches of 16; a checkpoint after iteration 3 (inside epoch 1). */
const common = (replace: boolean) => ({
  train_dataloader: {
    batch_size: 16,
    sampler: { type: 'DeepClusterSampler', shuffle: true, replace },
    dataset: mnist(trainPipeline),
  },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 3 },
  optim_wrapper: {
    optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 },
    paramwise_cfg: { custom_keys: { head: { momentum: 0 } } },
  },
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1 },
    checkpoint: { type: 'CheckpointHook', interval: 3, by_epoch: false },
  },
  randomness: { seed: 3 },
})

const deepClusterConfig = {
  ...common(false),
  model: {
    type: 'DeepCluster',
    backbone,
    neck: { type: 'AvgPool2dNeck' },
    head: { ...head, num_classes: 4 },
  },
  custom_hooks: [
    {
      type: 'DeepClusterHook',
      extract_dataloader: extractDataloader,
      clustering: { type: 'Kmeans', k: 4, pca_dim: -1 },
      unif_sampling: true,
      reweight: true,
      reweight_pow: 0.5,
    },
  ],
}

const odcConfig = {
  ...common(true),
  model: {
    type: 'ODC',
    backbone,
    neck: { type: 'ODCNeck', in_channels: 8, hid_channels: 16, out_channels: 8 },
    head: { ...head, num_classes: 4 },
    memory_bank: { type: 'ODCMemory', length: 32, feat_dim: 8, momentum: 0.5, num_classes: 4, min_cluster: 3 },
  },
  custom_hooks: [
    {
      type: 'DeepClusterHook',
      extract_dataloader: extractDataloader,
      clustering: { type: 'Kmeans', k: 4, pca_dim: -1 },
      unif_sampling: false,
      reweight: true,
      reweight_pow: 0.5,
      init_memory: true,
      interval: 9999999999,
    },
    {
      type: 'ODCHook',
      centroids_update_interval: 2,
      deal_with_small_clusters_interval: 1,
      evaluate_interval: 2,
      reweight: true,
      reweight_pow: 0.5,
    },
  ],
}

interface Seen {
  readonly outputs: Array<{ readonly [name: string]: number }>
  readonly memory: Array<{ readonly [name: string]: Float32Array | Int32Array | Uint8Array }>
  readonly logs: string[]
  /** `tf.memory().numTensors` after each step, and before and after the run. */
  readonly tensors: number[]
  before: number
  after: number
}

const run = async (config: object, options: Partial<TrainOptions> = {}): Promise<TrainResult & { seen: Seen }> => {
  const seen: Seen = { outputs: [], memory: [], logs: [], tensors: [], before: tf.memory().numTensors, after: 0 }
  const result = await Effect.runPromise(
    Effect.result(
      train(programOf(config), {
        workDir: tempDir(),
        print: (_level, message) => void seen.logs.push(message),
        timestamp: 'test',
        afterTrainStep: (state: State, read) => {
          seen.tensors.push(tf.memory().numTensors)
          seen.outputs.push(state.outputs)
          const banks = Object.fromEntries(
            Object.values(MEMORY)
              .filter((n) => state.model.buffers[n] !== undefined)
              .map((n) => [n, state.model.buffers[n]!]),
          )
          seen.memory.push(read(banks))
        },
        ...options,
      }),
    ),
  )
  if (result._tag === 'Failure') throw new Error(result.failure.message)
  seen.after = tf.memory().numTensors
  return { ...result.success, seen }
}

const expectSameParams = (a: TrainResult, b: TrainResult): void => {
  for (const [name, p] of Object.entries(a.params))
    expect(Array.from(b.params[name]!.values), name).toEqual(Array.from(p.values))
}

beforeAll(async () => {
  await useCpu()
})

describe('DeepCluster with DeepClusterHook', () => {
  it('clusters before training and after every epoch, writes cluster_epoch_<n>.npy, trains on the labels', async () => {
    const result = await run(deepClusterConfig)
    expect(result.iterations).toBe(6)
    // before_train (epoch 0) and after epochs 0, 1, 2: MMSelfSup names the files by runner.epoch, so 0 comes twice.
    for (const n of [0, 1, 2]) {
      const labels = decodeLabels(
        new Uint8Array(fs.readFileSync(nodePath.join(result.workDir, `cluster_epoch_${n}.npy`))),
      )
      expect(labels).toHaveLength(32)
      for (const l of labels) expect(l >= 0 && l < 4).toBe(true)
    }
    expect(result.seen.logs.filter((l) => l.startsWith('empty_num: '))).toHaveLength(4)
    const pseudo = result.state.model.attributes[CLUSTERING_LABEL] as number[]
    expect(pseudo).toHaveLength(32)
    const weight = result.state.model.attributes['loss_weight'] as number[]
    expect(weight.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    for (const o of result.seen.outputs) {
      expect(Number.isFinite(o['loss'])).toBe(true)
      // The spread CollapseDetectionHook watches: in (0, 1] for unit-normalised features that are not all equal.
      expect(o['feat_std']).toBeGreaterThan(0)
      expect(o['feat_std']).toBeLessThanOrEqual(1)
    }
    // The interpreter owns every tensor: re-clustering and the redrawn head replace tensors, never add them.
    expect(new Set(result.seen.tensors).size).toBe(1)
    expect(result.seen.after).toBe(result.seen.before)
  }, 120_000)

  it('resumed inside an epoch (uniform sampling active) ends bit-identical to the uninterrupted run', async () => {
    const whole = await run(deepClusterConfig)
    const resumed = await run(deepClusterConfig, { resume: nodePath.join(whole.workDir, 'iter_3.safetensors') })
    expect(resumed.iterations).toBe(6)
    expectSameParams(whole, resumed)
    expect(resumed.state.model.attributes[CLUSTERING_LABEL]).toEqual(whole.state.model.attributes[CLUSTERING_LABEL])
    expect(resumed.seen.outputs.map((o) => o['loss'])).toEqual(whole.seen.outputs.slice(3).map((o) => o['loss']))
  }, 120_000)
})

describe('ODC with DeepClusterHook(init_memory=True) and ODCHook', () => {
  it('fills the memory once, keeps its features L2-normalised and logs change_ratio', async () => {
    const result = await run(odcConfig)
    expect(result.iterations).toBe(6)
    expect(result.seen.logs.filter((l) => l.startsWith('DeepClusterHook: k-means'))).toHaveLength(1)
    for (const banks of result.seen.memory) {
      const features = banks[MEMORY.featureBank]!
      for (let i = 0; i < 32; i++) {
        const norm = Math.hypot(...Array.from(features.subarray(i * 8, i * 8 + 8)))
        expect(norm).toBeCloseTo(1, 5)
      }
    }
    for (const o of result.seen.outputs) {
      expect(o['feat_std']).toBeGreaterThan(0)
      expect(o['change_ratio']).toBeGreaterThanOrEqual(0)
      expect(o['change_ratio']).toBeLessThanOrEqual(1)
    }
    expect(new Set(result.seen.tensors).size).toBe(1)
    expect(result.seen.after).toBe(result.seen.before)
    expect(result.state.model.attributes['head.loss.class_weight']).toEqual(
      result.state.model.attributes['loss_weight'],
    )
  }, 120_000)

  it('resumed inside an epoch ends bit-identical: parameters and the whole memory', async () => {
    const whole = await run(odcConfig)
    const resumed = await run(odcConfig, { resume: nodePath.join(whole.workDir, 'iter_3.safetensors') })
    expect(resumed.iterations).toBe(6)
    expectSameParams(whole, resumed)
    const last = (r: typeof whole) => r.seen.memory.at(-1)!
    for (const name of Object.values(MEMORY))
      expect(Array.from(last(resumed)[name]!), name).toEqual(Array.from(last(whole)[name]!))
  }, 120_000)
})
