/**
 * The convolution-heavy self-supervised step on one core (issue 15 §5, issue 14): a SimSiam, a MoCo v2 and a
 * DenseCL step (the dense loss on, and off as before DenseCLHook's start_iters) on SmallCNN at base_channels 16
 * (16-32-64 channels, 28×28 grey, two views, batch 256), and a supervised ResNet-18 (CIFAR stem) step at batch
 * 32. A step is what `train()` runs: the view pipeline (`RandomResizedCrop(28, scale=(0.2, 1))`, `RandomFlip`) on
 * the batch, the data preprocessor, the algorithm's loss, its gradients and SGD with momentum and weight decay.
 * Reports CPU time (`process.cpuUsage`), medians of interleaved rounds, and a per-kernel profile of each
 * self-supervised step (`profile.ts`).
 *
 * With `--ablate`, the SimSiam step also runs with each of loopwright's kernels it uses switched off, MoCo v2's with
 * its queue's logits formed (the fused contrastive loss off), and SimSiam's with the
 * ReLU outside BatchNorm's kernels, interleaved.
 *
 * `npx tsx bench/sslstep.ts [rounds] [--skip-resnet] [--skip-densecl] [--profile] [--ablate]`
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import * as Rng from '../src/dsl/Rng.js'
import * as Preprocess from '../src/data/preprocess.js'
import { runPipeline, packViews } from '../src/data/transforms/Pipeline.js'
import { decodePipeline } from '../src/data/transforms/registry.js'
import type { Model } from '../src/models/Model.js'
import * as Models from '../src/models/registry.js'
import { sgd } from '../src/optim/optimizers/sgd.js'
import { tensorsIn } from '../src/optim/serialize.js'
import { allModelTypes } from '../src/selfsup/algorithms/registry.js'
import { selectBackend } from '../src/tensor/backend.js'
import { setWasmCorrections } from '../src/tensor/wasmKernels.js'
import { BATCH_NORM_BACKWARD, BATCH_NORM_FORWARD } from '../src/tensor/fusedBatchNorm.js'
import { RELU_GRAD } from '../src/tensor/reluGrad.js'
import { patchFilterGradient } from '../src/tensor/wasmConv.js'
import { MEAN_GRAD } from '../src/tensor/meanGrad.js'
import { CONTRASTIVE_CROSS_ENTROPY } from '../src/tensor/contrastiveCrossEntropy.js'
import '../src/tensor/gradients.js'
import * as Tree from '../src/tensor/tree.js'
import { measureInterleaved, report } from './harness.js'
import { printProfile, profileStep } from './profile.js'
import { benchModels, syntheticStep } from './steps.js'

const backbone = { type: 'SmallCNN', in_channels: 1, base_channels: 16, stages: 3, img_size: 28 }

/** DenseCL as its config has it, at a given `loss_lambda` (0: DenseCLHook's first `start_iters`). */
const denseCL = (lossLambda: number) => ({
  type: 'DenseCL',
  queue_len: 4096,
  feat_dim: 128,
  momentum: 0.99,
  loss_lambda: lossLambda,
  backbone,
  neck: { type: 'DenseCLNeck', in_channels: 64, hid_channels: 512, out_channels: 128, num_grid: null },
  head: { type: 'ContrastiveHead', loss: { type: 'mmcls.CrossEntropyLoss' }, temperature: 0.2 },
})

