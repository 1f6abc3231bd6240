/**
 * DeepClusterHook and ODCHook against MMSelfSup's hooks: the stages they act at, their intervals and counters,
 * their order with ParamSchedulerHook, and what they change, with the dry services (numeric `TensorOps` over small
 * arrays, and `ModelOps` answering with given features where the hook extracts them).
 */
import { Effect, Layer } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { CLUSTERING_LABEL, UNIFORM_SAMPLING } from '../../../src/data/deepClusterSampler.js'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import { Clustering, ModelOps } from '../../../src/dsl/Services.js'
import type { State } from '../../../src/dsl/State.js'
import * as S from '../../../src/dsl/State.js'
import * as Dry from '../../../src/interpreters/dry/layers.js'
import { dryRun } from '../../../src/interpreters/dry/dryRun.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import { MEMORY, MEMORY_SETTINGS } from '../../../src/selfsup/algorithms/ODC.js'
import * as ODCMemory from '../../../src/selfsup/memories/ODCMemory.js'
import { FakeTensors, runHookStage, runNumeric } from './support.js'

const extract = { batch_size: 4, dataset: { type: 'MNIST', indices: 8 } }
const deepCluster = (args: object = {}) => ({
  type: 'DeepClusterHook',
  args: {
    extract_dataloader: extract,
    clustering: { type: 'Kmeans', k: 2, pca_dim: -1 },
    unif_sampling: true,
    reweight: true,
    reweight_pow: 0.5,
    ...args,
  },
})
const odcHook = {
  type: 'ODCHook',
  args: {
    centroids_update_interval: 3,
    deal_with_small_clusters_interval: 2,
    evaluate_interval: 4,
    reweight: true,
    reweight_pow: 0.5,
  },
}

const program = (hooks: ReadonlyArray<{ readonly type: string; readonly args: object }>, epochs = 5) =>
  hooks.reduce(
    (p, h) => Program.withCustomHook(h as never)(p),
    pipe(Program.empty, Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: epochs }))),
  )

/** Eight 2-d features in two well-separated groups: samples 0–3 near (1, 0), 4–7 near (0, 1). */
const features = Float32Array.from([1, 0, 0.9, 0.1, 1, 0.05, 0.95, 0, 0, 1, 0.1, 0.9, 0.05, 1, 0, 0.95])

/** `ModelOps` that extracts `features`, records re-initialisations, and makes tensors in `tensors`. */
const modelOps = (tensors: FakeTensors, reinitialised: string[]) =>
  Layer.succeed(ModelOps, {
    extractFeatures: () => Effect.succeed({ values: features, count: 8, dim: 2 }),
    reinitialise: (state: State, prefix: string) =>
      Effect.sync(() => {
        reinitialised.push(prefix)
        return state
      }),
    fromValues: (values) =>
      Effect.succeed(
        Object.fromEntries(
          Object.entries(values).map(([n, v]) => [n, tensors.ref(Array.from(v.values), v.shape, v.dtype)]),
        ),
      ),
  })

const clusteringLogs = (recording: Dry.Recording) =>
  recording.logs.filter((l) => l.message.startsWith('DeepClusterHook: k-means')).map((l) => l.message)

