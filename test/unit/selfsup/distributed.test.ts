/**
 * Self-supervised algorithms under data parallel (`--workers N`), as MMSelfSup runs them across processes:
 * the cross-replica helpers over real worker threads (MoCo's queue law, GatherLayer, all_reduce, Sinkhorn), and a
 * short 2-worker run of every algorithm whose replicas end with identical parameters and buffers.
 */
import * as fc from 'fast-check'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLUSTERING_LABEL } from '../../../src/data/deepClusterSampler.js'
import type { Json } from '../../../src/dsl/MessageHub.js'
import type { TrainResult } from '../../../src/interpreters/tensor/train.js'
import { allocate } from '../../../src/interpreters/collective/threads.js'
import { spawnWorker } from '../../../src/interpreters/collective/spawn.js'
import { runRanks as runRanksOf } from '../../support/ranks.js'
import { enqueue } from '../../../src/selfsup/algorithms/queue.js'
import { RANK_LOCAL_BUFFERS } from '../../../src/selfsup/attributes.js'
import { sinkhornTensor } from '../../../src/selfsup/numerics/sinkhornTensor.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { programOf, tempDir } from '../interpreters/tensor/support.js'
import { algorithmConfigs } from './algorithms/support.js'
import { concatFloats } from '../../../src/interpreters/collective/concatFloats.js'

beforeAll(async () => {
  await useCpu()
})

interface Reply {
  readonly ok: boolean
  readonly message?: string
  readonly queue: Float32Array
  readonly ptr: number
  readonly gathered: Float32Array
  readonly gatherGrad: Float32Array
  readonly reduced: Float32Array
  readonly reduceGrad: Float32Array
  readonly codes: Float32Array
  readonly shuffled: Float32Array
  readonly unshuffled: Float32Array
}

const workerModule = new URL('../../support/replicasWorker.ts', import.meta.url)

const runRanks = (jobs: ReadonlyArray<object>): Promise<Reply[]> => runRanksOf<Reply>(workerModule, jobs)

const floats = (n: number) => fc.float32Array({ minLength: n, maxLength: n, noNaN: true, min: -2, max: 2 })

describe('cross-replica helpers over worker threads', () => {
  it("MoCo's queue after k steps is the queue one process builds from the global batches' keys, on every " +
    "replica; MoCo's BN shuffle, GatherLayer, all_reduce and Sinkhorn agree with one process", async () => {
    const featDim = 3
    const prototypes = 4
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({ world: fc.integer({ min: 2, max: 3 }), n: fc.integer({ min: 1, max: 3 }), steps: fc.nat(4) })
          .chain(({ world, n, steps }) =>
            fc.record({
              world: fc.constant(world),
              n: fc.constant(n),
              // Two global batches fit the queue, so it wraps around after two steps.
              queue: floats(featDim * 2 * world * n),
              keys: fc.array(fc.array(floats(n * featDim), { minLength: steps + 1, maxLength: steps + 1 }), {
                minLength: world,
                maxLength: world,
              }),
              scores: fc.array(floats(n * 2 * prototypes), { minLength: world, maxLength: world }),
            }),
          ),
        async ({ world, n, queue, keys, scores }) => {
          const replies = await runRanks(
            keys.map((k, r) => ({ queue, featDim, keys: k, scores: scores[r], prototypes })),
          )
          // One process, enqueueing each step's keys of every replica, in rank order.
          const queueLen = queue.length / featDim
          let q = tf.tensor2d(queue, [featDim, queueLen])
          let ptr: tf.Tensor = tf.zeros([1], 'int32')
          for (let step = 0; step < keys[0]!.length; step++) {
            const global = concatFloats(keys.map((k) => k[step]!))
            const next = enqueue(q, ptr, tf.tensor2d(global, [world * n, featDim]))
            q = next.queue
            ptr = next.ptr
          }
          const expectedQueue = Array.from(q.dataSync())
          const steps = keys[0]!.length
          const firstKeys = concatFloats(keys.map((k) => k[0]!))
          const totals = Float32Array.from(firstKeys.subarray(0, n * featDim), (_, i) =>
            keys.reduce((s, k) => s + k[0]![i]!, 0),
          )
          const codes = sinkhornTensor(tf.tensor2d(concatFloats(scores), [world * n * 2, prototypes])).dataSync()
          replies.forEach((reply, rank) => {
            expect(Array.from(reply.queue)).toEqual(expectedQueue)
            expect(reply.ptr).toBe((steps * world * n) % queueLen)
            expect(Array.from(reply.gathered)).toEqual(Array.from(firstKeys))
            // Σ w ⊙ gathered: this rank's rows of w, nothing of the others'.
            const w = Array.from({ length: n * featDim }, (_, i) => rank * n * featDim + i + 1)
            expect(Array.from(reply.gatherGrad)).toEqual(w)
            expect(Array.from(reply.reduced)).toEqual(Array.from(totals))
            // d/dx Σ (Σ_r x_r) ⊙ x = Σ_r x_r + x: the all-reduce passes the local gradient through.
            const own = keys[rank]![0]!
            expect(Array.from(reply.reduceGrad)).toEqual(Array.from(totals, (s, i) => Math.fround(s + own[i]!)))
            const slice = codes.subarray(rank * n * 2 * prototypes, (rank + 1) * n * 2 * prototypes)
            for (const [i, c] of reply.codes.entries()) expect(c).toBeCloseTo(slice[i]!, 4)
            // The BN shuffle puts every replica's rows back where they were.
            expect(Array.from(reply.unshuffled)).toEqual(Array.from(keys[rank]![0]!))
          })
          // The replicas' shuffled slices together are the global batch's rows, each once.
          const rowsOf = (values: Float32Array) =>
            Array.from({ length: values.length / featDim }, (_, i) =>
              Array.from(values.subarray(i * featDim, (i + 1) * featDim)).join(),
            ).sort()
          expect(rowsOf(concatFloats(replies.map((r) => r.shuffled)))).toEqual(rowsOf(firstKeys))
        },
      ),
      { numRuns: 3 },
    )
  }, 240_000)
})

