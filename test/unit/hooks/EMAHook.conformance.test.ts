/**
 * A synthetic EMA scenario: the recorded MMEngine run s01 (SGD with momentum,
 * 2 epochs × 8 iterations) with `custom_hooks=[EMAHook(momentum=0.1)]` and a
 * validation loop added. Neither changes training, so MMEngine's recorded
 * per-iteration parameters still hold, and the EMA fields are computed here,
 * independently of the hook, as MMEngine's float32 recursion over those
 * recorded parameters. The end-to-end replay must then pass them: this
 * cross-checks EMAHook against MMEngine's trajectory, and the replay's EMA
 * comparisons against tampered records.
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../src/tensor/cpu.js'
import { replayRun } from '../../conformance/runReplay.js'
import type { Scenario } from '../../conformance/scenario.js'

beforeAll(useCpu)

const s01 = JSON.parse(
  readFileSync(new URL('../../fixtures/conformance/mmengine/s01_sgd_momentum.json', import.meta.url), 'utf8'),
) as Scenario
type Tensors = { [name: string]: number[] }

/** torch's `avg.lerp_(src, 0.1)` in float32 (weight < 0.5: avg + w·(src − avg)). */
const lerp = (avg: number, src: number, w: number): number =>
  Math.fround(avg + Math.fround(Math.fround(w) * Math.fround(src - avg)))

/** The average after each recorded iteration: a copy at the first update, then avg ← (1 − m)·avg + m·param. */
const emaTrajectory = (momentum: number): Tensors[] => {
  const out: Tensors[] = []
  for (const it of s01.per_iter!) {
    const p = it.params!
    const prev = out.at(-1)
    out.push(
      Object.fromEntries(
        Object.entries(p).map(([n, v]) => [
          n,
          prev === undefined ? v.map(Math.fround) : prev[n]!.map((a, i) => lerp(a, v[i]!, momentum)),
        ]),
      ),
    )
  }
  return out
}

const ema = emaTrajectory(0.1)
const withModule = (t: { readonly [name: string]: ReadonlyArray<number> }) =>
  Object.fromEntries(Object.entries(t).map(([n, v]) => [`module.${n}`, v]))

const scenario: Scenario = {
  ...s01,
  scenario: 's01_with_ema',
  config: {
    ...s01.config,
    custom_hooks: [{ type: 'EMAHook', momentum: 0.1 }],
    train_cfg: { ...(s01.config['train_cfg'] as object), val_interval: 1 },
    val_dataloader: {
      batch_size: 16,
      num_workers: 0,
      sampler: { type: 'DefaultSampler', shuffle: false },
      dataset: 'ArrayDataset(data.x[:16], data.y[:16])',
    },
    val_cfg: {},
    val_evaluator: { type: 'MSE' },
  },
  registered_hooks: [
    ['RuntimeInfoHook', 10],
    ['IterTimerHook', 50],
    ['DistSamplerSeedHook', 50],
    ['EMAHook', 50],
    ['LoggerHook', 60],
    ['ParamSchedulerHook', 70],
    ['CheckpointHook', 90],
  ],
  ema_final_params: ema.at(-1),
  val_checks: [
    { epoch: 1, used_ema: true, params: ema[7] },
    { epoch: 2, used_ema: true, params: ema[15] },
  ],
  checkpoint_epoch_1: {
    meta: { epoch: 1, iter: 8 },
    state_dict: ema[7],
    ema_state_dict: { steps: 8, ...withModule(s01.per_iter![7]!.params!) },
  },
  checkpoint_epoch_2: { state_dict: ema[15], ema_state_dict: { steps: 16, ...withModule(s01.final_params!) } },
}

const byField = (checks: ReadonlyArray<{ status: string; field: string; detail: string }>) =>
  Object.fromEntries(checks.map((c) => [c.field, `${c.status} ${c.detail}`]))

describe('the EMA fields of a recorded scenario, replayed end to end', () => {
  it(
    'EMAHook reproduces MMEngine’s average over the recorded trajectory: final ' +
      'average, validation weights, checkpoints',
    async () => {
      const checks = byField(await replayRun(scenario))
      expect(checks['per_iter.params']).toMatch(/^PASS/)
      expect(checks['registered_hooks']).toMatch(/^PASS/)
      expect(checks['ema_final_params']).toBe('PASS (epoch_2.safetensors, 16 updates)')
      expect(checks['val_checks']).toBe('PASS (2 validations; compared epoch, used_ema, params)')
      expect(checks['checkpoint_epoch_1']).toBe('PASS (epoch_1.safetensors; meta, state_dict, ema_state_dict)')
      expect(checks['checkpoint_epoch_2']).toMatch(/^PASS/)
    },
  )

  it('fails on a record that disagrees, and on shapes it does not know, saying why', async () => {
    const shifted = Object.fromEntries(
      Object.entries(ema.at(-1)!).map(([n, v]) => [n, n === 'head.fc.bias' ? v.map((x) => x + 1e-3) : v]),
    )
    const checks = byField(
      await replayRun({
        ...scenario,
        ema_final_params: shifted,
        val_checks: [
          { epoch: 1, used_ema: false },
          { epoch: 2, used_ema: true },
        ],
        checkpoint_epoch_1: { ema_state_dict: { steps: 7 } },
        checkpoint_epoch_2: { pickled: 'bytes' },
      }),
    )
    expect(checks['ema_final_params']).toMatch(/^FAIL average: max \|Δ\| 1\.0e-3 at head\.fc\.bias\[0\]/)
    expect(checks['val_checks']).toMatch(/^FAIL \[0\]\.used_ema: recorded false, but validation ran on the average/)
    expect(checks['checkpoint_epoch_1']).toMatch(/^FAIL ema_state_dict\.steps: 8 ≠ 7/)
    expect(checks['checkpoint_epoch_2']).toMatch(/^FAIL pickled: not a checkpoint summary entry the contract defines/)
    const odd = byField(await replayRun({ ...s01, val_checks: 'yes' }))
    expect(odd['val_checks']).toMatch(/^FAIL expected a list of per-validation dicts/)
  })
})