describe('DeepClusterHook', () => {
  it('clusters at before_train when initial, and at after_train_epoch every interval epochs', async () => {
    const run = await runNumeric(program([deepCluster({ interval: 2 })]), { train: 3 }, new FakeTensors())
    expect(clusteringLogs(run.recording)).toEqual([
      'DeepClusterHook: k-means (k=2, pca_dim=-1) before epoch 1',
      'DeepClusterHook: k-means (k=2, pca_dim=-1) after epoch 2',
      'DeepClusterHook: k-means (k=2, pca_dim=-1) after epoch 4',
    ])
    const quiet = await runNumeric(program([deepCluster({ initial: false })]), { train: 3 }, new FakeTensors())
    expect(clusteringLogs(quiet.recording)).toHaveLength(5)
    expect(clusteringLogs(quiet.recording)[0]).toBe('DeepClusterHook: k-means (k=2, pca_dim=-1) after epoch 1')
  })

  it('acts at after_train_epoch before ParamSchedulerHook (NORMAL before LOW), as MMEngine orders them', async () => {
    const plan = await Effect.runPromise(dryRun(program([deepCluster()]), {}))
    const order = plan.hooks
      .filter((h) => h.stages.includes('after_train_epoch'))
      .map((h) => h.name)
      .filter((n) => n === 'DeepClusterHook' || n === 'ParamSchedulerHook')
    expect(order).toEqual(['DeepClusterHook', 'ParamSchedulerHook'])
  })

  it('assigns pseudo-labels, asks for uniform sampling of the next epoch, reweights, redraws the head', async () => {
    const tensors = new FakeTensors()
    const reinitialised: string[] = []
    const recording = Dry.emptyRecording()
    const p = program([deepCluster()])
    const start = S.atCounters(initialState(p, { train: 3 }, 0), 2, 9)
    const state = await Effect.runPromise(
      runHookStage(
        p,
        'DeepClusterHook',
        'after_train_epoch',
        start,
        undefined,
        tensors,
        undefined,
        [modelOps(tensors, reinitialised) as never],
        { recording },
      ),
    )
    const labels = state.model.attributes[CLUSTERING_LABEL] as number[]
    expect(labels).toHaveLength(8)
    // The two groups are the two clusters (whichever number each gets).
    expect(new Set(labels.slice(0, 4)).size).toBe(1)
    expect(new Set(labels.slice(4)).size).toBe(1)
    expect(labels[0]).not.toBe(labels[4])
    expect(state.model.attributes[UNIFORM_SAMPLING]).toEqual({ train_epoch: 3, num_classes: 2, epoch: 2 })
    expect(state.model.attributes['loss_weight']).toEqual([0.5, 0.5])
    expect(reinitialised).toEqual(['head'])
    expect(recording.logs.map((l) => l.message)).toContain('empty_num: 0\tmin_cluster: 4\tmax_cluster:4')
    expect(recording.files.map((f) => f.path)).toEqual(['work/cluster_epoch_2.npy'])
  })

  it('takes the labels a Clustering service gives (a replay of faiss’s), checking their count', async () => {
    const tensors = new FakeTensors()
    const p = program([deepCluster()])
    const start = initialState(p, { train: 3 }, 0)
    const given = (labels: ReadonlyArray<number>) =>
      Layer.succeed(Clustering, {
        cluster: (features, clustering) =>
          features.count === 8 && clustering.k === 2 ? Effect.succeed(Int32Array.from(labels)) : Effect.fail('unasked'),
      })
    const run = (labels: ReadonlyArray<number>) =>
      Effect.runPromise(
        Effect.result(
          runHookStage(p, 'DeepClusterHook', 'before_train', start, undefined, tensors, undefined, [
            modelOps(tensors, []) as never,
            given(labels) as never,
          ]),
        ),
      )
    const scripted = [1, 0, 1, 0, 1, 0, 1, 1]
    const ok = await run(scripted)
    expect(ok._tag === 'Success' && ok.success.model.attributes[CLUSTERING_LABEL]).toEqual(scripted)
    const short = await run([0, 1])
    expect(short._tag === 'Failure' && short.failure.message).toMatch(/clustering: 2 labels for 8 extracted samples/)
  })

  it('does not cluster again at before_train when the state already holds pseudo-labels (a resumed run)', async () => {
    const tensors = new FakeTensors()
    const reinitialised: string[] = []
    const p = program([deepCluster()])
    const base = initialState(p, { train: 3 }, 0)
    const resumed = { ...base, model: { ...base.model, attributes: { [CLUSTERING_LABEL]: [0, 0, 0, 0, 1, 1, 1, 1] } } }
    const state = await Effect.runPromise(
      runHookStage(p, 'DeepClusterHook', 'before_train', resumed, undefined, tensors, undefined, [
        modelOps(tensors, reinitialised) as never,
      ]),
    )
    expect(state).toBe(resumed)
    expect(reinitialised).toEqual([])
  })

  it('with init_memory fills an ODC memory: normalised features, the labels, their centroids', async () => {
    const tensors = new FakeTensors()
    const p = program([deepCluster({ init_memory: true, unif_sampling: false })])
    const base = initialState(p, { train: 3 }, 0)
    const start: State = {
      ...base,
      model: {
        ...base.model,
        attributes: {
          [MEMORY_SETTINGS]: { length: 8, feat_dim: 2, momentum: 0.5, num_classes: 2, min_cluster: 1 },
        },
        buffers: {
          [MEMORY.featureBank]: tensors.ref(new Array(16).fill(0), [8, 2]),
          [MEMORY.labelBank]: tensors.ref(new Array(8).fill(0), [8], 'int32'),
          [MEMORY.centroids]: tensors.ref(new Array(4).fill(0), [2, 2]),
        },
      },
    }
    const state = await Effect.runPromise(
      runHookStage(p, 'DeepClusterHook', 'before_train', start, undefined, tensors, undefined, [
        modelOps(tensors, []) as never,
      ]),
    )
    const bank = tensors.values(state.model.buffers[MEMORY.featureBank]!)
    for (let i = 0; i < 8; i++) expect(Math.hypot(bank[2 * i]!, bank[2 * i + 1]!)).toBeCloseTo(1, 6)
    expect(tensors.values(state.model.buffers[MEMORY.labelBank]!)).toEqual(state.model.attributes[CLUSTERING_LABEL])
    expect(state.model.attributes[UNIFORM_SAMPLING]).toBeUndefined()
  })
})