const backbone = { type: 'SmallCNN', in_channels: 1, base_channels: 4, stages: 2, img_size: 28 }
const mnist = (pipeline: object[]) => ({ type: 'MNIST', split: 'train', indices: 16, pipeline })
const twoViews = [
  { type: 'MultiView', num_views: 2, transforms: [[{ type: 'RandomFlip', prob: 0.5 }]] },
  { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
]
const withIndices = [
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PackSelfSupInputs', algorithm_keys: ['sample_idx'], meta_keys: ['img_path'] },
]
const extractDataloader = {
  batch_size: 3,
  sampler: { type: 'DefaultSampler', shuffle: false, round_up: true },
  dataset: { type: 'MNIST', split: 'train', indices: 16 },
}
const clsHead = { type: 'ClsHead', loss: { type: 'mmcls.CrossEntropyLoss' }, with_avg_pool: false, in_channels: 8 }
const clustering = (extra: object) => ({
  type: 'DeepClusterHook',
  extract_dataloader: extractDataloader,
  clustering: { type: 'Kmeans', k: 3, pca_dim: -1 },
  unif_sampling: false,
  reweight: false,
  reweight_pow: 0.5,
  ...extra,
})

/** The run of each algorithm: its model, the pipeline, hooks, epochs (16 MNIST images, 2 workers × batch 4). */
const runs: {
  readonly [type: string]: { readonly model: object; readonly hooks?: object[]; readonly epochs?: number }
} = {
  ...Object.fromEntries(
    Object.entries(algorithmConfigs).map(([type, model]) => [type, { model: { ...model, backbone } }]),
  ),
  // Each replica's queue (8 rows) fills in two iterations and is used from the third.
  SwAV: {
    model: { ...algorithmConfigs['SwAV'], backbone },
    hooks: [{ type: 'SwAVHook', batch_size: 4, epoch_queue_starts: 0, feat_dim: 8, queue_length: 16 }],
    epochs: 2,
  },
  // Clustered before training and after each epoch, from features every replica extracts a share of.
  DeepCluster: {
    model: { type: 'DeepCluster', backbone, neck: { type: 'AvgPool2dNeck' }, head: { ...clsHead, num_classes: 3 } },
    hooks: [clustering({ unif_sampling: true })],
    epochs: 2,
  },
  ODC: {
    model: {
      type: 'ODC',
      backbone,
      neck: { type: 'ODCNeck', in_channels: 8, hid_channels: 16, out_channels: 8 },
      head: { ...clsHead, num_classes: 3 },
      memory_bank: { type: 'ODCMemory', length: 16, feat_dim: 8, momentum: 0.5, num_classes: 3, min_cluster: 2 },
    },
    // Clustered again after epoch 1 (MMSelfSup's configs cluster once), from features extracted with each
    // replica's own BatchNorm statistics: the memory they fill must still be the same on both replicas.
    hooks: [
      clustering({ reweight: true, init_memory: true, interval: 1 }),
      {
        type: 'ODCHook',
        centroids_update_interval: 1,
        deal_with_small_clusters_interval: 1,
        evaluate_interval: 2,
        reweight: true,
        reweight_pow: 0.5,
      },
    ],
    epochs: 2,
  },
}

const clusters = (type: string) => type === 'DeepCluster' || type === 'ODC'

const configOf = (type: string) => {
  const run = runs[type]!
  return {
    model: run.model,
    train_dataloader: {
      batch_size: 4,
      sampler: clusters(type)
        ? { type: 'DeepClusterSampler', shuffle: true, replace: type === 'ODC' }
        : { type: 'DefaultSampler', shuffle: true },
      dataset: mnist(clusters(type) ? withIndices : twoViews),
    },
    train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: run.epochs ?? 1 },
    optim_wrapper: { optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 } },
    param_scheduler: [],
    default_hooks: { logger: null, checkpoint: null },
    // BatchNorm statistics are per replica between syncs (MMEngine's DDP does not broadcast buffers); the clustering
    // algorithms run without the sync, so that their replicas extract with different statistics and must still agree.
    custom_hooks: [...(run.hooks ?? []), ...(clusters(type) ? [] : [{ type: 'SyncBuffersHook' }])],
    randomness: { seed: 7 },
  }
}

