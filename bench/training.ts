/**
 * Training-step throughput of the model zoo on each backend, side by side:
 * forward, cross-entropy, gradients of every parameter, a plain SGD update,
 * batch 64 of seeded 28×28 inputs. Backends: CPU (pure JS), stock WASM
 * (loopwright's corrections switched off) and corrected WASM. Cases are
 * interleaved round-robin; medians. A model a backend cannot train is
 * reported with the error it fails with.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import * as Rng from '../src/dsl/Rng.js'
import * as Models from '../src/models/registry.js'
import type { Model } from '../src/models/Model.js'
import { selectBackend } from '../src/tensor/backend.js'
import { seededValues } from '../src/tensor/opConformance.js'
import { setWasmCorrections } from '../src/tensor/wasmKernels.js'
import '../src/tensor/gradients.js'
import { measureInterleaved, report } from './harness.js'

type Backend = 'cpu' | 'wasm' | 'wasm-stock'
const BATCH = 64

const zoo: ReadonlyArray<readonly [string, object]> = [
  ['MLP 784-256-256-10', { type: 'MLP', in_features: 784, hidden: [256, 256], num_classes: 10 }],
  ['LeNet-5', { type: 'LeNet5', num_classes: 10 }],
  ['ViT-tiny (3 layers, 64 dims, patch 7)', { type: 'VisionTransformer', num_classes: 10 }],
]

const use = async (backend: Backend) => {
  await tf.setBackend(backend === 'cpu' ? 'cpu' : 'wasm')
  setWasmCorrections(backend !== 'wasm-stock')
}

export const trainingBench = async (
  backends: ReadonlyArray<Backend>,
  rounds: number,
  skip: ReadonlyArray<string> = [],
) => {
  await Effect.runPromise(selectBackend('cpu'))
  await Effect.runPromise(selectBackend('wasm'))
  const cases: Array<{ name: string; body: () => Promise<void> }> = []
  const failures: string[] = []
  for (const backend of backends) {
    for (const [label, cfg] of zoo) {
      if (skip.includes(`${backend}:${label}`)) continue
      const built = Models.build(cfg)
      if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
      const model: Model = built.right
      await use(backend)
      let { params } = model.init(Rng.make(1))
      const names = Object.keys(params)
      const x = tf.tensor(seededValues(BATCH * 784, 10, 1), [BATCH, 28, 28, 1])
      const y = tf.tensor1d(
        seededValues(BATCH, 11).map((v) => Math.floor((v + 1) * 5) % 10),
        'int32',
      )
      const step = async () => {
        await use(backend)
        const next = tf.tidy(() => {
          const grads = tf.grads(
            (...ps: tf.Tensor[]) =>
              model.losses(
                model.forward(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), {}, x, {
                  training: true,
                  rng: Rng.make(0),
                }).output,
                y,
              )['loss']!,
          )(names.map((n) => params[n]!))
          return Object.fromEntries(names.map((n, i) => [n, tf.sub(params[n]!, tf.mul(grads[i]!, 0.01))]))
        })
        tf.dispose(Object.values(params))
        params = next
        await params[names[0]!]!.data()
      }
      try {
        await step()
        cases.push({ name: `[${backend}] ${label}, batch ${BATCH}`, body: step })
      } catch (error) {
        failures.push(`[${backend}] ${label}: cannot train (${(error as Error).message.split('\n')[0]})`)
      }
    }
  }
  const results = await measureInterleaved(cases, rounds)
  console.log(report(results.map((r) => ({ ...r, throughput: 1000 / r.medianMs, unit: 'steps' }))))
  for (const f of failures) console.log(f)
  const by = (name: string) => results.find((r) => r.name.startsWith(name))
  for (const [label] of zoo) {
    const fixed = by(`[wasm] ${label}`)
    const stock = by(`[wasm-stock] ${label}`)
    const cpu = by(`[cpu] ${label}`)
    const parts = [
      stock === undefined || fixed === undefined
        ? undefined
        : `corrected WASM ${(stock.medianMs / fixed.medianMs).toFixed(1)}× faster than stock`,
      cpu === undefined || fixed === undefined
        ? undefined
        : `${(cpu.medianMs / fixed.medianMs).toFixed(1)}× faster than CPU`,
    ].filter((p) => p !== undefined)
    if (parts.length > 0) console.log(`${label}: ${parts.join(', ')}`)
  }
  setWasmCorrections(true)
}
