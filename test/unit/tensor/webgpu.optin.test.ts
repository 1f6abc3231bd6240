/**
 * Opt-in: the WebGPU route (Dawn + @tensorflow/tfjs-backend-webgpu) on this
 * machine's adapter — a software one (Mesa lavapipe ≥ 25) works, so CI
 * machines without a GPU can run it:
 *
 *   apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1
 *   npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0
 *   npm run test:webgpu
 *
 * Skipped unless LOOPWRIGHT_WEBGPU=1.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { type AdamScalars, fusedAdamStep } from '../../../src/tensor/fusedAdam.js'
import { nonFiniteProbe } from '../../../src/tensor/finiteProbe.js'
import { compareWithCpu, seededValues } from '../../../src/tensor/opConformance.js'
import { linear, RELU_BIAS_GRAD } from '../../../src/tensor/linear.js'
import { reluGrad } from '../../../src/tensor/reluGrad.js'
import { softmaxCrossEntropy } from '../../../src/tensor/softmaxCrossEntropy.js'
import { tanhAvgPool } from '../../../src/tensor/tanhAvgPool.js'
import { tanhGrad } from '../../../src/tensor/tanhGrad.js'
import { normalize } from '../../../src/tensor/normalize.js'
import { conv2dBias } from '../../../src/tensor/conv2dBias.js'
import * as LeNet5 from '../../../src/models/LeNet5.js'
import * as Rng from '../../../src/dsl/Rng.js'
import { baseConfig, programOf, run, tempDir } from '../interpreters/tensor/support.js'

describe.skipIf(process.env['LOOPWRIGHT_WEBGPU'] !== '1')('the WebGPU route (opt-in)', () => {
  it('agrees with the CPU backend on every op of the conformance suite, forward and gradients', async () => {
    await Effect.runPromise(selectBackend('cpu'))
    const selected = await Effect.runPromise(selectBackend('webgpu'))
    expect(selected.name).toBe('webgpu')
    const results = await compareWithCpu('webgpu', 1e-4)
    expect(results.filter((r) => !r.ok)).toEqual([])
  }, 300_000)

  it('trains through the tensor interpreter to the parameters the CPU backend ' +
    'reaches, and frees every tensor', async () => {
    const program = programOf({
      ...baseConfig,
      train_cfg: { type: 'IterBasedTrainLoop', max_iters: 12, val_interval: 6 },
    })
    await tf.setBackend('cpu')
    const onCpu = await run(program, { workDir: tempDir() })
    await tf.setBackend('webgpu')
    const before = tf.memory().numTensors
    const onGpu = await run(program, { workDir: tempDir() })
    expect(tf.memory().numTensors).toBe(before)
    for (const [name, p] of Object.entries(onCpu.params)) {
      const got = onGpu.params[name]!.values
      p.values.forEach((v, i) => {
        expect(Math.abs(got[i]! - v), `${name}[${i}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))
      })
    }
    expect(onGpu.evaluations.map((e) => e.iter)).toEqual([6, 12])
  }, 300_000)

  it("trains an MLP classifier through train() with loopwright's WebGPU kernels to the CPU backend's " +
    'parameters', async () => {
    await Effect.runPromise(selectBackend('cpu'))
    if (tf.findBackend('webgpu') === null) await Effect.runPromise(selectBackend('webgpu'))
    const program = programOf({
      model: { type: 'MLP', in_features: 784, hidden: [32], num_classes: 10 },
      train_dataloader: {
        batch_size: 64,
        dataset: { type: 'MNIST', split: 'train', indices: 256 },
        sampler: { type: 'DefaultSampler', shuffle: true },
      },
      train_cfg: { type: 'IterBasedTrainLoop', max_iters: 8 },
      optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.002, weight_decay: 0.05 } },
      default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 8, by_epoch: false } },
      randomness: { seed: 3 },
      log_processor: { by_epoch: false },
    })
    await tf.setBackend('cpu')
    const onCpu = await run(program, { workDir: tempDir(), datasets: {} })
    await tf.setBackend('webgpu')
    const before = tf.memory().numTensors
    // The kernels the run asks for: the point is that loopwright's own ran on WebGPU.
    const engine = tf.engine() as unknown as { runKernelFunc: (p: { kernelName?: string }) => unknown }
    const runKernelFunc = engine.runKernelFunc
    const kernels = new Set<string>()
    engine.runKernelFunc = function (p) {
      if (p.kernelName !== undefined) kernels.add(p.kernelName)
      return runKernelFunc.call(this, p)
    }
    const onGpu = await run(program, { workDir: tempDir(), datasets: {} }).finally(() => {
      engine.runKernelFunc = runKernelFunc
    })
    expect(tf.memory().numTensors).toBe(before)
    const names = ['FusedAdam', 'FiniteProbe', 'Linear', 'ReluBiasGrad', 'SoftmaxCrossEntropy'].map(
      (k) => `Loopwright${k}`,
    )
    expect(names.filter((k) => !kernels.has(k))).toEqual([])
    for (const [name, p] of Object.entries(onCpu.params)) {
      const got = onGpu.params[name]!.values
      p.values.forEach((v, i) => {
        expect(Math.abs(got[i]! - v), `${name}[${i}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))
      })
    }
  }, 300_000)

  describe("loopwright's WebGPU kernels against the CPU backend's", () => {
    // Selected once: each selection of WebGPU creates a Dawn instance, and a second one aborts the process.
    beforeAll(async () => {
      await Effect.runPromise(selectBackend('cpu'))
      if (tf.findBackend('webgpu') === null) await Effect.runPromise(selectBackend('webgpu'))
    }, 60_000)

    // WGSL allows ÷ and √ 2.5 ULP of error and may contract a·b + c: equal within a few float32 ULP.
    const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
      expect(got.length, what).toBe(want.length)
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(
          1e-6 * (1 + Math.abs(want[i]!)),
        )
    }

    /** The compute programs the WebGPU backend dispatches while `f` runs. */
    const programsDuring = <A>(f: () => A): { result: A; programs: number } => {
      const backend = tf.findBackend('webgpu') as unknown as { runWebGPUProgram: (...args: unknown[]) => unknown }
      const original = backend.runWebGPUProgram
      let programs = 0
      backend.runWebGPUProgram = function (...args) {
        programs++
        return original.apply(this, args)
      }
      try {
        return { result: f(), programs }
      } finally {
        backend.runWebGPUProgram = original
      }
    }

    const largestOf = (vs: ArrayLike<number>) => Array.from(vs).reduce((a, v) => Math.max(a, Math.abs(v)), 0)

    const values = (ts: tf.Tensor[]) =>
      Promise.all(ts.map(async (t) => [await t.data(), t.dispose()][0] as Float32Array))

    /**
     * `kernel` over `inputs()` on both backends: the values of its outputs, and the programs WebGPU dispatched for
     * the kernel alone (the inputs are made first). Every tensor is freed.
     */
    const onBoth = async (inputs: () => tf.Tensor[], kernel: (xs: tf.Tensor[]) => tf.Tensor[]) => {
      await tf.setBackend('cpu')
      const want = await values(tf.tidy(() => kernel(inputs())))
      await tf.setBackend('webgpu')
      const before = tf.memory().numTensors
      const xs = tf.tidy(inputs)
      const { result, programs } = programsDuring(() => tf.tidy(() => kernel(xs)))
      const got = await values(result)
      tf.dispose(xs)
      expect(tf.memory().numTensors).toBe(before)
      return { want, got, programs }
    }

    it('fused Adam: one program per parameter computes the step, m and v of every variant', async () => {
      for (const maximize of [false, true])
        for (const decoupled of [false, true])
          for (const weightDecay of [0, 0.05]) {
            const t = 3
            const scalars: AdamScalars = {
              beta1: 0.9,
              beta2: 0.999,
              eps: 1e-8,
              stepSize: 0.001 / (1 - 0.9 ** t),
              bias2Sqrt: Math.sqrt(1 - 0.999 ** t),
              weightDecay,
              decoupled,
              lr: 0.001,
              maximize,
            }
            // 3·67 elements: not a multiple of the workgroup, so the bounds check is exercised.
            const shape = [3, 67]
            const n = 3 * 67
            const { want, got, programs } = await onBoth(
              () =>
                tf.tidy(() => [
                  tf.tensor(seededValues(n, 1), shape),
                  tf.tensor(seededValues(n, 2), shape),
                  tf.mul(tf.tensor(seededValues(n, 3), shape), 0.1),
                  tf.mul(tf.square(tf.tensor(seededValues(n, 4), shape)), 0.01),
                ]),
              ([p, g, m, v]) => fusedAdamStep(p!, g!, m!, v!, scalars),
            )
            const what = `maximize ${maximize}, decoupled ${decoupled}, wd ${weightDecay}`
            expect(programs, what).toBe(1)
            for (const [i, name] of ['next', 'm', 'v'].entries()) close(got[i]!, want[i]!, `${what}: ${name}`)
          }
    }, 300_000)

    /** Equal bits, except that any NaN matches any NaN. */
    const same = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) =>
      expect(
        Array.from(got, (x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x)),
        what,
      ).toEqual(Array.from(want, (x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x)))

    it('the non-finite probe: one program per seven tensors, NaN exactly where one holds NaN or ±∞', async () => {
      const edge = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e38, -3e38, 0]
      // Nine tensors (two programs), of sizes around the workgroup's 256, each with at most one edge value.
      const inputs = () =>
        Array.from({ length: 9 }, (_, i) => {
          const values = seededValues(200 + 97 * i, i + 1)
          if (i < edge.length) values[(37 * i) % values.length] = edge[i]!
          return tf.tensor1d(values)
        })
      const { want, got, programs } = await onBoth(inputs, (xs) => [nonFiniteProbe(xs)])
      expect(programs).toBe(2)
      same(got[0]!, want[0]!, 'probe')
      expect(Array.from(got[0]!, Number.isNaN)).toEqual([true, true, true, false, false, false, false, false, false])
    }, 120_000)

    it('the non-finite probe: empty tensors and integers are finite; no program when all are empty', async () => {
      const mixed = await onBoth(
        () => [tf.tensor1d([]), tf.tensor1d([1, Number.NaN]), tf.tensor1d([3, 4], 'int32'), tf.zeros([0, 3])],
        (xs) => [nonFiniteProbe(xs)],
      )
      expect(mixed.programs).toBe(1)
      same(mixed.got[0]!, mixed.want[0]!, 'mixed')
      expect(Array.from(mixed.got[0]!, Number.isNaN)).toEqual([false, true, false, false])
      const empty = await onBoth(
        () => [tf.tensor1d([]), tf.zeros([2, 0])],
        (xs) => [nonFiniteProbe(xs)],
      )
      expect(empty.programs).toBe(0)
      same(empty.got[0]!, [0, 0], 'all empty')
    }, 120_000)

    it("ReLU's gradient: one program, the bits of tfjs's Step, Cast and Multiply", async () => {
      const x = [-2, -0, 0, 1e-30, 3, Number.NaN, -Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
      const dy = [1, 2, Number.POSITIVE_INFINITY, -4, Number.NaN, 5, -6, -0, 7]
      const inputs = () => [
        tf.tensor2d([...x, ...seededValues(71, 5)], [8, 10]),
        tf.tensor2d([...dy, ...seededValues(71, 6)], [8, 10]),
      ]
      const { want, got, programs } = await onBoth(inputs, ([xs, dys]) => [reluGrad(dys!, xs!)])
      expect(programs).toBe(1)
      same(got[0]!, want[0]!, 'relu gradient')
    }, 120_000)

    it('softmax cross-entropy: one program for the loss and its gradient, as the composed ops give', async () => {
      // 300 rows: more than the workgroup's 256 threads; labels out of range (−1, 10) contribute nothing.
      const n = 300
      const labels = Array.from({ length: n }, (_, i) => (i === 7 ? -1 : i === 8 ? 10 : (i * 7) % 10))
      const inputs = () => [tf.mul(tf.tensor2d(seededValues(n * 10, 9), [n, 10]), 30), tf.tensor1d(labels, 'int32')]
      const { want, got, programs } = await onBoth(inputs, ([logits, ys]) => {
        const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => softmaxCrossEntropy(z, ys!))(logits!)
        return [value, grad]
      })
      // The kernel, and the gradient's one multiply by the upstream gradient.
      expect(programs).toBe(2)
      close(got[0]!, want[0]!, 'loss')
      close(got[1]!, want[1]!, 'gradient')
    }, 120_000)

    // A float32 dot product of K terms is within γ_K·Σ|aᵢbᵢ| of the exact one, γ_K ≈ K·2⁻²⁴, whatever the order of
    // the additions (and with or without fused multiply-adds): two such results within twice that.
    const dotTolerance = (terms: number, absoluteSum: number) => 2 * terms * 2 ** -24 * absoluteSum + 1e-30

    const linearCases = [
      { n: 64, k: 784, m: 256, bias: true, relu: true },
      { n: 5, k: 7, m: 3, bias: false, relu: true },
      { n: 3, k: 67, m: 10, bias: true, relu: false },
      // More rows than the ReLU-and-bias kernel takes: the ReLU's gradient, then the bias's sum.
      { n: 1100, k: 9, m: 5, bias: true, relu: true },
    ] as const

    it('the Linear layer: x·Wᵀ + b and the ReLU in one program, within float32 dot-product rounding', async () => {
      for (const c of linearCases) {
        const [xs, ws, bs] = [seededValues(c.n * c.k, 11), seededValues(c.m * c.k, 12), seededValues(c.m, 13)]
        const { want, got, programs } = await onBoth(
          () => [tf.tensor2d(xs, [c.n, c.k]), tf.tensor2d(ws, [c.m, c.k]), tf.tensor1d(bs)],
          ([x, w, b]) => [linear(x!, w!, c.bias ? b : undefined, c.relu ? 'relu' : undefined)],
        )
        const what = JSON.stringify(c)
        expect(programs, what).toBe(1)
        for (let i = 0; i < c.n; i++)
          for (let j = 0; j < c.m; j++) {
            let absoluteSum = c.bias ? Math.abs(bs[j]!) : 0
            for (let k = 0; k < c.k; k++) absoluteSum += Math.abs(xs[i * c.k + k]! * ws[j * c.k + k]!)
            const [g, v] = [got[0]![i * c.m + j]!, want[0]![i * c.m + j]!]
            expect(Math.abs(g - v), `${what}[${i}, ${j}]: ${g} vs ${v}`).toBeLessThanOrEqual(
              dotTolerance(c.k + 1, absoluteSum),
            )
          }
      }
    }, 120_000)

    it("the Linear layer's gradients: the ReLU's and the bias's in one program, a product for each of x and W; " +
      'none for an input whose gradient is not asked for', async () => {
      for (const c of linearCases) {
        const [xs, ws, bs] = [seededValues(c.n * c.k, 21), seededValues(c.m * c.k, 22), seededValues(c.m, 23)]
        const dys = seededValues(c.n * c.m, 24)
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          linear(x, w, c.bias ? b : undefined, c.relu ? 'relu' : undefined)
        const inputs = () => [
          tf.tensor2d(xs, [c.n, c.k]),
          tf.tensor2d(ws, [c.m, c.k]),
          tf.tensor1d(bs),
          tf.tensor2d(dys, [c.n, c.m]),
        ]
        const all = await onBoth(inputs, ([x, w, b, dy]) =>
          c.bias ? tf.grads(f)([x!, w!, b!], dy) : tf.grads((x, w) => f(x, w, b!))([x!, w!], dy),
        )
        const what = JSON.stringify(c)
        // Forward 1; backward: the ReLU and bias gradients (1 with a ReLU, else the bias's sum; 2 past 1024 rows),
        // dx and dW.
        const apart = c.relu && c.bias && c.n > 1024 ? 1 : 0
        expect(all.programs, what).toBe((c.relu || c.bias ? 4 : 3) + apart)
        // dx sums over the m outputs, dW over the n rows, db over the n rows: bounded by the sums of |terms|.
        const largest = (vs: ArrayLike<number>) => Array.from(vs).reduce((a, v) => Math.max(a, Math.abs(v)), 0)
        const [dyMax, xMax, wMax] = [largest(dys), largest(xs), largest(ws)]
        const bound = [
          dotTolerance(c.m, c.m * dyMax * wMax),
          dotTolerance(c.n, c.n * dyMax * xMax),
          dotTolerance(c.n, c.n * dyMax),
        ]
        for (const [i, g] of all.got.entries()) {
          // The largest difference, checked once (an expect per element is slow for 200k of them).
          const worst = g.reduce((a, v, j) => Math.max(a, Math.abs(v - all.want[i]![j]!)), 0)
          expect(worst, `${what}: gradient ${i}`).toBeLessThanOrEqual(bound[i]!)
        }
        const weightOnly = await onBoth(inputs, ([x, w, b, dy]) => tf.grads((w: tf.Tensor) => f(x!, w, b!))([w!], dy))
        expect(weightOnly.programs, `${what}: dW alone`).toBe(c.relu ? 3 : 2)
      }
    }, 120_000)

    it("the ReLU and bias gradients' kernel: the ReLU gradient's bits and the rows' float32 sum", async () => {
      const y = [0, -0, 2, 1e-30, Number.NaN, Number.POSITIVE_INFINITY, 3, 0.5]
      const dy = [1, 2, 3, -4, 5, 6, Number.NaN, -0]
      // 67 rows of 9 columns: edge values in the first rows, seeded ones after.
      const [rows, columns] = [67, 9]
      const inputs = () => [
        tf.tensor2d([...dy, ...seededValues(rows * columns - dy.length, 31)], [rows, columns]),
        tf.tensor2d([...y, ...seededValues(rows * columns - y.length, 32)], [rows, columns]),
      ]
      const { want, got, programs } = await onBoth(inputs, ([dys, ys]) => {
        if (tf.getBackend() === 'cpu') {
          const dz = reluGrad(dys!, ys!)
          return [dz, tf.sum(dz, 0)]
        }
        return tf.engine().runKernel(RELU_BIAS_GRAD, { dy: dys!, y: ys! }) as tf.Tensor[]
      })
      expect(programs).toBe(1)
      same(got[0]!, want[0]!, 'dz')
      got[1]!.forEach((g, j) => {
        const v = want[1]![j]!
        if (Number.isNaN(v)) expect(g, `db[${j}]`).toBeNaN()
        else expect(Math.abs(g - v), `db[${j}]: ${g} vs ${v}`).toBeLessThanOrEqual(1e-6 * rows)
      })
    }, 120_000)

    it("tanh's gradient: one program, dy · (1 − y²) as tfjs's three programs give", async () => {
      // y as tanh gives it: in [−1, 1], with the ends (where 1 − y² cancels) and zero.
      const n = 300
      const y = [...[1, -1, 0, -0, 0.999999, -0.5], ...seededValues(n - 6, 41)]
      const dy = seededValues(n, 42).map((v) => 4 * v)
      const { want, got, programs } = await onBoth(
        () => [tf.tensor1d(dy), tf.tensor1d(y)],
        ([dys, ys]) => [tanhGrad(dys!, ys!)],
      )
      expect(programs).toBe(1)
      close(got[0]!, want[0]!, 'tanh gradient')
    }, 120_000)

    it('tanh then average pooling: one program forward, one backward, ' +
      'as Tanh, AvgPool and their gradients give', async () => {
      // Sizes not a multiple of k: the last rows and columns are in no window (their gradient is 0).
      const cases = [
        { shape: [4, 28, 28, 6], k: 2 },
        { shape: [3, 11, 9, 5], k: 2 },
        { shape: [2, 10, 8, 3], k: 3 },
      ] as const
      for (const c of cases) {
        const size = c.shape.reduce((a, b) => a * b, 1)
        const xs = seededValues(size, 81).map((v) => 4 * v)
        const what = JSON.stringify(c)
        const forward = await onBoth(
          () => [tf.tensor4d(xs, [...c.shape])],
          ([x]) => [tanhAvgPool(x as tf.Tensor4D, c.k)],
        )
        expect(forward.programs, what).toBe(1)
        close(forward.got[0]!, forward.want[0]!, `${what}: forward`)
        const dys = seededValues(forward.want[0]!.length, 82)
        const outShape = [c.shape[0], Math.floor(c.shape[1] / c.k), Math.floor(c.shape[2] / c.k), c.shape[3]]
        const backward = await onBoth(
          () => [tf.tensor4d(xs, [...c.shape]), tf.tensor(dys, outShape)],
          ([x, dy]) => [tf.grad((z: tf.Tensor) => tanhAvgPool(z as tf.Tensor4D, c.k))(x!, dy)],
        )
        expect(backward.programs, what).toBe(2)
        close(backward.got[0]!, backward.want[0]!, `${what}: gradient`)
      }
    }, 120_000)

    it("LeNet-5's gradients (Linear and convolution biases fused, tanh's gradient) " +
      "agree with the CPU backend's", async () => {
      const cfg = { num_classes: 10, input_size: 28 } as const
      const [params] = LeNet5.init(cfg, Rng.make(5))
      const names = Object.keys(params)
      const images = seededValues(4 * 28 * 28, 51).map((v) => 2 * v)
      const labels = [3, 1, 4, 1]
      const { want, got } = await onBoth(
        () => [
          tf.tensor4d(images, [4, 28, 28, 1]),
          tf.tensor1d(labels, 'int32'),
          ...names.map((k) => params[k]!.clone()),
        ],
        ([x, ys, ...ps]) => {
          const loss = (...vs: tf.Tensor[]) =>
            softmaxCrossEntropy(LeNet5.apply(cfg, Object.fromEntries(names.map((k, i) => [k, vs[i]!])), x!), ys!)
          return tf.grads(loss)(ps as tf.Tensor[])
        },
      )
      names.forEach((name, i) => {
        const scale = Math.max(...want[i]!.map(Math.abs))
        got[i]!.forEach((g, j) => {
          expect(Math.abs(g - want[i]![j]!), `${name}[${j}]`).toBeLessThanOrEqual(1e-4 * scale + 1e-7)
        })
      })
      tf.dispose(Object.values(params))
    }, 300_000)

    it("the normalisation: one program with the constants compiled in, as tfjs's Sub and RealDiv give", async () => {
      const cases = [
        { shape: [64, 28, 28, 1], mean: [33.46], std: [78.87] },
        { shape: [5, 4, 4, 3], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
        { shape: [7, 3], mean: [0.5], std: [0.25, 2, 4] },
      ]
      for (const c of cases) {
        const size = c.shape.reduce((a, b) => a * b, 1)
        const pixels = seededValues(size, 61).map((v) => Math.round(127.5 * (v + 1)))
        const { want, got, programs } = await onBoth(
          () => [tf.tensor(pixels, c.shape)],
          ([x]) => [normalize(x!, c.mean, c.std)],
        )
        const what = `normalise ${JSON.stringify(c.shape)} by ${c.mean.length} and ${c.std.length} values`
        expect(programs, what).toBe(1)
        close(got[0]!, want[0]!, what)
      }
      // Values that do not broadcast along the last axis go to tfjs's ops, which say so.
      const x = tf.zeros([3, 2])
      expect(() => normalize(x, [1, 2, 3, 4, 5, 6], [2])).toThrow(/could not be broadcast/)
      x.dispose()
    }, 120_000)

    it("a convolution and its bias: the convolution's programs; the gradients are tfjs's Conv2D ones " +
      "and the bias's sum", async () => {
      const cases = [
        { x: [4, 12, 12, 3], filter: [5, 5, 3, 6], stride: 1, padding: 0 },
        { x: [2, 9, 9, 4], filter: [3, 3, 4, 5], stride: 2, padding: 1 },
      ]
      for (const c of cases) {
        const pad: 'valid' | tf.backend_util.ExplicitPadding =
          c.padding === 0
            ? 'valid'
            : [
                [0, 0],
                [c.padding, c.padding],
                [c.padding, c.padding],
                [0, 0],
              ]
        const [xs, fs, bs] = [
          seededValues(
            c.x.reduce((a, b) => a * b, 1),
            71,
          ),
          seededValues(
            c.filter.reduce((a, b) => a * b, 1),
            72,
          ),
          seededValues(c.filter[3]!, 73),
        ]
        const inputs = () => [
          tf.tensor4d(xs, c.x as [number, number, number, number]),
          tf.tensor4d(fs, c.filter as [number, number, number, number]),
          tf.tensor1d(bs),
        ]
        const what = JSON.stringify(c)
        const forward = await onBoth(inputs, ([x, f, b]) => [
          conv2dBias(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, pad, b),
        ])
        // As many programs as tfjs's Conv2D alone (one, or two where it builds the patches first): the Add is gone.
        const stock = tf.tidy(() => {
          const [x, f] = inputs()
          return programsDuring(() => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, pad)).programs
        })
        expect(forward.programs, what).toBe(stock)
        // Each output sums kh·kw·c products of values in [−1, 1], and the bias.
        const terms = c.filter[0]! * c.filter[1]! * c.filter[2]! + 1
        const worst = (got: Float32Array, want: Float32Array) =>
          got.reduce((a, v, j) => Math.max(a, Math.abs(v - want[j]!)), 0)
        expect(worst(forward.got[0]!, forward.want[0]!), what).toBeLessThanOrEqual(2 * terms * 2 ** -24 * terms)
        const dys = seededValues(forward.want[0]!.length, 74)
        const outShape = [
          c.x[0]!,
          ...[1, 2].map((i) => Math.floor((c.x[i]! + 2 * c.padding - c.filter[i - 1]!) / c.stride) + 1),
          c.filter[3]!,
        ]
        const backward = await onBoth(
          () => [...inputs(), tf.tensor(dys, outShape)],
          ([x, f, b, dy]) =>
            tf.grads((x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
              conv2dBias(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, pad, b),
            )([x!, f!, b!], dy),
        )
        // Forward, then dx 1, dW 1, db 1 (rows ≤ 1024: one program).
        expect(backward.programs, what).toBe(stock + 3)
        for (const [i, g] of backward.got.entries())
          expect(worst(g, backward.want[i]!), `${what}: gradient ${i}`).toBeLessThanOrEqual(
            1e-5 * (1 + largestOf(backward.want[i]!)),
          )
      }
    }, 120_000)

    it('Sum over leading axes (≤ 1024 rows, or ≤ 256 longer columns): one program, ' +
      'where tfjs transposes first', async () => {
      const cases: ReadonlyArray<{ shape: number[]; axis: number | number[]; keepDims?: boolean; programs: number }> = [
        // A bias gradient: the batch's rows summed per feature.
        { shape: [64, 256], axis: 0, programs: 1 },
        { shape: [2, 3, 3, 5], axis: [1, 0, 2], programs: 1 },
        { shape: [4, 7], axis: [0], keepDims: true, programs: 1 },
        // Longer columns, of few features: a workgroup per column (a convolution's bias gradient, 50176 rows).
        { shape: [2000, 3], axis: 0, programs: 1 },
        { shape: [64, 28, 28, 6], axis: [0, 1, 2], programs: 1 },
        { shape: [1025, 256], axis: 0, programs: 1 },
        // Long columns of many features, inner axes and whole-tensor sums stay with tfjs's kernel.
        { shape: [1025, 257], axis: 0, programs: 2 },
        { shape: [64, 10], axis: -1, programs: 1 },
      ]
      for (const c of cases) {
        const size = c.shape.reduce((a, b) => a * b, 1)
        const { want, got, programs } = await onBoth(
          () => [tf.tensor(seededValues(size, 8), c.shape)],
          ([x]) => [tf.sum(x!, c.axis, c.keepDims)],
        )
        const what = `sum of ${JSON.stringify(c.shape)} over ${JSON.stringify(c.axis)}`
        expect(programs, what).toBe(c.programs)
        // The CPU backend adds in float64 and rounds once, the program in float32: the error grows with the rows,
        // a few ULPs of Σ|x| (the seeded values lie in [−1, 1], so Σ|x| ≤ the rows summed).
        const rows = size / want[0]!.length
        got[0]!.forEach((g, i) => {
          expect(Math.abs(g - want[0]![i]!), `${what}[${i}]`).toBeLessThanOrEqual(1e-6 * rows)
        })
        // Small integers add exactly in any order: every row counted once, none twice, to the last unit.
        const integers = await onBoth(
          () => [
            tf.tensor(
              seededValues(size, 9).map((v) => Math.round(8 * v)),
              c.shape,
            ),
          ],
          ([x]) => [tf.sum(x!, c.axis, c.keepDims)],
        )
        expect(Array.from(integers.got[0]!), `${what}, integers`).toEqual(Array.from(integers.want[0]!))
      }
    }, 120_000)
  })
})