/** The algorithms of `configs/selfsup/` at `model.backbone.base_channels=16 model.neck.in_channels=64`. */
export const sslModels: ReadonlyArray<{ readonly label: string; readonly cfg: object; readonly lr: number }> = [
  {
    label: 'SimSiam SmallCNN-16, batch 256',
    lr: 0.05,
    cfg: {
      type: 'SimSiam',
      backbone,
      neck: {
        type: 'NonLinearNeck',
        in_channels: 64,
        hid_channels: 256,
        out_channels: 256,
        num_layers: 3,
        with_last_bn_affine: false,
        with_avg_pool: true,
      },
      head: {
        type: 'LatentPredictHead',
        loss: { type: 'CosineSimilarityLoss' },
        predictor: {
          type: 'NonLinearNeck',
          in_channels: 256,
          hid_channels: 64,
          out_channels: 256,
          with_avg_pool: false,
          with_last_bn: false,
          with_last_bias: true,
        },
      },
    },
  },
  {
    label: 'MoCo v2 SmallCNN-16, batch 256',
    lr: 0.06,
    cfg: {
      type: 'MoCo',
      queue_len: 4096,
      feat_dim: 128,
      momentum: 0.99,
      backbone,
      neck: { type: 'MoCoV2Neck', in_channels: 64, hid_channels: 512, out_channels: 128, with_avg_pool: true },
      head: { type: 'ContrastiveHead', loss: { type: 'mmcls.CrossEntropyLoss' }, temperature: 0.2 },
    },
  },
  { label: 'DenseCL SmallCNN-16, batch 256', lr: 0.06, cfg: denseCL(0.5) },
  // DenseCLHook's first start_iters iterations: the dense loss is 0 and not computed.
  { label: 'DenseCL SmallCNN-16, batch 256, loss_lambda 0', lr: 0.06, cfg: denseCL(0) },
]

const BATCH = 256

const buildAlgorithm = (cfg: object): Model => {
  const built = Models.build(cfg, allModelTypes)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right
}

const pipeline = (() => {
  const decoded = decodePipeline(
    [
      {
        type: 'MultiView',
        num_views: 2,
        transforms: [
          [
            { type: 'RandomResizedCrop', size: 28, scale: [0.2, 1.0] },
            { type: 'RandomFlip', prob: 0.5 },
          ],
        ],
      },
      { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
    ],
    'bench',
  )
  if (decoded._tag === 'Left') throw new Error(JSON.stringify(decoded.left))
  return decoded.right
})()

const preprocessor: Preprocess.Preprocessor = { ...Preprocess.identity, mean: [72.94], std: [90.02] }

/** Seeded grey images (whole levels 0–255), standing in for a Fashion-MNIST batch (the cost does not read them). */
const images = (n: number): tf.Tensor4D => {
  let s = 12345
  const values = new Float32Array(n * 28 * 28)
  for (let i = 0; i < values.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    values[i] = (s >>> 24) & 0xff
  }
  return tf.tensor4d(values, [n, 28, 28, 1])
}

/**
 * One self-supervised step as `train()`'s step runs it, keeping parameters, buffers and SGD state between calls
 * and freeing what each step replaces (numTensors flat). `views` alone runs just the data pipeline.
 */
export const sslStep = (entry: (typeof sslModels)[number]): { step: () => Promise<void>; views: () => void } => {
  const model = buildAlgorithm(entry.cfg)
  const init = model.init(Rng.make(1))
  let params: Tree.Tree = init.params
  let buffers: Tree.Tree = init.buffers
  const names = Object.keys(params)
  const raw = images(BATCH)
  const indices = Int32Array.from({ length: BATCH }, (_, i) => i)
  const optimizer = sgd()
  const groups = [{ names, hyper: { lr: entry.lr, momentum: 0.9, weight_decay: 1e-4 } }]
  let state = optimizer.init(params)
  let iter = 0
  const makeViews = (): ReadonlyArray<tf.Tensor> =>
    runPipeline(pipeline, raw, { seed: 0, epoch: iter, indices }).map((v) => {
      const out = Preprocess.apply(preprocessor, v)
      v.dispose()
      return out
    })
  const step = async () => {
    const views = makeViews()
    const inputs = packViews(views as tf.Tensor4D[])
    let nextBuffers: Tree.Tree = buffers
    let losses: tf.Tensor[] = []
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const current = Object.fromEntries(names.map((n, i) => [n, ps[i]!]))
      const out = model.loss!(current, buffers, inputs, inputs, {
        training: true,
        rng: Rng.make(iter),
        views,
        iter,
        maxIters: 1000,
        attributes: model.attributes ?? {},
        indices,
      })
      nextBuffers = out.buffers
      for (const b of Object.values(nextBuffers)) if (!Object.values(buffers).includes(b)) tf.keep(b)
      losses = Object.values(out.losses).map((l) => tf.keep(l))
      // MMEngine's parse_losses: every entry named `*loss*` (DenseCL has two).
      const parts = Object.entries(out.losses).filter(([n]) => n.includes('loss'))
      return parts.length === 1 ? parts[0]![1] : (tf.addN(parts.map(([, l]) => l)) as tf.Scalar)
    })(names.map((n) => params[n]!))
    const gradTree = Object.fromEntries(names.map((n, i) => [n, grads[i]!]))
    const [updates, nextState] = optimizer.update(gradTree, state, params, groups)
    const nextParams = Tree.applyUpdates(params, updates)
    await value.data()
    const keep = new Set([...Object.values(nextParams), ...Object.values(nextBuffers), ...tensorsIn([nextState])])
    const old = [
      ...Object.values(params),
      ...Object.values(buffers),
      ...tensorsIn([state]),
      ...grads,
      value,
      ...losses,
      ...Object.values(updates),
      ...views,
      inputs,
    ]
    for (const t of old) if (!keep.has(t) && !t.isDisposed) t.dispose()
    params = nextParams
    buffers = nextBuffers
    state = nextState
    iter++
  }
  return { step, views: () => tf.dispose(makeViews() as tf.Tensor[]) }
}

