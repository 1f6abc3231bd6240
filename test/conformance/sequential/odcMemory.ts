/**
 * Sequential replay of MMSelfSup's `ODCMemory`, against loopwright's port
 * (`src/selfsup/memories/ODCMemory.ts`, by MMSelfSup's names: `fromConfig`,
 * `init_memory`, `update_samples_memory`, `deal_with_small_clusters`,
 * `update_centroids_memory`; state `feature_bank`, `label_bank`,
 * `centroids`). The port is loaded when the replay starts: where this
 * checkout does not have it, every check fails with "ODCMemory not provided".
 *
 * Calls (`event`) and their inputs: `init_memory` takes `feature` and `label`
 * (the step's, else `inputs.feature` / `inputs.label`); `update_samples_memory`
 * takes the step's `idx` and `feature` (else `inputs.idx[k]`,
 * `inputs.feature[k]` for the k-th update); `update_centroids_memory` (or
 * `update_centroids`) takes `cinds` when the step gives them.
 * `change_ratio` is the last update's ratio as the float32 value MMSelfSup's
 * tensor holds.
 */
import type { Json, JsonObject, SequentialComponent, SequentialScenario, Session } from '../sequential.js'
import { observed, unobservable } from '../sequential.js'
import { isTensor } from '../records.js'

/** What the replay needs of loopwright's ODCMemory module. */
interface Memory {
  readonly length: number
  readonly feat_dim: number
  readonly num_classes: number
  readonly feature_bank: Float32Array
  readonly label_bank: Int32Array
  readonly centroids: Float32Array
}
interface ODCMemoryModule {
  readonly fromConfig: (dict: unknown) => Memory
  readonly init_memory: (m: Memory, feature: ArrayLike<number>, label: ArrayLike<number>) => Memory
  readonly update_samples_memory: (
    m: Memory,
    idx: ArrayLike<number>,
    feature: ArrayLike<number>,
  ) => { readonly memory: Memory; readonly changeRatio: number }
  readonly update_centroids_memory: (m: Memory, clusters?: ReadonlyArray<number>) => Memory
  readonly deal_with_small_clusters: (m: Memory) => Memory
}

/** Where loopwright's port lives (the cluster work provides it). */
const modulePath = '../../../src/selfsup/memories/ODCMemory.js'

const load = async (): Promise<ODCMemoryModule | undefined> => {
  try {
    const m = (await import(/* @vite-ignore */ modulePath)) as Partial<ODCMemoryModule>
    const names = [
      'fromConfig',
      'init_memory',
      'update_samples_memory',
      'update_centroids_memory',
      'deal_with_small_clusters',
    ] as const
    return names.every((n) => typeof m[n] === 'function') ? (m as ODCMemoryModule) : undefined
  } catch {
    return undefined
  }
}

const isObject = (j: unknown): j is JsonObject => typeof j === 'object' && j !== null && !Array.isArray(j)

/** The numbers of a recorded tensor or list. */
const numbers = (j: Json | undefined): ReadonlyArray<number> | undefined =>
  isTensor(j) ? j.values.map(Number) : Array.isArray(j) && j.every((v) => typeof v === 'number') ? j : undefined

const start = async (scenario: SequentialScenario): Promise<Session | string> => {
  const port = await load()
  if (port === undefined) return 'ODCMemory not provided'
  const config = ((scenario['component'] as JsonObject)['config'] ?? {}) as JsonObject
  let memory: Memory
  try {
    memory = port.fromConfig(config)
  } catch (e) {
    return `component.config: ${(e as Error).message}`
  }
  const initial = isObject(scenario['initial_state']) ? scenario['initial_state'] : {}
  const loaded = {
    feature_bank: numbers(initial['feature_bank']),
    label_bank: numbers(initial['label_bank']),
    centroids: numbers(initial['centroids']),
  }
  memory = {
    ...memory,
    ...(loaded.feature_bank === undefined ? {} : { feature_bank: Float32Array.from(loaded.feature_bank) }),
    ...(loaded.label_bank === undefined ? {} : { label_bank: Int32Array.from(loaded.label_bank) }),
    ...(loaded.centroids === undefined ? {} : { centroids: Float32Array.from(loaded.centroids) }),
  }
  const inputs = isObject(scenario['inputs']) ? scenario['inputs'] : {}
  let updates = 0
  let changeRatio: number | undefined
  /** A step's own value, else the input (the k-th of a list of them when `nth` is given). */
  const arg = (step: JsonObject, name: string, nth?: number): ReadonlyArray<number> | undefined => {
    const own = numbers(step[name])
    if (own !== undefined) return own
    const given = inputs[name]
    if (nth === undefined) return numbers(given)
    return Array.isArray(given) && !given.every((v) => typeof v === 'number') ? numbers(given[nth]) : undefined
  }
  const session: Session = {
    perform: (step) => {
      const event = String(step['event'])
      try {
        switch (event) {
          case 'init_memory': {
            const feature = arg(step, 'feature')
            const label = arg(step, 'label')
            if (feature === undefined || label === undefined) return 'init_memory needs feature and label'
            memory = port.init_memory(memory, feature, label)
            return undefined
          }
          case 'update_samples_memory': {
            const idx = arg(step, 'idx', updates)
            const feature = arg(step, 'feature', updates)
            if (idx === undefined || feature === undefined) return 'update_samples_memory needs idx and feature'
            const r = port.update_samples_memory(memory, idx, feature)
            memory = r.memory
            changeRatio = r.changeRatio
            updates++
            return undefined
          }
          case 'update_centroids_memory':
          case 'update_centroids': {
            const cinds = numbers(step['cinds'])
            memory = port.update_centroids_memory(memory, cinds)
            return undefined
          }
          case 'deal_with_small_clusters':
            memory = port.deal_with_small_clusters(memory)
            return undefined
          default:
            return `ODCMemory has no call ${JSON.stringify(event)}`
        }
      } catch (e) {
        return (e as Error).message
      }
    },
    observe: (quantity, expected) => {
      const { length, feat_dim: d, num_classes: k } = memory
      switch (quantity) {
        case 'feature_bank':
          return observed({ shape: [length, d], dtype: 'float32', values: Array.from(memory.feature_bank) })
        case 'label_bank':
          return observed({ shape: [length], dtype: 'int64', values: Array.from(memory.label_bank) })
        case 'centroids':
          return observed({ shape: [k, d], dtype: 'float32', values: Array.from(memory.centroids) })
        case 'histogram': {
          const counts = new Array<number>(k).fill(0)
          for (const l of memory.label_bank) counts[l]! += 1
          return observed(isTensor(expected) ? { shape: [k], dtype: 'int64', values: counts } : counts)
        }
        case 'change_ratio': {
          if (changeRatio === undefined) return unobservable('no update_samples_memory has run yet')
          const ratio = Math.fround(changeRatio)
          return observed(isTensor(expected) ? { shape: [], dtype: 'float32', values: [ratio] } : ratio)
        }
        default:
          return unobservable(`ODCMemory has no ${quantity}`)
      }
    },
    set: (quantity) => `ODCMemory's ${quantity} is not set by a generator action`,
    dispose: () => undefined,
  }
  return session
}

export const odcMemoryReplay: SequentialComponent = {
  name: 'ODCMemory',
  accepts: (type) => type === 'ODCMemory',
  inputs: ['feature', 'label', 'idx'],
  stepInputs: ['feature', 'label', 'cinds'],
  initialState: ['feature_bank', 'label_bank', 'centroids'],
  start,
}
