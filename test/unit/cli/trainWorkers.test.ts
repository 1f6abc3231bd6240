/** `loopwright train --workers N` and `--launcher` from the built CLI under plain node (the worker entry is dist's). */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from '../../support/cli.js'

const config = {
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
  train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
  optim_wrapper: { optimizer: { type: 'AdamW', lr: 0.003 } },
  default_hooks: { logger: { type: 'LoggerHook', interval: 5 } },
  randomness: { seed: 1 },
}

const configFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopwright-cli-workers-'))
  const file = join(dir, 'small.json')
  writeFileSync(file, JSON.stringify(config))
  return { dir, file }
}

describe('loopwright train --workers / --launcher', () => {
  it('--workers 2 trains on two threads, each epoch half as long, rank 0 writing the checkpoint', async () => {
    const { dir, file } = configFile()
    const work = join(dir, 'work')
    const { code, stdout, stderr } = await cli('train', file, '--work-dir', work, '--workers', '2')
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/data parallel: 2 worker threads \(shared memory\); rank 0 of 2 writes checkpoints and logs/)
    // 640 samples over 2 workers at 32 each: 10 iterations per epoch.
    expect(stdout).toMatch(/^Trained 10 iterations \(1 epochs\) in \d+:\d\d:\d\d\.$/m)
    expect(readdirSync(work).filter((f) => f.endsWith('.safetensors'))).toEqual(['epoch_1.safetensors'])
  }, 120_000)

  it('warns in one line when there are more workers than cores, and trains all the same', async () => {
    const { dir, file } = configFile()
    const workers = availableParallelism() + 1
    const run = await cli(
      'train',
      file,
      '--work-dir',
      join(dir, 'work'),
      '--workers',
      String(workers),
      '--cfg-options',
      'train_dataloader.dataset.indices=192',
    )
    expect(run.code, run.stderr).toBe(0)
    const warnings = run.stderr.split('\n').filter((line) => line.includes('WARNING'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      new RegExp(`${workers} workers on ${workers - 1} cores.*: every step waits for the slowest worker`),
    )
  }, 120_000)

  it('refuses a launcher it cannot run, and a bad worker count, with one line and exit 2', async () => {
    const { file } = configFile()
    const pytorch = await cli('train', file, '--launcher', 'pytorch')
    expect(pytorch.code).toBe(2)
    expect(pytorch.stderr.trim().split('\n')).toHaveLength(1)
    expect(pytorch.stderr).toMatch(/^--launcher pytorch: PyTorch's rendezvous is not implemented/)
    const zero = await cli('train', file, '--workers', '0')
    expect(zero.code).toBe(2)
    expect(zero.stderr.trim()).toBe('--workers: expected a positive whole number, got "0"')
  })
})
