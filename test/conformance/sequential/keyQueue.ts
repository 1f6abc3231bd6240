/**
 * Sequential replay of MoCo's and DenseCL's key queues: the calls
 * `_dequeue_and_enqueue(keys)` (queue `queue`, pointer `queue_ptr`) and
 * DenseCL's `_dequeue_and_enqueue2(keys)` (`queue2`, `queue2_ptr`), through
 * loopwright's `enqueue`, which both algorithms use. The queues start from
 * `initial_state` (MMSelfSup draws them from torch's RNG at construction);
 * the keys of a call are the step's `keys` (else `inputs.keys[k]` for the
 * k-th call of that queue). One process: MMSelfSup's all-gather is the
 * identity.
 */
import * as tf from '@tensorflow/tfjs-core'
import { enqueue } from '../../../src/selfsup/algorithms/queue.js'
import { isTensor, toRecord, toTensor } from '../records.js'
import type { Json, JsonObject, SequentialComponent, SequentialScenario, Session } from '../sequential.js'
import { observed, unobservable } from '../sequential.js'

/** The calls, and the queue each one fills. */
const calls: { readonly [event: string]: 'queue' | 'queue2' } = {
  _dequeue_and_enqueue: 'queue',
  _dequeue_and_enqueue2: 'queue2',
  dequeue_and_enqueue: 'queue',
  dequeue_and_enqueue2: 'queue2',
}
const keyFields = ['keys', 'k', 'keys2', 'k2']

const isObject = (j: unknown): j is JsonObject => typeof j === 'object' && j !== null && !Array.isArray(j)

/** A pointer as recorded: a number, or MMSelfSup's `[1]` int64 buffer. */
const pointerLike = (expected: Json, ptr: number): unknown =>
  typeof expected === 'number' ? ptr : { shape: [1], dtype: 'int64', values: [ptr] }

const start = (scenario: SequentialScenario): Session | string => {
  const initial = (scenario['initial_state'] ?? {}) as JsonObject
  const inputs = (scenario['inputs'] ?? {}) as JsonObject
  const queues: { [name: string]: tf.Tensor2D } = {}
  const pointers: { [name: string]: number } = {}
  for (const name of ['queue', 'queue2']) {
    const q = initial[name]
    if (q === undefined) continue
    if (!isTensor(q) || q.shape.length !== 2) return `initial_state.${name} is not a [feat_dim, queue_len] tensor`
    queues[name] = toTensor(q) as tf.Tensor2D
    const p = initial[`${name}_ptr`]
    pointers[name] = typeof p === 'number' ? p : isTensor(p) ? Number(p.values[0]) : 0
  }
  if (queues['queue'] === undefined) return 'initial_state holds no queue (MMSelfSup draws it at construction)'
  const config = ((scenario['component'] as JsonObject)['config'] ?? {}) as JsonObject
  const [featDim, queueLen] = queues['queue'].shape
  if (typeof config['queue_len'] === 'number' && config['queue_len'] !== queueLen)
    return `component.config.queue_len ${config['queue_len']} ≠ the initial queue's ${queueLen} columns`
  if (typeof config['feat_dim'] === 'number' && config['feat_dim'] !== featDim)
    return `component.config.feat_dim ${config['feat_dim']} ≠ the initial queue's ${featDim} rows`
  const used: { [name: string]: number } = { queue: 0, queue2: 0 }
  const keysOf = (step: JsonObject, name: string): JsonObject | string => {
    for (const f of keyFields) if (isTensor(step[f])) return step[f] as JsonObject
    const list = inputs[name === 'queue' ? 'keys' : 'keys2']
    if (Array.isArray(list) && isTensor(list[used[name]!])) return list[used[name]!] as JsonObject
    return `no keys for this call (the step's keys, or inputs.${name === 'queue' ? 'keys' : 'keys2'}[k])`
  }
  const session: Session = {
    perform: (step) => {
      const name = calls[String(step['event'])]
      if (name === undefined) return `a key queue has no call ${JSON.stringify(step['event'])}`
      const queue = queues[name]
      if (queue === undefined) return `initial_state holds no ${name}`
      const keys = keysOf(step, name)
      if (typeof keys === 'string') return keys
      const k = toTensor(keys as never) as tf.Tensor2D
      const ptr = tf.tensor1d([pointers[name]!], 'int32')
      try {
        const next = enqueue(queue, ptr, k)
        pointers[name] = next.ptr.dataSync()[0]!
        next.ptr.dispose()
        queue.dispose()
        queues[name] = next.queue
      } catch (e) {
        return (e as Error).message
      } finally {
        tf.dispose([k, ptr])
      }
      used[name]!++
      return undefined
    },
    observe: (quantity, expected) => {
      const name = quantity === 'queue' || quantity === 'queue_ptr' ? 'queue' : 'queue2'
      if (!['queue', 'queue_ptr', 'queue2', 'queue2_ptr'].includes(quantity))
        return unobservable(`a key queue has no ${quantity}`)
      const queue = queues[name]
      if (queue === undefined) return unobservable(`initial_state holds no ${name}`)
      return observed(quantity.endsWith('_ptr') ? pointerLike(expected, pointers[name]!) : toRecord(queue))
    },
    set: (quantity) => `a key queue's ${quantity} is not set by a generator action`,
    dispose: () => tf.dispose(Object.values(queues)),
  }
  return session
}

export const keyQueueReplay: SequentialComponent = {
  name: 'key queue',
  accepts: (type) => ['MoCo', 'DenseCL'].includes(type),
  inputs: ['keys', 'keys2'],
  stepInputs: keyFields,
  initialState: ['queue', 'queue_ptr', 'queue2', 'queue2_ptr'],
  start: (scenario) => (isObject(scenario['initial_state']) ? start(scenario) : 'initial_state holds no queue'),
}