const isBatchNormStatistic = (name: string) => /\.(running_mean|running_var|num_batches_tracked)$/.test(name)

interface RunResult {
  readonly name: string
  readonly iterations: number
  readonly params: TrainResult['params']
  readonly buffers: TrainResult['buffers']
  readonly attributes: { readonly [name: string]: Json }
}

const runsWorker = new URL('../../support/selfsupRunsWorker.ts', import.meta.url)

/** Every algorithm's run on two replicas (two threads that train them all in turn): rank 0's and rank 1's. */
let replicas: ReadonlyArray<ReadonlyArray<RunResult>> = []

beforeAll(async () => {
  const region = allocate(2)
  const programs = Object.keys(runs).map((name) => ({ name, program: programOf(configOf(name)) }))
  const workDir = tempDir()
  replicas = await Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<ReadonlyArray<RunResult>>((resolve, reject) => {
          const worker = spawnWorker(runsWorker, { region, rank, programs, workDir })
          worker.once('message', (reply: { ok: boolean; message?: string; results: RunResult[] }) => {
            void worker.terminate()
            if (reply.ok) resolve(reply.results)
            else reject(new Error(`rank ${rank}: ${reply.message}`))
          })
          worker.once('error', reject)
        }),
    ),
  )
}, 600_000)

describe.each(Object.keys(runs))('%s on two worker threads', (type) => {
  it('ends with the same parameters and buffers (queues, memories) on both replicas', () => {
    const [r0, r1] = replicas.map((rank) => rank.find((r) => r.name === type))
    expect(r0!.iterations).toBe(2 * (runs[type]!.epochs ?? 1))
    for (const [name, p] of Object.entries(r0!.params))
      expect(Array.from(r1!.params[name]!.values), name).toEqual(Array.from(p.values))
    const local = new Set((r0!.attributes[RANK_LOCAL_BUFFERS] as string[] | undefined) ?? [])
    for (const [name, b] of Object.entries(r0!.buffers)) {
      const other = Array.from(r1!.buffers[name]!.values)
      if (local.has(name)) {
        // SwAV: each replica's queue holds its own embeddings.
        expect(other, name).not.toEqual(Array.from(b.values))
        expect(other.some((v) => v !== 0)).toBe(true)
      } else if (clusters(type) && isBatchNormStatistic(name)) {
        // Without SyncBuffersHook each replica keeps its own BatchNorm statistics, except SyncBN's: ODCNeck's
        // bn0 (SyncBN, MMSelfSup's default) normalised over the global batch on both.
        if (name.startsWith('neck.')) expect(other, name).toEqual(Array.from(b.values))
        else if (name.endsWith('running_mean')) expect(other, name).not.toEqual(Array.from(b.values))
      } else expect(other, name).toEqual(Array.from(b.values))
    }
    if (type === 'MoCo' || type === 'DenseCL')
      // Each iteration's global batch (2 × 4 keys) entered the queue of 32 (SyncBuffersHook would hide a
      // per-replica queue by averaging it; the pointer does not).
      expect(Array.from(r0!.buffers['queue_ptr']!.values)).toEqual([16])
    if (type === 'SwAV') expect(local).toEqual(new Set(['head.loss.queue']))
    if (clusters(type)) {
      const labels = r0!.attributes[CLUSTERING_LABEL]
      expect(Array.isArray(labels) && labels.length === 16).toBe(true)
      expect(r1!.attributes[CLUSTERING_LABEL]).toEqual(labels)
    }
  })
})
