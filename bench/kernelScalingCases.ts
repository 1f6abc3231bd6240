/**
 * The kinds of work in one data-parallel MLP step (784-256-256-10, batch 64,
 * Adam), each at the size of the step's largest layer, for
 * `bench/kernelScaling.ts`: the forward product, its bias and ReLU, the
 * weight gradient's product, the fused Adam update, and the exchange's copies (one 784×256
 * gradient out of the tensor and the mean back into one).
 */
import * as tf from '@tensorflow/tfjs-core'
import { copyValuesInto, tensorOfValues } from '../src/tensor/copyValues.js'
import { fusedAdamStep } from '../src/tensor/fusedAdam.js'

export interface KernelCase {
  readonly name: string
  /** Inputs made once; `run` does one repetition and frees what it made. */
  readonly setup: () => { readonly run: () => void; readonly dispose: () => void }
}

const BATCH = 64
const [IN, OUT] = [784, 256]

const adamScalars = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  stepSize: 0.001,
  bias2Sqrt: 0.03,
  weightDecay: 0,
  decoupled: false,
  lr: 0.001,
  maximize: false,
}

/** `op(a)·op(b)` of seeded normal operands of these shapes. */
const product = (name: string, a: number[], b: number[], transposeA: boolean, transposeB: boolean): KernelCase => ({
  name,
  setup: () => {
    const [x, y] = [tf.randomNormal(a), tf.randomNormal(b)]
    return { run: () => tf.matMul(x, y, transposeA, transposeB).dispose(), dispose: () => tf.dispose([x, y]) }
  },
})

export const kernelCases: ReadonlyArray<KernelCase> = [
  product('forward product 64×784·(256×784)ᵀ', [BATCH, IN], [OUT, IN], false, true),
  {
    name: 'bias and ReLU on 64×256',
    setup: () => {
      const [y, b] = [tf.randomNormal([BATCH, OUT]), tf.randomNormal([OUT])]
      return { run: () => tf.tidy(() => tf.relu(tf.add(y, b))).dispose(), dispose: () => tf.dispose([y, b]) }
    },
  },
  product('weight gradient 256×64·64×784', [BATCH, OUT], [BATCH, IN], true, false),
  {
    name: 'Adam update of 784×256 parameters',
    setup: () => {
      const [p, g] = [tf.randomNormal([OUT, IN]), tf.randomNormal([OUT, IN])]
      const [m, v] = [tf.zeros([OUT, IN]), tf.zeros([OUT, IN])]
      return { run: () => tf.dispose(fusedAdamStep(p, g, m, v, adamScalars)), dispose: () => tf.dispose([p, g, m, v]) }
    },
  },
  {
    name: 'exchange copies of 784×256 floats (out and back in)',
    setup: () => {
      const g = tf.randomNormal([OUT, IN])
      const flat = new Float32Array(OUT * IN)
      return {
        run: () => {
          copyValuesInto(g, flat, 0)
          tensorOfValues(flat, [OUT, IN]).dispose()
        },
        dispose: () => g.dispose(),
      }
    },
  },
]
