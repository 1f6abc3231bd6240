import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import type { TraceEntry } from '../../../../src/interpreters/Trace.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import * as Safetensors from '../../../../src/tensor/safetensors.js'
import { fromArrays } from '../../../../src/data/ArrayDataset.js'
import { baseConfig, failure, programOf, run, tempDir } from './support.js'

beforeAll(useCpu)

describe('the tensor interpreter', () => {
  it('trains: the validation error falls and the logs, scalars and checkpoints are written', async () => {
    const workDir = tempDir()
    const result = await run(
      programOf({ ...baseConfig, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 60, val_interval: 20 } }),
      { workDir },
    )
    const mse = result.evaluations.map((e) => e.metrics['mse'] as number)
    expect(result.evaluations.map((e) => e.iter)).toEqual([20, 40, 60])
    expect(mse[2]!).toBeLessThan(mse[0]!)
    expect(result.iterations).toBe(60)
    expect(fs.readdirSync(workDir).sort()).toEqual([
      'iter_20.safetensors',
      'iter_40.safetensors',
      'iter_60.safetensors',
      'last_checkpoint',
      'test',
    ])
    expect(fs.readFileSync(nodePath.join(workDir, 'last_checkpoint'), 'utf8')).toBe(
      nodePath.join(workDir, 'iter_60.safetensors'),
    )
    const scalars = fs
      .readFileSync(nodePath.join(workDir, 'test', 'vis_data', 'scalars.json'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { [k: string]: number })
    // MMEngine also logs at the end of the (8-batch) data loader when it is no longer than the interval: iter 8.
    expect(scalars.filter((s) => 'loss' in s).map((s) => s['iter'])).toEqual([8, 10, 20, 30, 40, 50, 60])
    // The lr in force during iteration 8: MMEngine's LinearLR reaches its end factor at step end − begin − 1 = 9.
    expect(scalars[0]!['lr']).toBeCloseTo(0.01 * (0.1 + (0.9 * 7) / 9), 12)
    expect(fs.readFileSync(nodePath.join(workDir, 'test', 'test.log'), 'utf8')).toMatch(/Iter\(train\) \[60\/60\]/)
  })

  it(
    'owns every tensor: tf.memory().numTensors is flat across 300 iterations with ' +
      'validation and checkpoints, and zero growth after the run',
    async () => {
      const before = tf.memory().numTensors
      const counts: number[] = []
      await run(
        programOf({
          ...baseConfig,
          train_cfg: { type: 'IterBasedTrainLoop', max_iters: 300, val_interval: 50 },
          default_hooks: {
            ...baseConfig.default_hooks,
            checkpoint: { type: 'CheckpointHook', interval: 50, by_epoch: false, max_keep_ckpts: 1 },
          },
        }),
        { workDir: tempDir(), afterTrainStep: () => void counts.push(tf.memory().numTensors) },
      )
      expect(counts).toHaveLength(300)
      expect(new Set(counts.slice(5)).size).toBe(1)
      expect(tf.memory().numTensors).toBe(before)
    },
  )

  it(
    'keeps memory flat for a classifier whose layers leave intermediates to the ' +
      'caller (MLP, data preprocessor, Accuracy)',
    async () => {
      const before = tf.memory().numTensors
      const counts: number[] = []
      const x = Array.from({ length: 48 }, (_, i) => Array.from({ length: 16 }, (_, j) => ((i * 7 + j * 3) % 11) - 5))
      const labels = x.map((row) => (row[0]! > 0 ? 1 : 0) + (row[1]! > 0 ? 2 : 0))
      const classifier = fromArrays(x, labels)
      if (classifier._tag === 'Left') throw new Error(classifier.left.message)
      const program = programOf({
        ...baseConfig,
        model: {
          type: 'MLP',
          in_features: 16,
          hidden: [8],
          num_classes: 4,
          data_preprocessor: { mean: [0], std: [5] },
        },
        val_evaluator: { type: 'Accuracy', topk: [1, 2] },
        train_cfg: { type: 'IterBasedTrainLoop', max_iters: 120, val_interval: 20 },
      })
      await run(program, {
        workDir: tempDir(),
        datasets: { train: classifier.right, val: classifier.right },
        afterTrainStep: () => void counts.push(tf.memory().numTensors),
      })
      expect(new Set(counts.slice(5)).size).toBe(1)
      expect(tf.memory().numTensors).toBe(before)
    },
  )

  it(
    'resumes bit-identically: shuffled data, accumulation resumed inside a window, ' +
      'loss scaling, clipping, schedulers',
    async () => {
      const config = {
        ...baseConfig,
        optim_wrapper: {
          type: 'AmpOptimWrapper',
          loss_scale: 'dynamic',
          optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 },
          accumulative_counts: 3,
          clip_grad: { max_norm: 1.0 },
        },
        param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: 40 }],
      }
      const program = programOf(config)
      const whole = await run(program, { workDir: tempDir() })
      const first = tempDir()
      await run(programOf({ ...config, train_cfg: { ...config.train_cfg } }), { workDir: first })
      // iter_20 closes no window (20 mod 3 = 2): the partial sum must come back from the checkpoint.
      const resumed = await run(program, { workDir: tempDir(), resume: nodePath.join(first, 'iter_20.safetensors') })
      expect(resumed.iterations).toBe(40)
      for (const [name, p] of Object.entries(whole.params))
        expect(Array.from(resumed.params[name]!.values), name).toEqual(Array.from(p.values))
      expect(resumed.evaluations.map((e) => e.metrics)).toEqual(
        whole.evaluations.filter((e) => e.iter > 20).map((e) => e.metrics),
      )
      expect(resumed.lr).toEqual(whole.lr)
    },
  )

  it('finds the latest checkpoint for resume=True and reports a missing or foreign one by path', async () => {
    const workDir = tempDir()
    await run(
      programOf({ ...baseConfig, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 20, val_interval: 20 } }),
      { workDir },
    )
    const more = await run(programOf({ ...baseConfig, resume: true }), { workDir })
    expect(more.iterations).toBe(40)
    expect(more.evaluations.map((e) => e.iter)).toEqual([40])
    const missing = nodePath.join(workDir, 'nope.safetensors')
    expect(await failure(programOf(baseConfig), { workDir, resume: missing })).toMatch(
      /^resume: cannot read checkpoint .*nope\.safetensors: .*no such file/,
    )
    const foreign = nodePath.join(workDir, 'foreign.safetensors')
    fs.writeFileSync(foreign, 'not a checkpoint at all')
    expect(await failure(programOf(baseConfig), { workDir, resume: foreign })).toMatch(
      /foreign\.safetensors: not a readable safetensors file/,
    )
  })

  it('load_from takes the weights only, and names a parameter whose shape does not fit', async () => {
    const workDir = tempDir()
    const first = await run(
      programOf({ ...baseConfig, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 20, val_interval: 20 } }),
      { workDir },
    )
    const ckpt = nodePath.join(workDir, 'iter_20.safetensors')
    const loaded = await run(
      programOf({
        ...baseConfig,
        load_from: ckpt,
        train_cfg: { type: 'IterBasedTrainLoop', max_iters: 1, val_interval: 20 },
        optim_wrapper: { optimizer: { type: 'SGD', lr: 0 } },
      }),
      { workDir: tempDir() },
    )
    for (const [name, p] of Object.entries(first.params))
      expect(Array.from(loaded.params[name]!.values), name).toEqual(Array.from(p.values))
    const wider = programOf({ ...baseConfig, load_from: ckpt, model: { type: 'TinyRegressor', hidden: 16 } })
    expect(await failure(wider, { workDir: tempDir() })).toMatch(
      /load_from: .*iter_20\.safetensors: backbone\.fc1\.weight has shape \[8, 4\], the model expects \[16, 4\]/,
    )
  })

  it(
    'publishes the last and best checkpoints with only published_keys, copies the ' +
      'logs to out_dir, and loads a published weights file',
    async () => {
      const workDir = tempDir()
      const outDir = tempDir()
      const config = {
        ...baseConfig,
        train_cfg: { type: 'IterBasedTrainLoop', max_iters: 20, val_interval: 10 },
        default_hooks: {
          logger: { type: 'LoggerHook', interval: 5, out_dir: outDir, keep_local: false },
          checkpoint: {
            type: 'CheckpointHook',
            interval: 10,
            by_epoch: false,
            save_best: 'mse',
            rule: 'less',
            published_keys: ['meta', 'state_dict'],
          },
        },
      }
      const result = await run(programOf(config), { workDir })
      const files = fs.readdirSync(workDir)
      const published = files.filter((f) => /-[0-9a-f]{8}\.safetensors$/.test(f)).sort()
      expect(published).toHaveLength(2)
      expect(published.some((f) => f.startsWith('iter_20-'))).toBe(true)
      expect(published.some((f) => f.startsWith('best_mse_iter_'))).toBe(true)
      const weights = Safetensors.decode(
        new Uint8Array(fs.readFileSync(nodePath.join(workDir, published.find((f) => f.startsWith('iter_20-'))!))),
      )
      if (weights._tag === 'Left') throw new Error(weights.left.message)
      expect(Object.keys(weights.right.tensors).sort()).toEqual(Object.keys(result.params).sort())
      expect(weights.right.metadata['format']).toBe('loopwright.weights')
      // out_dir/<basename(work_dir)>/ holds the log and the JSON scalars; keep_local=False removed the local copies.
      const copied = fs.readdirSync(nodePath.join(outDir, nodePath.basename(workDir)), { recursive: true }) as string[]
      expect(copied).toEqual(expect.arrayContaining(['test.log', nodePath.join('vis_data', 'scalars.json')]))
      expect(fs.existsSync(nodePath.join(workDir, 'test', 'test.log'))).toBe(false)
      // A weights file (or any safetensors with the model's names) is a valid load_from.
      const loaded = await run(
        programOf({
          ...baseConfig,
          load_from: nodePath.join(workDir, published.find((f) => f.startsWith('iter_20-'))!),
          train_cfg: { type: 'IterBasedTrainLoop', max_iters: 1, val_interval: 10 },
          optim_wrapper: { optimizer: { type: 'SGD', lr: 0 } },
        }),
        { workDir: tempDir() },
      )
      for (const [name, p] of Object.entries(result.params))
        expect(Array.from(loaded.params[name]!.values), name).toEqual(Array.from(p.values))
    },
  )

  it('walks the same trace as the dry run (tensor fields aside)', async () => {
    const config = { ...baseConfig, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 30, val_interval: 10 } }
    const program = programOf(config)
    const trace: TraceEntry[] = []
    await run(program, { workDir: tempDir(), trace: (e) => void trace.push(e), testAfterTrain: false })
    const plan = await Effect.runPromise(
      dryRun(program, { datasetSizes: { train: 64, val: 32 }, testAfterTrain: false }),
    )
    expect(trace.length).toBeGreaterThan(300)
    expect(trace).toEqual(plan.trace)
  })

  it('turns bad input into errors that say where', async () => {
    expect(await failure(programOf({ ...baseConfig, model: { type: 'TinyRegresor' } }), {})).toMatch(
      /^model\.type: unknown model type 'TinyRegresor' \(did you mean 'TinyRegressor'\?\)/,
    )
    expect(await failure(programOf({ ...baseConfig, model: { type: 'TinyRegressor', hiden: 3 } }), {})).toMatch(
      /^model\.hiden: /,
    )
    expect(
      await failure(programOf({ ...baseConfig, val_evaluator: { type: 'Accuracy' } }), { workDir: tempDir() }),
    ).toMatch(/val_step: .*iteration/)
  })
})

describe('data that does not fit the model', () => {
  it('is refused before training, at the dataset’s path, with what the model needs', async () => {
    const classes = fromArrays([[1, 2, 3, 4]], [1])
    if (classes._tag === 'Left') throw new Error(classes.left.message)
    expect(
      await failure(programOf(baseConfig), {
        workDir: tempDir(),
        datasets: { train: classes.right, val: classes.right },
      }),
    ).toMatch(/^train_dataloader\.dataset: .* has class labels, but the TinyRegressor model predicts values/)
    const wide = fromArrays([[1, 2, 3]], [[1, 2]])
    if (wide._tag === 'Left') throw new Error(wide.left.message)
    expect(
      await failure(programOf(baseConfig), { workDir: tempDir(), datasets: { train: wide.right, val: wide.right } }),
    ).toMatch(/^train_dataloader\.dataset: .* has samples of shape \[3\], but the TinyRegressor model reads \[4\]/)
  })
})
