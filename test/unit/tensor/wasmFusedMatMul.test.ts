import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { maxRelDiff } from '../../../src/tensor/opConformance.js'
import { setWasmCorrections } from '../../../src/tensor/wasmKernels.js'
import { kernelsDuring, seededTensor } from '../../support/kernels.js'
import '../../../src/tensor/gradients.js'

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu'
const ACTIVATIONS: ReadonlyArray<Activation> = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu']

/** One `tf.fused.matMul` call, by shapes; the operands are seeded so that both backends see the same values. */
interface Case {
  readonly batch: ReadonlyArray<number>
  readonly bBatch?: ReadonlyArray<number>
  readonly m: number
  readonly k: number
  readonly n: number
  readonly tA: boolean
  readonly tB: boolean
  /** The bias's shape, or none. */
  readonly bias?: ReadonlyArray<number> | undefined
  readonly activation: Activation
  /** The prelu weights' shape ([n], one weight per output channel, when not given). */
  readonly alpha?: ReadonlyArray<number>
  readonly seed: number
}

const tensor = (shape: number[], seed: number) => seededTensor(shape, seed)

interface Operands {
  readonly a: tf.Tensor
  readonly b: tf.Tensor
  readonly bias?: tf.Tensor
  readonly preluActivationWeights?: tf.Tensor
}

const operands = (c: Case): Operands => {
  const a = tensor([...c.batch, ...(c.tA ? [c.k, c.m] : [c.m, c.k])], c.seed)
  const b = tensor([...(c.bBatch ?? c.batch), ...(c.tB ? [c.n, c.k] : [c.k, c.n])], c.seed + 1)
  return {
    a,
    b,
    ...(c.bias === undefined ? {} : { bias: tensor([...c.bias], c.seed + 2) }),
    ...(c.activation === 'prelu' ? { preluActivationWeights: tensor([...(c.alpha ?? [c.n])], c.seed + 3) } : {}),
  }
}

const fused = (c: Case, o: Operands) =>
  tf.fused.matMul({
    ...o,
    transposeA: c.tA,
    transposeB: c.tB,
    activation: c.activation,
    leakyreluAlpha: 0.15,
  })

const forward = async (backend: string, c: Case): Promise<{ shape: number[]; values: Float32Array }> => {
  await tf.setBackend(backend)
  const o = operands(c)
  const y = fused(c, o)
  const result = { shape: y.shape, values: (await y.data()) as Float32Array }
  tf.dispose([y, ...Object.values(o).filter((t) => t !== undefined)])
  return result
}

const agrees = async (c: Case): Promise<void> => {
  const [got, want] = [await forward('wasm', c), await forward('cpu', c)]
  expect(got.shape).toEqual(want.shape)
  expect(maxRelDiff(got.values, want.values)).toBeLessThan(1e-5)
}

const FLAGS: ReadonlyArray<readonly [boolean, boolean]> = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
]
const name = ([tA, tB]: readonly [boolean, boolean]) => `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'}`

