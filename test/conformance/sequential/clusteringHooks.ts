/**
 * DeepClusterHook's and ODCHook's replay: loopwright's own hooks (through the hook replay, `hooks.ts`), with the
 * services a recording's fake runner stands in for.
 *
 * - `ModelOps.extractFeatures` answers with `inputs.features` (MMSelfSup's `Extractor` output, `[N, D]`; a list
 *   holds one per clustering, in order), since a minimal runner has no model to extract from.
 * - The clustering (faiss's k-means in MMSelfSup) answers with `inputs.new_labels` when the recording scripted it
 *   (`[N]`, or a list, one per clustering); without them the hook runs loopwright's own k-means, whose label
 *   numbering need not be faiss's.
 * - `ModelOps.reinitialise` counts the head's redraws (`head.init_weights()`): the values come from torch's RNG there
 *   and from loopwright's stream here, so recorded head parameters are a SKIP.
 * - The ODC memory is the real `ODCMemory` port's, in model buffers on numeric fake tensors: settings from
 *   `inputs.memory_bank` (or `inputs.model.memory_bank`), contents from `initial_state` (`feature_bank`,
 *   `label_bank`, `centroids`; zeros, as MMSelfSup registers them, where absent). The ODC model's forward updates it
 *   between hook calls: an `update_samples_memory` event (or `generator_update_samples_memory`) performs
 *   `update_samples_memory(idx, feature)` with the step's `idx` and `feature`, else the k-th of `inputs.idx` and
 *   `inputs.feature`.
 * @module
 */
import { Effect, Layer } from 'effect'
import { CLUSTERING_LABEL, UNIFORM_SAMPLING } from '../../../src/data/deepClusterSampler.js'
import { Clustering, ModelOps, TensorOps } from '../../../src/dsl/Services.js'
import type { State } from '../../../src/dsl/State.js'
import { memorySettings, writeMemory } from '../../../src/hooks/odcMemoryState.js'
import { LOSS_WEIGHT } from '../../../src/selfsup/algorithms/DeepCluster.js'
import { MEMORY, MEMORY_SETTINGS } from '../../../src/selfsup/algorithms/ODC.js'
import * as ODCMemory from '../../../src/selfsup/memories/ODCMemory.js'
import { FakeTensors } from '../../unit/hooks/support.js'
import { isTensor } from '../records.js'
import { observed, skipped, unobservable } from '../sequential.js'
import type { Json, JsonObject, Observation } from '../sequential.js'
import type { Quantity } from '../stepFields.js'
import type { HookContext, HookView, ViewSession } from './hooks.js'

const isObject = (j: unknown): j is JsonObject => typeof j === 'object' && j !== null && !Array.isArray(j)

/** A recorded tensor's numbers and shape, or a plain list of numbers as a 1-d one. */
const tensorOf = (j: Json | undefined): { readonly values: number[]; readonly shape: number[] } | undefined =>
  isTensor(j)
    ? { values: j.values.map(Number), shape: j.shape.map(Number) }
    : Array.isArray(j) && j.every((v) => typeof v === 'number')
      ? { values: j as number[], shape: [j.length] }
      : undefined

/** The k-th of a recorded sequence: one tensor for every call, or a list with one per call. */
const nthOf = (j: Json | undefined, k: number) => {
  const one = tensorOf(j)
  if (one !== undefined) return one
  return Array.isArray(j) ? tensorOf(j[k]) : undefined
}

/** `values` shaped as the record shapes it: a tensor of `dtype`, or a plain list. */
const like = (expected: Json, values: ReadonlyArray<number>, shape: ReadonlyArray<number>, dtype: string) =>
  isTensor(expected) ? { shape: [...shape], dtype, values: [...values] } : [...values]

const bincount = (labels: ArrayLike<number>, k: number): number[] => {
  const counts = new Array<number>(k).fill(0)
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1
  return counts
}

const HISTOGRAM_LINE = /^empty_num: (\d+)\tmin_cluster: (\d+)\tmax_cluster:(\d+)$/

const featureKeys = ['features', 'extracted_features', 'feats']
const labelKeys = ['new_labels', 'kmeans_labels', 'clustering_results']
/** Names a recording may give the ODC forward between hook calls (each updates the memory with one batch). */
const memoryEvents = [
  'update_samples_memory',
  'generator_update_samples_memory',
  'generator_memory_update',
  'generator_forward',
  'generator_train_step',
]
/** `initial_state` keys of the memory, bare or owned (`memory_bank.feature_bank`). */
const memoryState = ['feature_bank', 'label_bank', 'centroids'] as const
const initialKeys = memoryState.flatMap((n) => [n, `memory_bank.${n}`, `model.memory_bank.${n}`])