/**
 * A step run with loopwright's kernel `kernelName` unregistered from WASM (so the op falls back to what it was
 * composed of before), or, for a stock kernel loopwright replaced (`stock`), with tfjs's own kernel for that op
 * alone: a side-by-side "before".
 */
const without =
  (kernelName: string, body: () => Promise<void>, stock = false) =>
  async (): Promise<void> => {
    const config = tf.getKernel(kernelName, 'wasm')!
    tf.unregisterKernel(kernelName, 'wasm')
    if (stock)
      tf.registerKernel({
        ...config,
        kernelFunc: (args) => {
          setWasmCorrections(false)
          try {
            return config.kernelFunc(args)
          } finally {
            setWasmCorrections(true)
          }
        },
      })
    try {
      await body()
    } finally {
      if (stock) tf.unregisterKernel(kernelName, 'wasm')
      tf.registerKernel(config)
    }
  }

/**
 * A step run with the ReLU outside BatchNorm's kernels, as before it was fused: the forward kernel normalises and
 * tfjs's `Relu` follows; the backward kernel gets ReLU's gradient (loopwright's kernel) instead of the mask.
 */
const reluUnfused = (body: () => Promise<void>) => async (): Promise<void> => {
  const configs = [BATCH_NORM_FORWARD, BATCH_NORM_BACKWARD].map((k) => tf.getKernel(k, 'wasm')!)
  const [forward, backward] = configs as [tf.KernelConfig, tf.KernelConfig]
  const run = (name: string, args: Parameters<tf.KernelFunc>[0]) =>
    tf.getKernel(name, 'wasm')!.kernelFunc(args) as tf.TensorInfo
  for (const c of configs) tf.unregisterKernel(c.kernelName, 'wasm')
  tf.registerKernel({
    ...forward,
    kernelFunc: (args) => {
      const outs = forward.kernelFunc({ ...args, attrs: { ...args.attrs, relu: false } }) as tf.TensorInfo[]
      if (args.attrs?.['relu'] !== true) return outs
      const z = run('Relu', { inputs: { x: outs[0]! }, backend: args.backend, attrs: {} })
      ;(args.backend as { disposeData: (id: object) => void }).disposeData(outs[0]!.dataId)
      return [z, outs[1]!, outs[2]!]
    },
  })
  tf.registerKernel({
    ...backward,
    kernelFunc: (args) => {
      const { y, ...inputs } = args.inputs
      if (y === undefined) return backward.kernelFunc(args)
      const dy = run(RELU_GRAD, { inputs: { dy: inputs['dy']!, x: y }, backend: args.backend, attrs: {} })
      const outs = backward.kernelFunc({ ...args, inputs: { ...inputs, dy } })
      ;(args.backend as { disposeData: (id: object) => void }).disposeData(dy.dataId)
      return outs
    },
  })
  try {
    await body()
  } finally {
    for (const c of configs) tf.unregisterKernel(c.kernelName, 'wasm')
    for (const c of configs) tf.registerKernel(c)
  }
}

/** A step with `kernelName` run by `kernelFunc` instead of what is registered. */
const replaced =
  (kernelName: string, kernelFunc: tf.KernelFunc, body: () => Promise<void>) => async (): Promise<void> => {
    const config = tf.getKernel(kernelName, 'wasm')!
    tf.unregisterKernel(kernelName, 'wasm')
    tf.registerKernel({ ...config, kernelFunc })
    try {
      await body()
    } finally {
      tf.unregisterKernel(kernelName, 'wasm')
      tf.registerKernel(config)
    }
  }

