/**
 * `reduceGradients(reduce)(inner)`: the inner transformation sees the reduced
 * gradients (here a reduction that a two-worker mean would give if the other
 * worker's gradients were the negated ones plus one), keeps its own state
 * layout, and leaves no tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { adam } from '../../../../src/optim/optimizers/adam.js'
import { inPlace } from '../../../../src/optim/transforms/meanReducer.js'
import { averaged, reduceGradients } from '../../../../src/optim/transforms/reduceGradients.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { read } from '../optimizers/harness.js'

beforeAll(async () => {
  await useCpu()
})

/** The mean with a partner whose values are `1 − v`: every value becomes 0.5. */
const withPartner = (values: Float32Array): void =>
  values.forEach((v, i) => {
    values[i] = (v + (1 - v)) / 2
  })

describe('reduceGradients', () => {
  it('flattens the gradients in name order into one call and rebuilds them with their shapes', () => {
    const calls: number[] = []
    const grads = {
      b: tf.tensor([3, 4]),
      a: tf.tensor([
        [1, 2],
        [5, 6],
      ]),
    }
    const out = averaged(
      grads,
      inPlace((values) => {
        calls.push(values.length)
        expect(Array.from(values)).toEqual([1, 2, 5, 6, 3, 4])
        values.forEach((v, i) => {
          values[i] = v * 10
        })
      }),
    )
    expect(calls).toEqual([6])
    expect(out['a']!.shape).toEqual([2, 2])
    expect(read(out['a']!)).toEqual([10, 20, 50, 60])
    expect(read(out['b']!)).toEqual([30, 40])
    tf.dispose([...Object.values(grads), ...Object.values(out)])
  })

  it("reads the mean where the transport keeps it, and the new gradients do not alias the transport's buffer", () => {
    // A transport with one buffer of its own, reused by every call (as the shared memory of worker threads).
    const buffer = new Float32Array(8)
    const viaBuffer = (length: number, fill: (t: Float32Array) => void, readMean: (m: Float32Array) => void) => {
      fill(buffer.subarray(0, length))
      buffer.subarray(0, length).forEach((v, i) => {
        buffer[i] = v / 2
      })
      readMean(buffer.subarray(0, length))
    }
    const grads = { a: tf.tensor([2, 4]), b: tf.tensor([6]) }
    const first = averaged(grads, viaBuffer)
    const second = averaged({ a: tf.tensor([10, 20]), b: tf.tensor([30]) }, viaBuffer)
    expect(read(first['a']!)).toEqual([1, 2])
    expect(read(first['b']!)).toEqual([3])
    expect(read(second['a']!)).toEqual([5, 10])
    buffer.fill(-1)
    expect(read(second['b']!)).toEqual([15])
  })

  it('inPlace keeps one scratch array between calls, grown when needed', () => {
    const seen: Float32Array[] = []
    const reduce = inPlace((values) => {
      seen.push(values)
    })
    reduce(
      3,
      () => {},
      () => {},
    )
    reduce(
      2,
      () => {},
      () => {},
    )
    reduce(
      5,
      () => {},
      () => {},
    )
    expect(seen.map((v) => v.length)).toEqual([3, 2, 5])
    expect(seen[1]!.buffer).toBe(seen[0]!.buffer)
    expect(seen[2]!.buffer).not.toBe(seen[0]!.buffer)
  })

  it('the inner optimizer steps on the reduced gradients, keeps its state layout, and nothing leaks', () => {
    const params = { w: tf.tensor([0.5, -1, 2]) }
    const grads = { w: tf.tensor([0.2, 0.9, -3]) }
    const hyper = { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false }
    const groups = [{ names: ['w'], hyper }]
    const inner = adam()
    const reduced = reduceGradients(inPlace(withPartner))(inner)
    const s0 = reduced.init(params)
    const direct0 = inner.init(params)
    expect(Object.keys(s0 as object)).toEqual(Object.keys(direct0 as object))
    const before = tf.memory().numTensors
    const [updates] = reduced.update(grads, s0, params, groups)
    const reducedKept = tf.memory().numTensors - before
    const half = { w: tf.tensor([0.5, 0.5, 0.5]) }
    const mark = tf.memory().numTensors
    const [expected] = inner.update(half, direct0, params, groups)
    // The reduced gradients were released: the reduced step keeps exactly as many tensors as the plain one.
    expect(reducedKept).toBe(tf.memory().numTensors - mark)
    expect(read(updates['w']!)).toEqual(read(expected['w']!))
  })
})
