import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from '../../support/cli.js'

const minimal = 'test/fixtures/configs/minimal.json'
const sizes = ['--dataset-size', 'train=16']
const hooksOf = (stdout: string) => (JSON.parse(stdout) as { hooks: Array<{ name: string; priority: number }> }).hooks

describe('loopwright dry-run', () => {
  it('lists the six default hooks with their priorities', async () => {
    const { code, stdout } = await cli('dry-run', minimal, ...sizes, '--json')
    expect(code).toBe(0)
    expect(hooksOf(stdout)).toEqual([
      { name: 'RuntimeInfoHook', priority: 10 },
      { name: 'IterTimerHook', priority: 50 },
      { name: 'DistSamplerSeedHook', priority: 50 },
      { name: 'LoggerHook', priority: 60 },
      { name: 'ParamSchedulerHook', priority: 70 },
      { name: 'CheckpointHook', priority: 90 },
    ])
    const plan = JSON.parse(stdout) as {
      stages: Record<string, string[]>
      checkpoints: Array<{ path: string }>
      loops: { train: { maxIters: number } }
    }
    expect(plan.stages['after_train_iter']).toEqual([
      'RuntimeInfoHook',
      'IterTimerHook',
      'LoggerHook',
      'ParamSchedulerHook',
      'CheckpointHook',
    ])
    expect(plan.stages['before_save_checkpoint']).toBeUndefined()
    expect(plan.loops.train.maxIters).toBe(4)
    expect(plan.checkpoints.map((c) => c.path)).toEqual([
      'work_dirs/minimal/epoch_1.safetensors',
      'work_dirs/minimal/epoch_2.safetensors',
    ])
  })

  it('default_hooks.timer = None removes the timer', async () => {
    const { stdout } = await cli('dry-run', minimal, ...sizes, '--json', '--cfg-options', 'default_hooks.timer=None')
    expect(hooksOf(stdout).map((h) => h.name)).toEqual([
      'RuntimeInfoHook',
      'DistSamplerSeedHook',
      'LoggerHook',
      'ParamSchedulerHook',
      'CheckpointHook',
    ])
  })

  it("default_hooks.logger.priority = 'HIGHEST' moves the logger first", async () => {
    const { stdout } = await cli(
      'dry-run',
      minimal,
      ...sizes,
      '--json',
      '--cfg-options',
      'default_hooks.logger.priority=HIGHEST',
    )
    expect(hooksOf(stdout)[0]).toEqual({ name: 'LoggerHook', priority: 0 })
  })

  it('prints MMEngine’s hook table and the loop plan as text', async () => {
    const { code, stdout } = await cli('dry-run', minimal, ...sizes)
    expect(code).toBe(0)
    expect(stdout).toContain(
      'Hooks will be executed in the following order:\nbefore_run:\n(VERY_HIGH   ) RuntimeInfoHook',
    )
    expect(stdout).toContain('train: EpochBasedTrainLoop, 2 epochs × 2 batches = 4 iterations')
    expect(stdout).toContain('checkpoints: 2: epoch_1.safetensors, epoch_2.safetensors')
  })

  it('loads a Python config with _base_ inheritance; the child adjusts the base checkpoint hook', async () => {
    const { code, stdout, stderr } = await cli(
      'dry-run',
      'test/fixtures/configs/child.py',
      '--dataset-size',
      'train=320',
      '--json',
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const plan = JSON.parse(stdout) as {
      checkpoints: Array<{ path: string }>
      removals: Array<{ path: string }>
      warnings: string[]
    }
    expect(plan.checkpoints.map((c) => c.path.split('/').at(-1))).toEqual([
      'epoch_10.safetensors',
      'epoch_20.safetensors',
    ])
    expect(plan.warnings).toContain('randomness.seed is not set: a seed is drawn at start, so two runs differ')
  })

  it('a bad config exits 2 with path-precise one-line messages and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-'))
    const file = join(dir, 'bad.json')
    writeFileSync(
      file,
      JSON.stringify({
        train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 },
        param_schedular: [],
        optim_wrapper: { optimizer: { type: 'SGD' }, clip_grad: { max_norm: '0.2x' } },
      }),
    )
    const { code, stdout, stderr } = await cli('dry-run', file)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain(`${file}: param_schedular: unknown key (did you mean 'param_scheduler'?)`)
    expect(stderr).toContain(`${file}: optim_wrapper.clip_grad.max_norm: expected a positive number, got "0.2x"`)
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('an unknown dataset size, a missing file and a malformed option are errors, not crashes', async () => {
    const noSize = await cli('dry-run', minimal)
    expect(noSize.code).toBe(2)
    expect(noSize.stderr).toContain('train_dataloader.dataset: the dry run does not know this dataset')
    const missing = await cli('dry-run', 'nope.json')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nope.json: cannot read the config file: no such file')
    const badOption = await cli('dry-run', minimal, ...sizes, '--cfg-options', 'novalue')
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toContain('--cfg-options: expected key=value')
  })

  it('shows the optimizer, its defaults and the accumulation windows; optimizer mistakes are errors', async () => {
    const { stdout } = await cli(
      'dry-run',
      minimal,
      '--dataset-size',
      'train=40',
      '--cfg-options',
      'optim_wrapper.accumulative_counts=4',
    )
    expect(stdout).toContain('OptimWrapper with SGD(lr=0.1, momentum=0, dampening=0, weight_decay=0)')
    expect(stdout).toContain(
      'gradient accumulation: 4 micro-batches per step, 3 optimizer steps, after iterations 4, 8, 10',
    )
    expect(stdout).toContain(
      "the last window has 2 micro-batches; their losses are divided by 2, not 4 (MMEngine's rule)",
    )
    const bad = await cli('dry-run', minimal, ...sizes, '--cfg-options', 'optim_wrapper.optimizer.momentun=0.9')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("optim_wrapper.optimizer.momentun: unknown key (did you mean 'momentum'?)")
  })

  it('doctor --json reports versions, the chosen backend and one conformance entry per op', async () => {
    const { code, stdout } = await cli('doctor', '--json')
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as {
      backend: { name: string }
      packages: Record<string, string | null>
      checks: Array<{ backend: string; op: string; ok: boolean; maxAbsDiff: number }>
    }
    expect(report.backend.name).toBe('wasm')
    expect(report.packages['@tensorflow/tfjs-node-gpu']).toBeNull()
    expect(report.checks.length).toBeGreaterThan(20)
    for (const c of report.checks) expect(Object.keys(c).sort()).toEqual(['backend', 'maxAbsDiff', 'ok', 'op'])
    expect(report.checks.every((c) => c.backend === 'wasm' && c.ok)).toBe(true)
    const missing = await cli('doctor', '--backend', 'tensorflow')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--backend tensorflow: @tensorflow/tfjs-node is not installed')
  })

  it('simulates the lr schedule and draws it with --plot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-plot-'))
    const svgFile = join(dir, 'lr.svg')
    const { code, stdout, stderr } = await cli('dry-run', 'configs/mnist_mlp.json', '--plot', svgFile, '--json')
    expect(code).toBe(0)
    // Said on stderr, so that the JSON on stdout stays one document.
    expect(stderr).toBe(`Wrote the lr and momentum schedule over 2345 iterations (470 points) to ${svgFile}\n`)
    const plan = JSON.parse(stdout) as { schedule: { iterations: number; lr: number[] }; warnings: string[] }
    expect(plan.schedule.iterations).toBe(2345)
    // LinearLR(start_factor=0.01) warm-up from AdamW's lr 0.002.
    expect(plan.schedule.lr[0]).toBeCloseTo(2e-5, 15)
    expect(plan.warnings.some((w) => w.includes('not simulated'))).toBe(false)
    expect(readFileSync(svgFile, 'utf8')).toMatch(/^<svg/)
    const text = await cli('dry-run', 'configs/mnist_mlp.json', '--plot', svgFile)
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe(
      `Wrote the lr and momentum schedule over 2345 iterations (470 points) to ${svgFile}`,
    )
  })

  it('rejects unknown commands with usage', async () => {
    const { code, stderr } = await cli('fly')
    expect(code).toBe(2)
    expect(stderr).toContain("unknown command 'fly'")
  })
})
