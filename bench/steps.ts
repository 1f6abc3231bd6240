/**
 * The training steps the performance benchmarks measure, shared by
 * `profile.ts` and `speed.ts`: a zoo model, seeded inputs of its shape, and
 * one step = forward, cross-entropy, gradients of every parameter, and
 * loopwright's `adam()` update (PyTorch's formulas), as the train step does.
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Rng from '../src/dsl/Rng.js'
import type { Model } from '../src/models/Model.js'
import * as Models from '../src/models/registry.js'
import { adam } from '../src/optim/optimizers/adam.js'
import { tensorsIn } from '../src/optim/serialize.js'
import * as Tree from '../src/tensor/tree.js'
import { seededValues } from '../src/tensor/opConformance.js'

export interface BenchModel {
  readonly label: string
  readonly cfg: object
  readonly batch: number
}

export const benchModels: ReadonlyArray<BenchModel> = [
  {
    label: 'MLP 784-256-256-10',
    cfg: { type: 'MLP', in_features: 784, hidden: [256, 256], num_classes: 10 },
    batch: 64,
  },
  { label: 'LeNet-5', cfg: { type: 'LeNet5', num_classes: 10 }, batch: 64 },
  { label: 'ResNet-18-CIFAR', cfg: { type: 'ResNet', depth: 18, num_classes: 10, stem: 'cifar' }, batch: 32 },
]

export const buildModel = (cfg: object): Model => {
  const built = Models.build(cfg)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right
}

/**
 * A step function over seeded data that keeps its own parameters, buffers and
 * Adam state between calls, freeing what each step replaces (numTensors flat),
 * and waits for the backend on the loss (the optimizer kernels run synchronously on CPU backends).
 */
export const syntheticStep = (entry: BenchModel): (() => Promise<void>) => {
  const model = buildModel(entry.cfg)
  const init = model.init(Rng.make(1))
  let params: Tree.Tree = init.params
  let buffers: Tree.Tree = init.buffers
  const names = Object.keys(params)
  const shape = model.inputShape ?? []
  const size = shape.reduce((a, b) => a * b, 1)
  const x = tf.tensor(seededValues(entry.batch * size, 10, 1), [entry.batch, ...shape])
  const y = tf.tensor1d(
    seededValues(entry.batch, 11).map((v) => Math.floor((v + 1) * 5) % 10),
    'int32',
  )
  const optimizer = adam()
  const groups = [{ names, hyper: { lr: 1e-3 } }]
  let state = optimizer.init(params)
  return async () => {
    let nextBuffers: Tree.Tree = buffers
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const current = Object.fromEntries(names.map((n, i) => [n, ps[i]!]))
      const out = model.forward(current, buffers, x, { training: true, rng: Rng.make(0) })
      nextBuffers = out.buffers
      for (const b of Object.values(nextBuffers)) if (!Object.values(buffers).includes(b)) tf.keep(b)
      return model.losses(out.output, y)['loss']!
    })(names.map((n) => params[n]!))
    const gradTree = Object.fromEntries(names.map((n, i) => [n, grads[i]!]))
    const [updates, nextState] = optimizer.update(gradTree, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    // Wait for the backend on the loss, one float, as a training loop reads it (reading a parameter copied 800 kB).
    await value.data()
    const keep = new Set([...Object.values(nextParams), ...Object.values(nextBuffers), ...tensorsIn([nextState])])
    const old = [
      ...Object.values(params),
      ...Object.values(buffers),
      ...tensorsIn([state]),
      ...grads,
      value,
      ...Object.values(updates),
    ]
    for (const t of old) if (!keep.has(t) && !t.isDisposed) t.dispose()
    params = nextParams
    buffers = nextBuffers
    state = nextState
  }
}
