import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from '../../support/cli.js'

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
    dataset: { type: 'MNIST', split: 'train', indices: 640 },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  val_dataloader: {
    batch_size: 100,
    dataset: { type: 'MNIST', split: 'test', indices: 200 },
    sampler: { type: 'DefaultSampler', shuffle: false },
  },
  val_evaluator: { type: 'Accuracy', topk: [1, 5] },
  test_dataloader: {
    batch_size: 100,
    dataset: { type: 'MNIST', split: 'test', indices: 200 },
    sampler: { type: 'DefaultSampler', shuffle: false },
  },
  test_evaluator: { type: 'Accuracy' },
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2, val_interval: 1 },
  val_cfg: {},
  test_cfg: {},
  optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.003 } },
  default_hooks: { logger: { type: 'LoggerHook', interval: 10 } },
  randomness: { seed: 1 },
}

const configFile = (config: object) => {
  const dir = mkdtempSync(join(tmpdir(), 'loopwright-cli-'))
  const file = join(dir, 'small.json')
  writeFileSync(file, JSON.stringify(config))
  return { dir, file }
}

describe('loopwright train', () => {
  it('trains, validates, tests, and ends with a summary that says where things are', async () => {
    const { dir, file } = configFile(small)
    const { code, stdout, stderr } = await cli(
      'train',
      file,
      '--work-dir',
      join(dir, 'work'),
      '--backend',
      'wasm',
      '--cfg-options',
      'train_cfg.max_epochs=2',
    )
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/backend: backend wasm/)
    expect(stdout).toMatch(/Epoch\(train\) \[1\]\[10\/20\]/)
    expect(stdout).toMatch(/Epoch\(val\) \[2\]\[2\/2\]\s+accuracy\/top1: \d+\.\d{4}\s+accuracy\/top5: \d+\.\d{4}/)
    expect(stdout).toMatch(/^Trained 40 iterations \(2 epochs\) in \d+:\d\d:\d\d\.$/m)
    expect(stdout).toMatch(/^Test: accuracy\/top1: \d+\.\d{4}$/m)
    expect(stdout).toMatch(/^Checkpoints: .*work \(last: epoch_2\.safetensors\)$/m)
    expect(
      readdirSync(join(dir, 'work'))
        .filter((f) => f.endsWith('.safetensors'))
        .sort(),
    ).toEqual(['epoch_1.safetensors', 'epoch_2.safetensors'])
    // Resuming a finished run trains nothing more and still tests.
    const again = await cli('train', file, '--work-dir', join(dir, 'work'), '--backend', 'wasm', '--resume')
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(
      /^Trained 0 iterations in this run \(resumed at iteration 40; 40 in total, 2 epochs\)/m,
    )
    expect(again.stdout).toMatch(/Load checkpoint from .*epoch_2\.safetensors/)
    expect(again.stdout).toMatch(/resumed epoch: 2, iter: 40/)
    expect(again.stdout).not.toMatch(/Epoch\(train\)/)
  }, 60_000)

  it('exits 2 with a path-precise line for a bad config or a missing checkpoint, and ' +
    '1 when the run fails', async () => {
    const { dir, file } = configFile({ ...small, optim_wrapper: { optimizer: { type: 'AdamW', lr: '0.1x' } } })
    const bad = await cli('train', file, '--work-dir', join(dir, 'w'))
    expect(bad.code).toBe(2)
    expect(
      bad.stderr
        .trim()
        .split('\n')
        .some((l) => /optim_wrapper\.optimizer\.lr: expected a/.test(l)),
    ).toBe(true)
    expect(bad.stderr).not.toMatch(/\n\s+at /)
    const ok = configFile(small)
    const missing = await cli(
      'train',
      ok.file,
      '--work-dir',
      join(ok.dir, 'w'),
      '--backend',
      'wasm',
      '--resume',
      join(ok.dir, 'nope.safetensors'),
    )
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/small\.json: resume: cannot read checkpoint .*nope\.safetensors/)
    expect(missing.stderr).not.toMatch(/\n\s+at /)
    // A run that diverges stops (non_finite='stop') with exit 1.
    const diverging = configFile({ ...small, optim_wrapper: { optimizer: { type: 'SGD', lr: 1e30 } } })
    const failed = await cli('train', diverging.file, '--work-dir', join(diverging.dir, 'w'), '--backend', 'wasm')
    expect(failed.code, failed.stdout).toBe(1)
    expect(failed.stderr).toMatch(/small\.json: train_step: iteration \d+, batch \d+: .*not finite|is (NaN|Infinity)/)
  }, 60_000)

  it('resumes with a longer schedule: says what it loaded, a non-negative ETA, and this run’s iterations', async () => {
    const { dir, file } = configFile(small)
    const work = join(dir, 'work')
    const first = await cli(
      'train',
      file,
      '--work-dir',
      work,
      '--backend',
      'wasm',
      '--cfg-options',
      'train_cfg.max_epochs=1',
    )
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/Checkpoints will be saved to .*work\./)
    expect(first.stdout).toMatch(/^Trained 20 iterations \(1 epochs\)/m)
    const longer = await cli(
      'train',
      file,
      '--work-dir',
      work,
      '--backend',
      'wasm',
      '--resume',
      '--cfg-options',
      'train_cfg.max_epochs=2',
    )
    expect(longer.code, longer.stderr).toBe(0)
    expect(longer.stdout).toMatch(/Load checkpoint from .*epoch_1\.safetensors\n.*resumed epoch: 1, iter: 20\n/)
    expect(longer.stdout).toMatch(/Epoch\(train\) \[2\]\[10\/20\].*eta: 0:00:\d\d/)
    expect(longer.stdout).not.toMatch(/eta: -/)
    expect(longer.stdout).toMatch(
      /^Trained 20 iterations in this run \(resumed at iteration 20; 40 in total, 2 epochs\)/m,
    )
  }, 60_000)

  it('refuses a misspelt flag before training (exit 2) and MMEngine launchers it cannot start', async () => {
    const { file } = configFile(small)
    const typo = await cli('train', file, '--cfg-option', 'train_cfg.max_epochs=1')
    expect(typo.code).toBe(2)
    expect(typo.stderr).toBe(
      "loopwright: unknown option --cfg-option for 'train' (did you mean --cfg-options?)\n" +
        "Run 'loopwright --help' for the commands and their options.\n",
    )
    const launcher = await cli('train', file, '--launcher', 'pytorch')
    expect(launcher.code).toBe(2)
    expect(launcher.stderr).toMatch(/^--launcher pytorch: PyTorch's rendezvous is not implemented; use --launcher mpi/)
  })
})