describe('tf.fused.matMul on WASM: the corrected product, then the bias and the activation', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('cpu'))
    await Effect.runPromise(selectBackend('wasm'))
  })
  afterEach(() => setWasmCorrections(true))

  for (const flags of FLAGS)
    for (const bias of [undefined, [24]])
      it(`${name(flags)}, ${bias === undefined ? 'no bias' : 'bias'}, each activation, as on the CPU`, async () => {
        for (const activation of ACTIVATIONS)
          await agrees({ batch: [], m: 13, k: 37, n: 24, tA: flags[0], tB: flags[1], bias, activation, seed: 5 })
      })

  for (const flags of FLAGS)
    it(`${name(flags)} batched (rank 3, and a broadcast batch of B) agrees with the CPU backend`, async () => {
      for (const activation of ['linear', 'relu', 'prelu'] as const) {
        const c = { m: 6, k: 11, n: 9, tA: flags[0], tB: flags[1], bias: [9], activation, seed: 9 }
        await agrees({ ...c, batch: [3] })
        await agrees({ ...c, batch: [3], bBatch: [1] })
        await agrees({ ...c, batch: [2, 2] })
      }
    })

  it('a layer at MNIST size, x [64,784] with W [256,784] (PyTorch’s layout, transposeB): as on the CPU', async () => {
    await agrees({ batch: [], m: 64, k: 784, n: 256, tA: false, tB: true, bias: [256], activation: 'relu', seed: 1 })
  })

  it('agrees with the CPU backend over shapes, flags, biases and activations (fast-check)', async () => {
    const dim = fc.integer({ min: 1, max: 20 })
    const cases = fc.sample(
      fc.record({
        batch: fc.constantFrom([], [1], [2]),
        m: dim,
        k: dim,
        n: dim,
        tA: fc.boolean(),
        tB: fc.boolean(),
        biased: fc.boolean(),
        activation: fc.constantFrom(...ACTIVATIONS),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
      { numRuns: 60, seed: 20261203 },
    )
    for (const { biased, ...c } of cases) await agrees({ ...c, ...(biased ? { bias: [c.n] } : {}) })
  })

  it('takes a bias of any shape that broadcasts to the output, which the stock kernel refuses', async () => {
    const c: Case = { batch: [], m: 5, k: 7, n: 4, tA: false, tB: true, bias: [5, 4], activation: 'relu', seed: 3 }
    await agrees(c)
    await agrees({ ...c, bias: [1, 4] })
    await agrees({ ...c, batch: [2], bias: [2, 1, 4] })
    await tf.setBackend('wasm')
    setWasmCorrections(false)
    const o = operands(c)
    expect(() => fused(c, o)).toThrow(/rank-1 bias/)
    tf.dispose(Object.values(o).filter((t) => t !== undefined))
  })

  it('prelu with weights other than one per output channel ([M, 1], a scalar, [M, N]): as on the CPU', async () => {
    const c: Case = { batch: [], m: 5, k: 7, n: 4, tA: true, tB: false, bias: [4], activation: 'prelu', seed: 4 }
    await agrees({ ...c, alpha: [5, 1] })
    await agrees({ ...c, alpha: [1] })
    await agrees({ ...c, alpha: [5, 4] })
  })

  for (const flags of FLAGS)
    it(`${name(flags)}: loss and gradients through tf.fused.matMul (linear, relu; bias) as on the CPU`, async () => {
      for (const activation of ['linear', 'relu'] as const) {
        const c: Case = { batch: [2], m: 6, k: 10, n: 8, tA: flags[0], tB: flags[1], bias: [8], activation, seed: 7 }
        const grads = async (backend: string) => {
          await tf.setBackend(backend)
          const o = operands(c)
          const { result, kernels } = kernelsDuring(() =>
            tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
              tf.sum(tf.square(fused(c, { a, b, bias }))),
            )([o.a, o.b, o.bias!]),
          )
          const values = await Promise.all([result.value, ...result.grads].map((g) => g.data()))
          tf.dispose([result.value, ...result.grads, o.a, o.b, o.bias!])
          return { values, kernels }
        }
        const [got, want] = [await grads('wasm'), await grads('cpu')]
        // tfjs-core fuses under a gradient only the linear activation (`shouldFuse`); relu runs unfused.
        expect(got.kernels.includes('_FusedMatMul')).toBe(activation === 'linear')
        for (const [i, g] of got.values.entries()) expect(maxRelDiff(g, want.values[i]!)).toBeLessThan(1e-5)
      }
    })

  it('releases every intermediate (no tensor or buffer left behind)', async () => {
    await tf.setBackend('wasm')
    const c: Case = { batch: [], m: 8, k: 96, n: 40, tA: false, tB: true, bias: [40], activation: 'linear', seed: 2 }
    const cases: Case[] = [
      ...ACTIVATIONS.map((activation) => ({ ...c, activation })),
      { ...c, activation: 'prelu', alpha: [8, 1] },
    ]
    for (const d of cases) {
      const o = operands(d)
      fused(d, o).dispose()
      // Kernel temporaries live in the backend, not the engine: count both.
      const before = [tf.memory().numTensors, tf.memory().numDataBuffers]
      for (let i = 0; i < 3; i++) fused(d, o).dispose()
      expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual(before)
      tf.dispose(Object.values(o).filter((t) => t !== undefined))
    }
  })
})
