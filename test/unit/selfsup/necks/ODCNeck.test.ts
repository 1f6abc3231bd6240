import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../../src/dsl/Rng.js'
import { defaultComponentTypes } from '../../../../src/selfsup/components.js'
import type { Neck } from '../../../../src/selfsup/Component.js'
import { buildNeck } from '../../../../src/selfsup/registry.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

const neck = (): Neck =>
  buildNeck(
    defaultComponentTypes,
    { type: 'ODCNeck', in_channels: 4, hid_channels: 6, out_channels: 3, with_avg_pool: true },
    'model.neck',
  )

beforeAll(async () => {
  await useCpu()
})

describe('ODCNeck', () => {
  it("has MMSelfSup's parameters: fc0, fc1 with biases, bn0 without affine (running statistics only)", () => {
    const n = neck()
    const init = n.init('neck', Rng.make(0))
    expect(Object.keys(init.params).sort()).toEqual([
      'neck.fc0.bias',
      'neck.fc0.weight',
      'neck.fc1.bias',
      'neck.fc1.weight',
    ])
    expect(Object.keys(init.buffers).sort()).toEqual([
      'neck.bn0.num_batches_tracked',
      'neck.bn0.running_mean',
      'neck.bn0.running_var',
    ])
    expect(n.info('neck').map((p) => p.name)).toEqual([
      'neck.fc0.weight',
      'neck.fc0.bias',
      'neck.fc1.weight',
      'neck.fc1.bias',
    ])
    expect(n.outChannels).toBe(3)
  })

  it('pools a map to [n, out], ends in relu, moves bn0 by momentum 0.001, and drops out only in training', () => {
    const n = neck()
    const { params, buffers } = n.init('neck', Rng.make(1))
    const x = tf.randomNormal([5, 2, 2, 4], 0, 1, 'float32', 3)
    const evalOut = n.apply(params, buffers, 'neck', x, { training: false })
    expect(evalOut.value.shape).toEqual([5, 3])
    expect(Math.min(...evalOut.value.dataSync())).toBeGreaterThanOrEqual(0)
    expect(evalOut.buffers).toEqual({})
    const rng = Rng.make(9)
    const train = () => n.apply(params, buffers, 'neck', x, { training: true, rng } as never)
    const a = train()
    // bn0 starts at mean 0: after one step the running mean is 0.001 × the batch mean.
    const h = tf.tidy(() => {
      const flat = tf.mean(x, [1, 2])
      return tf.mean(tf.add(tf.matMul(flat, params['neck.fc0.weight']!, false, true), params['neck.fc0.bias']!), 0)
    })
    const running = a.buffers['neck.bn0.running_mean']!.dataSync()
    const means = h.dataSync()
    for (let i = 0; i < means.length; i++) expect(running[i]).toBeCloseTo(0.001 * means[i]!, 6)
    // The same stream draws the same dropout mask.
    expect(Array.from(train().value.dataSync())).toEqual(Array.from(a.value.dataSync()))
    const other = n.apply(params, buffers, 'neck', x, { training: true, rng: Rng.make(10) } as never)
    expect(Array.from(other.value.dataSync())).not.toEqual(Array.from(a.value.dataSync()))
  })
})
