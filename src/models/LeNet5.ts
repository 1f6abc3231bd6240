/**
 * MMPretrain's `LeNet5` (mmpretrain/models/backbones/lenet.py) inside an
 * `ImageClassifier` with a parameter-free `ClsHead`, as its
 * `configs/lenet/lenet5_mnist.py` builds it:
 *
 * | name | module |
 * | --- | --- |
 * | `backbone.features.0` | `Conv2d(1, 6, 5)` → Tanh → `AvgPool2d(2)` |
 * | `backbone.features.3` | `Conv2d(6, 16, 5)` → Tanh → `AvgPool2d(2)` |
 * | `backbone.features.6` | `Conv2d(16, 120, 5)` → Tanh |
 * | `backbone.classifier.0` | `Linear(120, 84)` → Tanh |
 * | `backbone.classifier.2` | `Linear(84, num_classes)` |
 *
 * The classifier lives in the backbone (MMPretrain's `num_classes > 0`), so
 * there is no `head.*` parameter. Every layer keeps PyTorch's default
 * initialisation (`BaseBackbone` with no `init_cfg`).
 *
 * LeNet-5 expects 32×32 images. MMPretrain resizes MNIST's 28×28 digits to
 * 32 (bilinear `Resize`); here `input_size: 28` instead zero-pads 2 pixels on
 * every side inside the model (LeCun's original treatment of MNIST), so the
 * pipeline stays a plain normalisation. The padding is zeros in the model's
 * input space, i.e. after the data preprocessor's normalisation.
 *
 * @example
 * ```ts
 * const model = LeNet5Model.build({ num_classes: 10 })
 * model.info.params.map((p) => p.name) // ['backbone.features.0.weight', …, 'backbone.classifier.2.bias']
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type * as Rng from '../dsl/Rng.js'
import { tanhAvgPool } from '../tensor/tanhAvgPool.js'
import type { Tree } from '../tensor/tree.js'
import * as Conv2d from './Conv2d.js'
import { asImages } from './images.js'
import * as Linear from './Linear.js'
import { crossEntropy } from './losses.js'
import { withoutBuffers } from './Model.js'
import type { ModelType } from './Model.js'
import { type args, configOf, convs, info, LeNet5Description, linears } from './lenet5Specs.js'
import type { LeNet5Config } from './lenet5Specs.js'

export type { LeNet5Config } from './lenet5Specs.js'
export { info } from './lenet5Specs.js'

/**
 * The parameters with PyTorch's default initialisation, drawn in `named_parameters()` order.
 *
 * @example
 * ```ts
 * const [params, rng] = init({ num_classes: 10, input_size: 28 }, Rng.make(0))
 * ```
 */
export const init = (cfg: LeNet5Config, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  let params: Tree = {}
  let r = rng
  for (const c of convs) {
    const [p, next] = Conv2d.init(c.name, { in_channels: c.in, out_channels: c.out, kernel_size: 5 }, r)
    params = { ...params, ...p }
    r = next
  }
  for (const l of linears(cfg)) {
    const [p, next] = Linear.init(l.name, l.in, l.out, r)
    params = { ...params, ...p }
    r = next
  }
  return [params, r]
}

/**
 * Logits `[n, num_classes]` for images `[n, s, s, 1]` (`s` = `input_size`).
 *
 * @example
 * ```ts
 * apply({ num_classes: 10, input_size: 28 }, params, tf.zeros([4, 28, 28, 1])).shape // [4, 10]
 * ```
 */
export const apply = (cfg: LeNet5Config, params: Tree, inputs: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    let x = asImages(inputs, [cfg.input_size, cfg.input_size, 1], 'LeNet5')
    if (cfg.input_size === 28)
      x = tf.pad(x, [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ])
    // Tanh → AvgPool2d(2): `tf.tanh` then `tf.avgPool`, or one kernel on WebGPU (`tensor/tanhAvgPool.ts`).
    x = tanhAvgPool(Conv2d.apply(params, 'backbone.features.0', {}, x), 2)
    x = tanhAvgPool(Conv2d.apply(params, 'backbone.features.3', {}, x), 2)
    x = tf.tanh(Conv2d.apply(params, 'backbone.features.6', {}, x)) // [n, 1, 1, 120]
    const h = tf.tanh(Linear.apply(params, 'backbone.classifier.0', tf.reshape(x, [x.shape[0], 120])))
    return Linear.apply(params, 'backbone.classifier.2', h)
  })

/**
 * `model = dict(type='LeNet5', num_classes=10, input_size=28)`: a classifier trained with cross-entropy.
 *
 * @example
 * ```ts
 * const model = LeNet5Model.build({ num_classes: 10 }) // inputShape [28, 28, 1]
 * ```
 */
export const LeNet5Model: ModelType<t.TypeOf<typeof args>> = {
  ...LeNet5Description,
  build: (a) => {
    const cfg = configOf(a)
    return {
      type: 'LeNet5',
      task: 'classification',
      init: withoutBuffers((rng) => init(cfg, rng)),
      info: info(cfg),
      inputShape: [cfg.input_size, cfg.input_size, 1],
      forward: (params, buffers, inputs) => ({ output: apply(cfg, params, inputs), buffers }),
      losses: (output, targets) => ({ loss: crossEntropy(output, targets) }),
    }
  },
}
