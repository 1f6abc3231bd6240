import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import { LeNet5Model } from '../../../src/models/LeNet5.js'
import { build } from '../../../src/models/registry.js'
import { validateModel } from '../../../src/models/ModelInfo.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { badGradients, shapes, step, tensorGrowth, values } from './helpers.js'

beforeAll(useCpu)

// named_parameters() of MMPretrain's ImageClassifier(backbone=LeNet5(num_classes=10), head=ClsHead()).
const mmpretrainLeNet5 = [
  ['backbone.features.0.weight', [6, 1, 5, 5]],
  ['backbone.features.0.bias', [6]],
  ['backbone.features.3.weight', [16, 6, 5, 5]],
  ['backbone.features.3.bias', [16]],
  ['backbone.features.6.weight', [120, 16, 5, 5]],
  ['backbone.features.6.bias', [120]],
  ['backbone.classifier.0.weight', [84, 120]],
  ['backbone.classifier.0.bias', [84]],
  ['backbone.classifier.2.weight', [10, 84]],
  ['backbone.classifier.2.bias', [10]],
]

describe('LeNet5', () => {
  const model = LeNet5Model.build({ num_classes: 10 })

  it('has MMPretrain’s parameter names and shapes, and info matches init (names, shapes, order, modules)', () => {
    const { params, buffers, rng } = model.init(Rng.make(0))
    expect(shapes(params)).toEqual(mmpretrainLeNet5)
    expect(buffers).toEqual({})
    expect(model.info.params.map((p) => [p.name, p.shape])).toEqual(mmpretrainLeNet5)
    expect(model.info.params.map((p) => p.module.type)).toEqual([
      ...Array(6).fill('Conv2d'),
      ...Array(4).fill('Linear'),
    ])
    expect(model.info.params[2]!.module).toEqual({ type: 'Conv2d', inChannels: 6, groups: 1 })
    expect(validateModel(model.info)).toEqual([])
    // PyTorch's default init: U(±1/√fan_in), one draw per value.
    expect(rng.counter).toBe(mmpretrainLeNet5.reduce((a, [, s]) => a + (s as number[]).reduce((x, y) => x * y, 1), 0))
    const w = params['backbone.features.3.weight']!.dataSync()
    expect(Math.max(...Array.from(w).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(6 * 25))
    expect(model.task).toBe('classification')
    expect(model.inputShape).toEqual([28, 28, 1])
  })

  it('maps 28×28 inputs (zero-padded to 32 inside) and 32×32 inputs to logits', () => {
    const { params } = model.init(Rng.make(0))
    const x = tf.tensor4d(values(2 * 28 * 28, 1), [2, 28, 28, 1])
    const y28 = model.forward(params, {}, x, { training: true, rng: Rng.make(0) }).output
    expect(y28.shape).toEqual([2, 10])
    // The padding is explicit zeros: the 32×32 model on the padded batch gives the same logits.
    const m32 = LeNet5Model.build({ num_classes: 10, input_size: 32 })
    expect(m32.inputShape).toEqual([32, 32, 1])
    const y32 = m32.forward(
      params,
      {},
      tf.pad(x, [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ]),
      { training: false, rng: Rng.make(0) },
    ).output
    expect(Array.from(y32.dataSync())).toEqual(Array.from(y28.dataSync()))
    // Flattened samples are reshaped to the input shape.
    expect(
      model.forward(params, {}, tf.reshape(x, [2, 784]), { training: false, rng: Rng.make(0) }).output.shape,
    ).toEqual([2, 10])
    expect(() => model.forward(params, {}, tf.zeros([2, 30, 30, 1]), { training: false, rng: Rng.make(0) })).toThrow(
      'expected inputs of shape [n, 28, 28, 1]',
    )
  })

  it('gives every parameter a finite, non-zero gradient and leaves no tensors behind', () => {
    const { params } = model.init(Rng.make(1))
    const x = tf.tensor4d(values(28 * 28, 2), [1, 28, 28, 1])
    const labels = tf.tensor1d([3], 'int32')
    const result = step(model, params, {}, x, labels)
    expect(Number.isFinite(result.loss)).toBe(true)
    expect(Math.abs(result.loss - Math.log(10))).toBeLessThan(0.5)
    expect(badGradients(result.grads)).toEqual([])
    expect(tensorGrowth(() => step(model, params, {}, x, labels), 1)).toBe(0)
  })

  it('is in the model registry with strict arguments', () => {
    const built = build({ type: 'LeNet5', num_classes: 10, input_size: 32 })
    expect(built._tag).toBe('Right')
    const bad = build({ type: 'LeNet5', num_classes: 10, input_size: 30 })
    expect(bad._tag === 'Left' && bad.left[0]!.path).toBe('model.input_size')
    const typo = build({ type: 'LeNet5', num_clases: 10 })
    expect(typo._tag === 'Left' && typo.left.map((i) => i.path)).toEqual(['model.num_classes', 'model.num_clases'])
  })
})
