/**
 * `loopwright test CONFIG --checkpoint PATH` (MMEngine's tools/test.py), through the built CLI: it scores a trained
 * checkpoint exactly as the training run's own test loop did, trains and writes nothing, and reads a pretraining
 * checkpoint into a feature extractor for the kNN benchmark, naming the parameters it leaves out.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli } from '../../support/cli.js'
import { ensureBuilt } from '../../support/killResume.js'

beforeAll(ensureBuilt, 600_000)

const mnist = (indices: number) => ({ type: 'MNIST', split: 'test', indices })
const small = {
  model: {
    type: 'MLP',
    in_features: 784,
    hidden: [32],
    num_classes: 10,
    data_preprocessor: { mean: [33.46], std: [78.87] },
  },
  train_dataloader: {
    batch_size: 32,
    dataset: { type: 'MNIST', split: 'train', indices: 320 },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  test_dataloader: { batch_size: 100, dataset: mnist(200), sampler: { type: 'DefaultSampler', shuffle: false } },
  test_evaluator: { type: 'Accuracy', topk: [1, 5] },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
  test_cfg: {},
  optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.003 } },
  randomness: { seed: 1 },
}

const configFile = (config: object, name = 'small.json') => {
  const dir = mkdtempSync(join(tmpdir(), 'loopwright-test-cli-'))
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(config))
  return { dir, file }
}

describe('loopwright test', () => {
  it('scores a checkpoint as the training run’s own test loop did, and trains and writes nothing', async () => {
    const { dir, file } = configFile(small)
    const trained = await cli('train', file, '--work-dir', join(dir, 'work'), '--backend', 'wasm')
    expect(trained.code, trained.stderr).toBe(0)
    const inRun = /^Test: (.*)$/m.exec(trained.stdout)?.[1]
    expect(inRun).toMatch(/accuracy\/top1: \d+\.\d{4}\s+accuracy\/top5: \d+\.\d{4}/)
    const checkpoint = join(dir, 'work', 'epoch_1.safetensors')
    const tested = await cli(
      'test',
      file,
      '--checkpoint',
      checkpoint,
      '--work-dir',
      join(dir, 't'),
      '--backend',
      'wasm',
    )
    expect(tested.code, tested.stderr).toBe(0)
    expect(/^Test: (.*)$/m.exec(tested.stdout)?.[1]).toBe(inRun)
    expect(tested.stdout).toMatch(/Load checkpoint from .*epoch_1\.safetensors/)
    expect(tested.stdout).not.toMatch(/Epoch\(train\)/)
    expect(readdirSync(join(dir, 't')).filter((f) => f.endsWith('.safetensors') || f === 'last_checkpoint')).toEqual([])
    // --json: one document on stdout with the same numbers; the log lines go to stderr.
    const json = await cli('test', file, '--checkpoint', checkpoint, '--work-dir', join(dir, 't'), '--json')
    expect(json.code, json.stderr).toBe(0)
    const doc = JSON.parse(json.stdout) as { metrics: { [k: string]: number }; checkpoint: string }
    expect(doc.checkpoint).toBe(checkpoint)
    expect(`accuracy/top1: ${doc.metrics['accuracy/top1']!.toFixed(4)}`).toBe(inRun!.split(/\s{2,}/)[0])
    // Without a checkpoint: the model as initialised, said so.
    const fresh = await cli('test', file, '--work-dir', join(dir, 't'), '--backend', 'wasm')
    expect(fresh.code, fresh.stderr).toBe(0)
    expect(fresh.stdout).toMatch(/testing the model as initialised/)
    expect(/^Test: (.*)$/m.exec(fresh.stdout)?.[1]).not.toBe(inRun)
  }, 120_000)

  it('reads a pretraining checkpoint into a kNN feature extractor, naming what it leaves out', async () => {
    const backbone = { type: 'SmallCNN', in_channels: 1, base_channels: 4, stages: 2, img_size: 28 }
    const pretrain = configFile(
      {
        model: {
          type: 'SimSiam',
          data_preprocessor: { type: 'SelfSupDataPreprocessor', mean: [33.46], std: [78.87] },
          backbone,
          neck: { type: 'NonLinearNeck', in_channels: 8, hid_channels: 16, out_channels: 16, with_avg_pool: true },
          head: {
            type: 'LatentPredictHead',
            loss: { type: 'CosineSimilarityLoss' },
            predictor: { type: 'NonLinearNeck', in_channels: 16, hid_channels: 8, out_channels: 16 },
          },
        },
        train_dataloader: {
          batch_size: 8,
          dataset: {
            type: 'MNIST',
            split: 'train',
            indices: 16,
            pipeline: [
              { type: 'MultiView', num_views: 2, transforms: [[{ type: 'RandomResizedCrop', size: 28 }]] },
              { type: 'PackSelfSupInputs' },
            ],
          },
        },
        train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
        optim_wrapper: { optimizer: { type: 'SGD', lr: 0.05 } },
      },
      'simsiam.json',
    )
    const trained = await cli('train', pretrain.file, '--work-dir', join(pretrain.dir, 'w'), '--backend', 'wasm')
    expect(trained.code, trained.stderr).toBe(0)
    const knn = configFile(
      {
        model: {
          type: 'ImageClassifier',
          data_preprocessor: { type: 'SelfSupDataPreprocessor', mean: [33.46], std: [78.87] },
          backbone,
          neck: { type: 'GlobalAveragePooling' },
        },
        test_dataloader: {
          batch_size: 50,
          sampler: { type: 'DefaultSampler', shuffle: false },
          dataset: {
            type: 'ConcatDataset',
            datasets: [
              { type: 'MNIST', split: 'train', indices: 100 },
              { type: 'MNIST', split: 'test', indices: 50 },
            ],
          },
        },
        test_evaluator: { type: 'KNN', bank_size: 100, topk: [5, 20] },
        test_cfg: {},
      },
      'knn.json',
    )
    const checkpoint = join(pretrain.dir, 'w', 'epoch_1.safetensors')
    const tested = await cli('test', knn.file, '--checkpoint', checkpoint, '--json', '--backend', 'wasm')
    expect(tested.code, tested.stderr).toBe(0)
    expect(tested.stderr).toMatch(/load_from: .*epoch_1\.safetensors holds parameters this model does not have, not /)
    expect(tested.stderr).toMatch(/not loaded: neck\./)
    const metrics = (JSON.parse(tested.stdout) as { metrics: { [k: string]: number } }).metrics
    expect(Object.keys(metrics).sort()).toEqual(['knn/top1_k20', 'knn/top1_k5', 'knn/top5_k20', 'knn/top5_k5'])
    for (const v of Object.values(metrics)) expect(v).toBeGreaterThan(0)
  }, 120_000)

  it('exits 2 with one line for a config without a test loop, or a checkpoint that is not there', async () => {
    const { test_cfg: _c, test_dataloader: _d, test_evaluator: _e, ...untested } = small
    const none = configFile(untested)
    const noLoop = await cli('test', none.file, '--checkpoint', 'x.safetensors')
    expect(noLoop.code).toBe(2)
    expect(noLoop.stderr.trim()).toMatch(/^.*small\.json: test_cfg: the config has no test loop/)
    const ok = configFile(small)
    const missing = await cli('test', ok.file, '--checkpoint', join(ok.dir, 'nope.safetensors'), '--backend', 'wasm')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/small\.json: load_from: cannot read .*nope\.safetensors/)
    expect(missing.stderr).not.toMatch(/\n\s+at /)
    const typo = await cli('test', ok.file, '--checkpont', 'x')
    expect(typo.code).toBe(2)
    expect(typo.stderr).toMatch(/unknown option --checkpont for 'test' \(did you mean --checkpoint\?\)/)
  }, 120_000)
})