describe('ODCHook', () => {
  /** A memory of 8 samples in 3 clusters where cluster 2 holds one sample (small for min_cluster=2). */
  const memoryState = (tensors: FakeTensors, iter: number): State => {
    const p = program([odcHook])
    const base = S.atCounters(initialState(p, { train: 10 }, 0), 0, iter)
    const memory = ODCMemory.init_memory(
      ODCMemory.make({ length: 8, feat_dim: 2, momentum: 0.5, num_classes: 3, min_cluster: 2 }),
      features,
      [0, 0, 0, 0, 1, 1, 1, 2],
    )
    return {
      ...base,
      model: {
        ...base.model,
        attributes: {
          [MEMORY_SETTINGS]: { length: 8, feat_dim: 2, momentum: 0.5, num_classes: 3, min_cluster: 2 },
        },
        buffers: {
          [MEMORY.featureBank]: tensors.ref(Array.from(memory.feature_bank), [8, 2]),
          [MEMORY.labelBank]: tensors.ref(Array.from(memory.label_bank), [8], 'int32'),
          // Centroids left stale on purpose (zeros), so a recomputation shows.
          [MEMORY.centroids]: tensors.ref(new Array(6).fill(0), [3, 2]),
        },
      },
    }
  }
  const afterIter = async (iter: number) => {
    const tensors = new FakeTensors()
    const recording = Dry.emptyRecording()
    const start = memoryState(tensors, iter)
    const state = await Effect.runPromise(
      runHookStage(
        program([odcHook]),
        'ODCHook',
        'after_train_iter',
        start,
        0,
        tensors,
        undefined,
        [modelOps(tensors, []) as never],
        { recording },
      ),
    )
    return {
      start,
      state,
      labels: tensors.values(state.model.buffers[MEMORY.labelBank]!),
      centroids: tensors.values(state.model.buffers[MEMORY.centroids]!),
      logs: recording.logs.map((l) => l.message),
    }
  }

  it('updates the centroids every centroids_update_interval iterations ((iter + 1) % n == 0)', async () => {
    const early = await afterIter(0)
    expect(early.centroids).toEqual([0, 0, 0, 0, 0, 0])
    const due = await afterIter(2)
    expect(due.centroids.some((c) => c !== 0)).toBe(true)
  })

  it('deals with small clusters every deal_with_small_clusters_interval iterations', async () => {
    expect((await afterIter(0)).labels).toEqual([0, 0, 0, 0, 1, 1, 1, 2])
    const fixed = await afterIter(1)
    const counts = [0, 1, 2].map((c) => fixed.labels.filter((l) => l === c).length)
    expect(counts.every((n) => n >= 1)).toBe(true)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(8)
  })

  it('reweights every iteration and logs the histogram every evaluate_interval iterations', async () => {
    const r = await afterIter(0)
    const weight = r.state.model.attributes['head.loss.class_weight'] as number[]
    expect(weight).toEqual(r.state.model.attributes['loss_weight'])
    expect(weight.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(weight[2]).toBeGreaterThan(weight[0]!)
    expect(r.logs).toEqual([])
    expect((await afterIter(3)).logs).toEqual(['empty_num: 0\tmin_cluster: 1\tmax_cluster:4'])
  })

  it('saves the label bank as cluster_epoch_<epoch + 1>.npy every 10 epochs', async () => {
    const tensors = new FakeTensors()
    const p = program([odcHook])
    for (const epoch of [0, 9, 19]) {
      const recording = Dry.emptyRecording()
      const start = S.atCounters(memoryState(tensors, 0), epoch, 0)
      await Effect.runPromise(
        runHookStage(p, 'ODCHook', 'after_train_epoch', start, undefined, tensors, undefined, [], { recording }),
      )
      expect(recording.files.map((f) => f.path)).toEqual(epoch === 0 ? [] : [`work/cluster_epoch_${epoch + 1}.npy`])
    }
  })

  it('refuses dist_mode=False, as MMSelfSup does', async () => {
    const plan = await Effect.runPromise(
      Effect.result(dryRun(program([{ type: 'ODCHook', args: { ...odcHook.args, dist_mode: false } }]), {})),
    )
    expect(plan._tag).toBe('Failure')
  })
})
