import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { TensorStore, refsIn } from '../../../../src/interpreters/tensor/TensorStore.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(useCpu)

describe('TensorStore', () => {
  it('replaces tensors by refs and back, keeping the structure and giving one id per tensor', () => {
    const store = new TensorStore()
    const w = tf.ones([2, 3])
    const value = { params: { w }, slots: [w, { m: tf.zeros([3]) }], step: 4 }
    const external = store.externalize(value)
    expect(external.step).toBe(4)
    expect(external.params.w).toEqual({ _tag: 'TensorRef', id: 1, shape: [2, 3], dtype: 'float32' })
    expect(external.slots[0]).toEqual(external.params.w)
    expect(refsIn(external).map((r) => r.id)).toEqual([1, 1, 2])
    const internal = store.internalize(external)
    expect(internal.params.w).toBe(w)
    expect(store.size).toBe(2)
    store.clear()
  })

  it('frees exactly the tensors no root references', () => {
    const before = tf.memory().numTensors
    const store = new TensorStore()
    const kept = store.externalize({ a: tf.ones([2]) })
    const dropped = store.externalize({ b: tf.ones([2]) })
    expect(store.collect([kept])).toBe(1)
    expect(store.internalize(kept).a.isDisposed).toBe(false)
    expect(() => store.get(dropped.b)).toThrow(/not live/)
    store.clear()
    expect(tf.memory().numTensors).toBe(before)
  })
})
