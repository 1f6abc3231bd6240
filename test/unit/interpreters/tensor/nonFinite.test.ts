import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { baseConfig, failure, programOf, run, tempDir } from './support.js'

beforeAll(useCpu)

// An absurd learning rate makes the TinyRegressor's loss overflow within a few iterations.
const diverging = (policy?: string) =>
  programOf({
    ...baseConfig,
    ...(policy === undefined ? {} : { non_finite: policy }),
    optim_wrapper: { optimizer: { type: 'SGD', lr: 1e18 } },
    param_scheduler: [],
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 12, val_interval: 100 },
    default_hooks: { checkpoint: null, logger: { type: 'LoggerHook', interval: 100 } },
  })

describe('non-finite losses and gradients without loss scaling', () => {
  it('stop (the default): the run ends with the iteration and what was not finite', async () => {
    const message = await failure(diverging(), { workDir: tempDir() })
    expect(message).toMatch(
      new RegExp(
        String.raw`^train_step: iteration \d+, batch \d+: iteration \d+: ` +
          String.raw`(the loss is (NaN|-?Infinity)|the loss is \S+ but the gradient of [\w.]+ is not finite)`,
      ),
    )
    expect(message).toMatch(/non_finite='stop'/)
  })

  it('skip: the step changes nothing, a warning says so, and the parameters stay finite', async () => {
    const warnings: string[] = []
    const result = await run(diverging('skip'), {
      workDir: tempDir(),
      print: (level, m) => void (level === 'WARNING' && warnings.push(m)),
    })
    expect(result.iterations).toBe(12)
    expect(warnings.length).toBeGreaterThan(0)
    expect(warnings[0]).toMatch(/the step is skipped \(non_finite='skip'\)/)
    for (const p of Object.values(result.params)) expect(Array.from(p.values).every(Number.isFinite)).toBe(true)
  })

  it('warn: the step is applied, and the warning names it', async () => {
    const warnings: string[] = []
    const result = await run(diverging('warn'), {
      workDir: tempDir(),
      print: (level, m) => void (level === 'WARNING' && warnings.push(m)),
    })
    expect(warnings[0]).toMatch(/applied anyway/)
    expect(Object.values(result.params).some((p) => !Array.from(p.values).every(Number.isFinite))).toBe(true)
  })

  it(
    'with loss scaling, a non-finite step is skipped by the scaler, as in PyTorch, ' + 'with no policy involved',
    async () => {
      const program = programOf({
        ...baseConfig,
        optim_wrapper: {
          type: 'AmpOptimWrapper',
          loss_scale: { init_scale: 1e38 },
          optimizer: { type: 'SGD', lr: 0.01 },
        },
        train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4, val_interval: 100 },
        default_hooks: { checkpoint: null },
      })
      const result = await run(program, { workDir: tempDir() })
      for (const p of Object.values(result.params)) expect(Array.from(p.values).every(Number.isFinite)).toBe(true)
    },
  )
})

describe('AmpOptimWrapper(dtype=...) in a real run', () => {
  it('trains with half-precision numerics emulated, and differs from float32 by rounding only', async () => {
    const base = {
      ...baseConfig,
      train_cfg: { type: 'IterBasedTrainLoop', max_iters: 10, val_interval: 100 },
      default_hooks: { checkpoint: null },
    }
    const fp32 = await run(
      programOf({
        ...base,
        optim_wrapper: { type: 'AmpOptimWrapper', loss_scale: 'dynamic', optimizer: { type: 'SGD', lr: 0.05 } },
      }),
      { workDir: tempDir() },
    )
    const fp16 = await run(
      programOf({
        ...base,
        optim_wrapper: {
          type: 'AmpOptimWrapper',
          loss_scale: 'dynamic',
          dtype: 'float16',
          optimizer: { type: 'SGD', lr: 0.05 },
        },
      }),
      { workDir: tempDir() },
    )
    const w32 = Array.from(fp32.params['head.fc.weight']!.values)
    const w16 = Array.from(fp16.params['head.fc.weight']!.values)
    expect(w16).not.toEqual(w32)
    w16.forEach((v, i) => {
      expect(Math.abs(v - w32[i]!)).toBeLessThan(1e-2)
    })
  })
})
