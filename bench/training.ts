/**
 * Training-step throughput of small models on each available backend (the
 * models of the backend research): forward, loss, gradients of all
 * parameters, plain SGD update. Batch 64, seeded data; medians, cases
 * interleaved round-robin.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { selectBackend } from '../src/tensor/backend.js'
import { seededValues } from '../src/tensor/opConformance.js'
import { measureInterleaved, report } from './harness.js'

type Params = { [name: string]: tf.Tensor }

const tensor = (shape: number[], seed: number, scale: number) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, scale), shape)

const mlp = (): { params: Params; loss: (p: Params, x: tf.Tensor, y: tf.Tensor) => tf.Scalar; input: number[] } => ({
  params: { 'fc1.w': tensor([784, 256], 1, 0.05), 'fc1.b': tf.zeros([256]), 'fc2.w': tensor([256, 256], 2, 0.06), 'fc2.b': tf.zeros([256]), 'fc3.w': tensor([256, 10], 3, 0.06), 'fc3.b': tf.zeros([10]) },
  input: [64, 784],
  loss: (p, x, y) => {
    const h1 = tf.relu(tf.add(tf.matMul(x, p['fc1.w']!), p['fc1.b']!))
    const h2 = tf.relu(tf.add(tf.matMul(h1, p['fc2.w']!), p['fc2.b']!))
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, p['fc3.w']!), p['fc3.b']!)) as tf.Scalar
  },
})

const cnn = (): { params: Params; loss: (p: Params, x: tf.Tensor, y: tf.Tensor) => tf.Scalar; input: number[] } => ({
  params: { 'conv1.w': tensor([3, 3, 1, 16], 4, 0.3), 'conv2.w': tensor([3, 3, 16, 32], 5, 0.1), 'fc.w': tensor([1568, 10], 6, 0.03), 'fc.b': tf.zeros([10]) },
  input: [64, 28, 28, 1],
  loss: (p, x, y) => {
    const c1 = tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, p['conv1.w'] as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')
    const c2 = tf.maxPool(tf.relu(tf.conv2d(c1, p['conv2.w'] as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.reshape(c2, [64, 1568]), p['fc.w']!), p['fc.b']!)) as tf.Scalar
  },
})

export const trainingBench = async (backends: ReadonlyArray<'cpu' | 'wasm'>, models: ReadonlyArray<'mlp' | 'cnn'>, rounds: number) => {
  for (const b of backends) await Effect.runPromise(selectBackend(b))
  const cases = backends.flatMap((backend) =>
    models.map((kind) => {
      const model = kind === 'mlp' ? mlp() : cnn()
      const names = Object.keys(model.params)
      const x = tensor(model.input, 10, 1)
      const y = tf.oneHot(tf.tensor1d(seededValues(64, 11).map((v) => Math.floor((v + 1) * 5)), 'int32'), 10)
      let params = model.params
      return {
        name: `[${backend}] ${kind} training step, batch 64`,
        body: async () => {
          await tf.setBackend(backend)
          const next = tf.tidy(() => {
            const grads = tf.grads((...ps: tf.Tensor[]) => model.loss(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), x, y))(names.map((n) => params[n]!))
            return Object.fromEntries(names.map((n, i) => [n, tf.sub(params[n]!, tf.mul(grads[i]!, 0.01))]))
          })
          tf.dispose(Object.values(params))
          params = next
          await params[names[0]!]!.data()
        },
      }
    }),
  )
  const results = await measureInterleaved(cases, rounds)
  console.log(report(results.map((r) => ({ ...r, throughput: 64 / (r.medianMs / 1000), unit: 'samples' }))))
}