/**
 * A step without the fifth round's kernels: tfjs's `Mean` gradient, XNNPACK's one-channel `Conv2D`, the one-channel
 * weight gradient through the patch matrix, ReLU apart.
 */
const fifthRoundOff = (body: () => Promise<void>) =>
  without(MEAN_GRAD, without('Conv2D', replaced('Conv2DBackpropFilter', patchFilterGradient, reluUnfused(body)), true))

/** loopwright's WASM kernels the self-supervised step uses, each measured off and on side by side (`--ablate`). */
const ablations: ReadonlyArray<{ readonly name: string; readonly kernel: string; readonly stock?: boolean }> = [
  { name: 'BatchNorm composed of tfjs ops', kernel: BATCH_NORM_FORWARD },
  { name: "Mean's gradient composed of tfjs ops", kernel: MEAN_GRAD },
  { name: "XNNPACK's Conv2D for the one-channel layer", kernel: 'Conv2D', stock: true },
]

/** The interleaved table (and, with `profile`, each self-supervised step's kernels). */
export const sslStepBench = async (
  rounds: number,
  options: { skipResnet?: boolean; skipDenseCL?: boolean; profile?: boolean; ablate?: boolean } = {},
) => {
  await Effect.runPromise(selectBackend('wasm'))
  const models = options.skipDenseCL === true ? sslModels.filter((m) => !m.label.startsWith('DenseCL')) : sslModels
  const steps = models.map((m) => ({ label: m.label, ...sslStep(m) }))
  const cases = [
    ...steps.map((s) => ({ name: s.label, body: s.step })),
    ...(options.ablate === true
      ? ablations.map((a) => ({
          name: `${steps[0]!.label}, ${a.name}`,
          body: without(a.kernel, steps[0]!.step, a.stock),
        }))
      : []),
    ...(options.ablate === true
      ? [
          { name: `${steps[0]!.label}, ReLU outside BatchNorm's kernels`, body: reluUnfused(steps[0]!.step) },
          {
            name: `${steps[0]!.label}, the one-channel weight gradient through the patch matrix`,
            body: replaced('Conv2DBackpropFilter', patchFilterGradient, steps[0]!.step),
          },
          // MoCo's queue negatives scored with the n × (Q + 1) logits formed, as before 4 December.
          {
            name: `${steps[1]!.label}, the queue's logits formed`,
            body: without(CONTRASTIVE_CROSS_ENTROPY, steps[1]!.step),
          },
          // Issue 15's fifth-round changes to this step all off: its "before", in the same process.
          ...steps
            .slice(0, 2)
            .map((s) => ({ name: `${s.label}, before the fifth round`, body: fifthRoundOff(s.step) })),
        ]
      : []),
    { name: 'the view pipeline alone (2 views of 256)', body: steps[0]!.views },
  ]
  const resnet = benchModels.find((m) => m.label === 'ResNet-18-CIFAR')!
  if (options.skipResnet !== true) {
    const step = syntheticStep(resnet)
    cases.push({ name: 'ResNet-18-CIFAR, batch 32', body: step })
    if (options.ablate === true)
      for (const a of ablations)
        cases.push({ name: `ResNet-18-CIFAR, batch 32, ${a.name}`, body: without(a.kernel, step, a.stock) })
  }
  // The first step allocates the optimizer's state: count tensors from the second on.
  for (const c of cases) await c.body()
  const before = tf.memory().numTensors
  const results = await measureInterleaved(cases, rounds)
  console.log(`sslstep (wasm, ${rounds} interleaved rounds; CPU time is what to compare)`)
  console.log(report(results))
  if (tf.memory().numTensors !== before) console.log(`tensors: ${before} -> ${tf.memory().numTensors} (a leak)`)
  if (options.profile === true) for (const s of steps) printProfile(s.label, await profileStep(s.step, 3))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5)
  await sslStepBench(rounds, {
    skipResnet: process.argv.includes('--skip-resnet'),
    skipDenseCL: process.argv.includes('--skip-densecl'),
    profile: process.argv.includes('--profile'),
    ablate: process.argv.includes('--ablate'),
  })
}