const open = (scenario: { readonly [field: string]: Json }, inputs: JsonObject): ViewSession | string => {
  const tensors = new FakeTensors()
  const config = ((scenario['component'] as JsonObject)['config'] ?? {}) as JsonObject
  // DeepClusterHook alone has no per-iteration features: there `inputs.feature` can only be the extracted ones.
  const featuresIn =
    featureKeys.map((k) => inputs[k]).find((j) => j !== undefined) ??
    (config['type'] === 'DeepClusterHook' ? inputs['feature'] : undefined)
  const labelsIn = labelKeys.map((k) => inputs[k]).find((j) => j !== undefined)
  const model = isObject(inputs['model']) ? inputs['model'] : {}
  const memoryCfg = inputs['memory_bank'] ?? model['memory_bank']
  const initial = isObject(scenario['initial_state']) ? scenario['initial_state'] : {}
  const clustering = isObject(config['clustering']) ? config['clustering'] : {}
  let extractions = 0
  let clusterings = 0
  let updates = 0
  let headDraws = 0
  let changeRatio: number | undefined
  /** The labels of the last clustering (DeepClusterHook's histogram without a memory). */
  let lastLabels: Int32Array | undefined
  const dataset = nthOf(featuresIn, 0)?.shape[0]

  const services = Layer.mergeAll(
    Layer.succeed(ModelOps, {
      extractFeatures: () => {
        const f = nthOf(featuresIn, extractions++)
        if (f === undefined)
          return Effect.fail(
            `inputs.features: no features for extraction ${extractions} (one [N, D] tensor, or a list)`,
          )
        if (f.shape.length !== 2) return Effect.fail(`inputs.features: expected [N, D], got [${f.shape.join(', ')}]`)
        return Effect.succeed({ values: Float32Array.from(f.values), count: f.shape[0]!, dim: f.shape[1]! })
      },
      reinitialise: (state: State, prefix: string) =>
        Effect.sync(() => {
          if (prefix === 'head') headDraws += 1
          return state
        }),
      fromValues: (values) =>
        Effect.succeed(
          Object.fromEntries(
            Object.entries(values).map(([n, v]) => [
              n,
              tensors.ref(Array.from(v.values), v.shape, v.dtype === 'int32' ? 'int32' : 'float32'),
            ]),
          ),
        ),
    }),
    Layer.succeed(TensorOps, tensors.ops),
  )
  return {
    services: Layer.mergeAll(
      services,
      labelsIn === undefined
        ? Layer.empty
        : Layer.succeed(Clustering, {
            cluster: (features) => {
              const labels = nthOf(labelsIn, clusterings++)
              if (labels === undefined) return Effect.fail(`inputs.new_labels: none for clustering ${clusterings}`)
              if (labels.values.length !== features.count)
                return Effect.fail(`inputs.new_labels: ${labels.values.length} labels for ${features.count} samples`)
              lastLabels = Int32Array.from(labels.values)
              return Effect.succeed(lastLabels)
            },
          }),
    ),
    prepare: (state) => {
      if (memoryCfg === undefined) return state
      let memory: ODCMemory.ODCMemory
      try {
        memory = ODCMemory.fromConfig(memoryCfg)
      } catch (e) {
        return `inputs.memory_bank: ${(e as Error).message}`
      }
      const load = (name: (typeof memoryState)[number]) =>
        tensorOf(initial[name] ?? initial[`memory_bank.${name}`] ?? initial[`model.memory_bank.${name}`])?.values
      const bank = load('feature_bank')
      const labels = load('label_bank')
      const centroids = load('centroids')
      memory = {
        ...memory,
        ...(bank === undefined ? {} : { feature_bank: Float32Array.from(bank) }),
        ...(labels === undefined ? {} : { label_bank: Int32Array.from(labels) }),
        ...(centroids === undefined ? {} : { centroids: Float32Array.from(centroids) }),
      }
      const buffers = {
        [MEMORY.featureBank]: tensors.ref(Array.from(memory.feature_bank), [memory.length, memory.feat_dim]),
        [MEMORY.labelBank]: tensors.ref(Array.from(memory.label_bank), [memory.length], 'int32'),
        [MEMORY.centroids]: tensors.ref(Array.from(memory.centroids), [memory.num_classes, memory.feat_dim]),
      }
      // As the ODC model keeps them: the memory's settings without `type`.
      const { length, feat_dim, momentum, num_classes, min_cluster } = memory
      const settings = { length, feat_dim, momentum, num_classes, min_cluster }
      const attributes = { ...state.model.attributes, [MEMORY_SETTINGS]: settings }
      return { ...state, model: { ...state.model, attributes, buffers: { ...state.model.buffers, ...buffers } } }
    },
    perform: (event, step, state) => {
      if (!memoryEvents.includes(event)) return undefined
      const memory = memoryOf(state)
      if (typeof memory === 'string') return memory
      const idx = tensorOf(step['idx']) ?? nthOf(inputs['idx'], updates)
      const feature = tensorOf(step['feature']) ?? nthOf(inputs['feature'], updates)
      if (idx === undefined || feature === undefined) return `${event} needs idx and feature (the step's or inputs')`
      updates++
      try {
        const r = ODCMemory.update_samples_memory(memory, idx.values, feature.values)
        changeRatio = r.changeRatio
        return Effect.runSync(writeMemory(state, r.memory, ['featureBank', 'labelBank']).pipe(Effect.provide(services)))
      } catch (e) {
        return (e as Error).message
      }
    },
    observe: (quantity, expected, c) => observeClustering(quantity, expected, c),
  }

  function memoryOf(state: State): ODCMemory.ODCMemory | string {
    const settings = memorySettings(state)
    if (typeof settings === 'string') return settings
    const read = (name: string) => tensors.values(state.model.buffers[name]!)
    return {
      ...ODCMemory.make(settings),
      feature_bank: Float32Array.from(read(MEMORY.featureBank)),
      label_bank: Int32Array.from(read(MEMORY.labelBank)),
      centroids: Float32Array.from(read(MEMORY.centroids)),
    }
  }

  function observeClustering(quantity: Quantity, expected: Json, c: HookContext): Observation | undefined {
    const attributes = c.state.model.attributes
    const memory = memoryOf(c.state)
    const k =
      typeof memory !== 'string'
        ? memory.num_classes
        : typeof clustering['k'] === 'number'
          ? clustering['k']
          : undefined
    switch (quantity) {
      case 'feature_bank':
      case 'label_bank':
      case 'centroids': {
        if (typeof memory === 'string') return unobservable(memory)
        const { length, feat_dim: d, num_classes: n } = memory
        if (quantity === 'label_bank') return observed(like(expected, Array.from(memory.label_bank), [length], 'int64'))
        return quantity === 'feature_bank'
          ? observed(like(expected, Array.from(memory.feature_bank), [length, d], 'float32'))
          : observed(like(expected, Array.from(memory.centroids), [n, d], 'float32'))
      }
      case 'change_ratio':
        return changeRatio === undefined
          ? unobservable('no update_samples_memory has run yet')
          : observed(
              isTensor(expected) ? { shape: [], dtype: 'float32', values: [Math.fround(changeRatio)] } : changeRatio,
            )
      case 'histogram': {
        const labels = typeof memory !== 'string' ? memory.label_bank : lastLabels
        if (labels === undefined || k === undefined) return unobservable('no clustering has run yet')
        const counts = bincount(labels, k)
        return observed(like(expected, counts, [k], 'int64'))
      }
      case 'clustering_labels': {
        const labels = attributes[CLUSTERING_LABEL]
        if (Array.isArray(labels)) return observed(like(expected, labels as number[], [labels.length], 'int64'))
        if (dataset === undefined) return unobservable('no clustering has run and the dataset length is unknown')
        return observed(like(expected, new Array<number>(dataset).fill(-1), [dataset], 'int64'))
      }
      case 'loss_weight':
      case 'class_weight': {
        const name = quantity === 'loss_weight' ? LOSS_WEIGHT : 'head.loss.class_weight'
        const weight = attributes[name]
        if (Array.isArray(weight)) return observed(like(expected, weight as number[], [weight.length], 'float32'))
        if (quantity === 'class_weight') return observed(null)
        if (k === undefined) return unobservable('the number of classes is unknown (no memory_bank, no clustering.k)')
        return observed(like(expected, new Array<number>(k).fill(Math.fround(1 / k)), [k], 'float32'))
      }
      case 'unif_sampling_flag':
        // No sampler iteration is modelled between hook calls: the flag is on once set_uniform_indices has run.
        return observed(attributes[UNIFORM_SAMPLING] !== undefined)
      case 'sampler_indices':
        return skipped(
          "MMSelfSup draws the uniform indices from numpy's global RNG; loopwright from its own seeded stream",
        )
      case 'empty_num':
      case 'min_cluster_size':
      case 'max_cluster_size': {
        const line = c.recording.logs
          .map((l) => HISTOGRAM_LINE.exec(l.message))
          .filter((m) => m !== null)
          .at(-1)
        if (line === undefined) return unobservable('the hook has logged no histogram yet')
        const at = { empty_num: 1, min_cluster_size: 2, max_cluster_size: 3 }[quantity]
        return observed(Number(line[at]))
      }
      case 'saved_files':
        return observed(c.recording.files.filter((f) => f.op === 'write').map((f) => f.path.split('/').at(-1)))
      case 'head_init_calls':
        return observed(typeof expected === 'boolean' ? headDraws > 0 : headDraws)
      case 'params':
        return isObject(expected) && Object.keys(expected).every((n) => n.startsWith('head.'))
          ? skipped("the head is redrawn from torch's RNG in MMSelfSup, from loopwright's seeded stream here")
          : unobservable('a hook replay holds no model parameters')
      default:
        return undefined
    }
  }
}

const view = (hook: string): HookView => ({
  hook,
  inputs: [...featureKeys, ...labelKeys, 'memory_bank', 'idx', 'feature'],
  initialState: initialKeys,
  events: memoryEvents,
  stepInputs: ['feature'],
  open,
})

export const deepClusterHookView = view('DeepClusterHook')
export const odcHookView = view('ODCHook')
