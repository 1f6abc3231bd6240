import * as nodePath from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../src/tensor/cpu.js'
import { lerp32 } from '../../../src/hooks/ema/averaging.js'
import { baseConfig, programOf, run, tempDir } from '../interpreters/tensor/support.js'
import { readCheckpointFile } from './support.js'

beforeAll(useCpu)

const config = {
  ...baseConfig,
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 20, val_interval: 10 },
  default_hooks: { ...baseConfig.default_hooks, checkpoint: { type: 'CheckpointHook', interval: 10, by_epoch: false } },
  custom_hooks: [{ type: 'EMAHook', momentum: 0.1 }],
}

const raw = (hooks: { readonly [key: string]: unknown }) =>
  hooks['custom_hooks[0]'] as { params: { [name: string]: number[] }; steps: number; swapped: boolean }

describe('EMAHook with the tensor interpreter', () => {
  it(
    'the average is MMEngine’s float32 recursion over the trained parameters, and ' +
      'checkpoints hold it as the weights',
    async () => {
      const workDir = tempDir()
      const seen: Array<{ [name: string]: number[] }> = []
      const result = await run(programOf(config), {
        workDir,
        afterTrainStep: (s, read) =>
          void seen.push(Object.fromEntries(Object.entries(read(s.model.params)).map(([n, v]) => [n, Array.from(v)]))),
      })
      expect(seen).toHaveLength(20)
      // avg₀ = p₀; avgₖ = avgₖ₋₁ + 0.1·(pₖ − avgₖ₋₁), element by element in float32.
      const expected = Object.fromEntries(
        Object.entries(seen[0]!).map(([name, first]) => [
          name,
          seen.slice(1).reduce((avg, p) => avg.map((a, i) => lerp32(a, p[name]![i]!, 0.1)), first.map(Math.fround)),
        ]),
      )
      const file = readCheckpointFile(nodePath.join(workDir, 'iter_20.safetensors'))
      expect(file.params).toEqual(expected)
      // Beside them, MMEngine's ema_state_dict: the raw weights and the update count.
      const ema = raw(file.hooks)
      expect(ema.steps).toBe(20)
      expect(ema.swapped).toBe(true)
      expect(ema.params).toEqual(
        Object.fromEntries(Object.entries(result.params).map(([n, p]) => [n, Array.from(p.values)])),
      )
    },
  )

  it('does not change training, but validation runs on the average', async () => {
    const withEma = await run(programOf(config), { workDir: tempDir() })
    const without = await run(programOf({ ...config, custom_hooks: [] }), { workDir: tempDir() })
    for (const [name, p] of Object.entries(without.params))
      expect(Array.from(withEma.params[name]!.values), name).toEqual(Array.from(p.values))
    expect(withEma.evaluations.map((e) => e.metrics['mse'])).not.toEqual(
      without.evaluations.map((e) => e.metrics['mse']),
    )
  })

  it('resumes bit-identically: model, average and step count come back from the checkpoint', async () => {
    const program = programOf(config)
    const whole = tempDir()
    const a = await run(program, { workDir: whole })
    const first = tempDir()
    await run(programOf({ ...config, train_cfg: { ...config.train_cfg, max_iters: 10 } }), { workDir: first })
    const second = tempDir()
    const b = await run(program, { workDir: second, resume: nodePath.join(first, 'iter_10.safetensors') })
    expect(b.iterations).toBe(20)
    for (const [name, p] of Object.entries(a.params))
      expect(Array.from(b.params[name]!.values), name).toEqual(Array.from(p.values))
    expect(b.evaluations.map((e) => e.metrics)).toEqual(a.evaluations.filter((e) => e.iter > 10).map((e) => e.metrics))
    const [fa, fb] = [
      readCheckpointFile(nodePath.join(whole, 'iter_20.safetensors')),
      readCheckpointFile(nodePath.join(second, 'iter_20.safetensors')),
    ]
    expect(fb.params).toEqual(fa.params)
    expect(raw(fb.hooks)).toEqual(raw(fa.hooks))
  })

  it('creates no tensor it does not free', async () => {
    const before = tf.memory().numTensors
    const counts: number[] = []
    await run(programOf({ ...config, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 30, val_interval: 10 } }), {
      workDir: tempDir(),
      afterTrainStep: () => void counts.push(tf.memory().numTensors),
    })
    expect(new Set(counts.slice(3)).size).toBe(1)
    expect(tf.memory().numTensors).toBe(before)
  })
})
