import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../src/tensor/cpu.js'
import { replay, replayOptimizer } from './replay.js'
import { runConformance } from './run.js'
import type { Scenario } from './scenario.js'

const fixtures = nodePath.join(import.meta.dirname, '..', 'fixtures', 'conformance')
const load = (path: string): Scenario =>
  JSON.parse(fs.readFileSync(nodePath.join(fixtures, `${path}.json`), 'utf8')) as Scenario
const statusOf = async (scenario: Scenario) =>
  Object.fromEntries((await replay(scenario)).map((c) => [c.field, `${c.status} ${c.detail}`]))

beforeAll(useCpu)

describe('conformance replay of the project fixtures (test/fixtures/conformance)', () => {
  it(
    'checks every field of every scenario: exactly 277 checks (186 MMEngine, 15 recorded MMSelfSup, 76 of ' +
      'the own MMSelfSup scenarios), all pass, none skipped',
    async () => {
      const result = await runConformance([])
      expect(result.lines.filter((l) => !l.startsWith('PASS'))).toEqual(['277 passed, 0 failed, 0 skipped'])
      expect(result.passed).toBe(277)
      expect(result.skipped).toBe(0)
    },
  )

  it('npm run conformance on a tampered copy with an invented field fails, names it, exits 1', () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-tampered-'))
    const s11 = load('mmengine/s11_grad_scaler')
    fs.writeFileSync(
      nodePath.join(dir, 's11_tampered.json'),
      JSON.stringify({ ...s11, invented_field: { anything: 1 } }),
    )
    const tsx = nodePath.join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx')
    const out = spawnSync(tsx, [nodePath.join(import.meta.dirname, 'run.ts'), dir], { encoding: 'utf8' })
    expect(out.status, out.stderr).toBe(1)
    expect(out.stdout).toMatch(/^FAIL s11_grad_scaler invented_field no replay checks this field/m)
    expect(out.stdout).toMatch(/^7 passed, 1 failed, 0 skipped$/m)
  }, 60_000)
})

describe('scenarios no replayer knows', () => {
  it('fail, field by field, without stopping the replay (another family plugs in through replayers)', async () => {
    const foreign = { scenario: 'foreign_like', widget: { type: 'SwAVLoss' }, inputs: {} } as unknown as Scenario
    const lines = (await replay(foreign)).map((c) => `${c.status} ${c.field}`)
    expect(lines).toEqual(['FAIL scenario', 'FAIL widget', 'FAIL inputs'])
  })
})

describe('each kind of field fails when the record disagrees', () => {
  it('per-iteration values: an lr, a parameter, epochs, a gradient, an invented key', async () => {
    const s05 = load('mmengine/s05_linear_cosine')
    const perIter = s05.per_iter!.map((p, i) =>
      i === 3
        ? { ...p, lr: [p.lr![0]! * (1 + 1e-9)] }
        : i === 5
          ? { ...p, params: { ...p.params!, 'head.fc.bias': p.params!['head.fc.bias']!.map((v) => v + 1e-3) } }
          : p,
    )
    const tampered = await replay({ ...s05, per_iter: perIter })
    // Both the optimizer-layer replay and the end-to-end run catch each change.
    expect(tampered.filter((c) => c.status === 'FAIL').map((c) => c.field)).toEqual([
      'grads-replay.per_iter.lr',
      'grads-replay.per_iter.params',
      'per_iter.lr',
      'per_iter.params',
    ])
    const s01 = load('mmengine/s01_sgd_momentum')
    const garbage = await statusOf({
      ...s01,
      per_iter: s01.per_iter!.map((p, i) => ({
        ...p,
        epoch: i === 2 ? 7 : p.epoch,
        ...(i === 4
          ? { grads: { ...p.grads!, 'backbone.fc1.bias': p.grads!['backbone.fc1.bias']!.map((g) => g * 1.01) } }
          : {}),
        ...(i === 0 ? { made_up: 3 } : {}),
      })),
    })
    expect(garbage['per_iter.epoch']).toBe('FAIL iter 3: 1 ≠ 7')
    expect(garbage['per_iter.grads']).toMatch(/^FAIL iter 5: max \|Δ\|/)
    expect(garbage['per_iter.made_up']).toBe('FAIL no replay checks this per-iteration key')
  })

  it('param groups and per-parameter values of the constructors', async () => {
    const s02 = load('mmengine/s02_adamw_paramwise')
    const groups = s02.param_groups!.map((g, i) =>
      i === 2 ? { ...g, weight_decay: 0.05 } : i === 3 ? { ...g, fused: true } : g,
    )
    expect(replayOptimizer({ ...s02, param_groups: groups }).find((c) => c.field === 'param_groups')?.detail).toBe(
      'group 2 weight_decay: 0 ≠ 0.05',
    )
    expect(
      replayOptimizer({
        ...s02,
        param_groups: s02.param_groups!.map((g, i) => (i === 3 ? { ...g, fused: true } : g)),
      }).find((c) => c.field === 'param_groups')?.detail,
    ).toBe('group 3 fused: null ≠ true')
    const vit = load('own/own_layer_decay_vit')
    const perParam = vit.per_param!.map((p, i) => (i === 6 ? { ...p, layer_id: 2 } : p))
    expect((await statusOf({ ...vit, per_param: perParam }))['per_param']).toBe(
      'FAIL backbone.layers.0.attn.qkv.weight.layer_id: 1 ≠ 2',
    )
    expect((await statusOf({ ...vit, per_param: [{ name: 'backbone.cls_token', bogus: 1 }] }))['per_param']).toMatch(
      /^FAIL backbone.cls_token.bogus: loopwright's constructor has no such value/,
    )
    expect((await statusOf({ ...vit, model_kind: 'swin' }))['model_kind']).toBe(
      'FAIL the names imply vit, swin recorded',
    )
  })

  it('hook order: registration, the call sequence and the unfolded trace, compared whole', async () => {
    const order = load('own/own_hook_order')
    const calls = order['call_sequence'] as ReadonlyArray<{
      readonly stage: string
      readonly overriding_hooks: ReadonlyArray<string>
    }>
    const status = await statusOf({
      ...order,
      registered_hooks: (order['registered_hooks'] as unknown[][]).map((h) =>
        h[0] === 'RecSixty' ? ['RecSixty', 50] : h,
      ),
      // A recording hook that acts nowhere, claimed to act at before_train_epoch.
      call_sequence: calls.map((c) =>
        c.stage === 'before_train_epoch' ? { ...c, overriding_hooks: [...c.overriding_hooks, 'RecNormal'] } : c,
      ),
      trace: (order['trace'] as unknown[]).slice(0, -1),
    })
    expect(status['registered_hooks']).toMatch(/^FAIL .*RecSixty\(60\).* ≠ recorded .*RecSixty\(50\)/)
    expect(status['call_sequence']).toMatch(/^FAIL call 2 \(before_train_epoch\) overriding_hooks/)
    expect(status['trace']).toMatch(/^FAIL visit 197: loopwright .* ≠ recorded none \(198 vs 197 entries\)/)
  })

  it('logs, summaries, checkpoints, resume', async () => {
    const s01 = load('mmengine/s01_sgd_momentum')
    const scalars = s01['mmengine_logged_scalars'] as ReadonlyArray<{ readonly [key: string]: unknown }>
    const status = await statusOf({
      ...s01,
      mmengine_logged_scalars: scalars.map((r, i) => (i === 1 ? { ...r, loss: (r['loss'] as number) + 1e-3 } : r)),
      summary: { ...(s01['summary'] as object), full_train_mse_final: 0.2 },
      crosscheck: { ...(s01['crosscheck'] as object), n_records: 15 },
    })
    expect(status['mmengine_logged_scalars']).toMatch(/^FAIL row 1 \(step 2\) loss:/)
    expect(status['summary']).toMatch(/^FAIL full_train_mse_final: 0\.1435\d* ≠ 0\.2/)
    expect(status['crosscheck']).toBe('FAIL n_records: 16 ≠ 15')
    const resume = load('own/own_resume')
    const checkpoint = resume['checkpoint_epoch_1'] as { readonly [key: string]: unknown }
    const tampered = await statusOf({
      ...resume,
      checkpoint_epoch_1: { ...checkpoint, meta: { epoch: 1, iter: 9, seed: 0 }, pickle_protocol: 2 },
      comparison: { resumed_first_iter: 8, final_params_bitwise_equal: true },
    })
    expect(tampered['checkpoint_epoch_1']).toMatch(/^FAIL meta\.iter: 8 ≠ 9/)
    expect(tampered['comparison']).toBe('FAIL resumed_first_iter: 9 ≠ 8')
    const hub = { log_scalars: ['train/lr', 'train/loss'], runtime_info: [] }
    const noTimes = await statusOf({ ...resume, checkpoint_epoch_1: { ...checkpoint, message_hub: hub } })
    const hubFailure = /^FAIL message_hub.log_scalars: loopwright holds train\/lr, train\/data/
    expect(noTimes['checkpoint_epoch_1']).toMatch(hubFailure)
    expect(
      (await statusOf({ ...resume, checkpoint_epoch_1: { ...checkpoint, top_level_keys: ['meta', 'state_dict'] } }))[
        'checkpoint_epoch_1'
      ],
    ).toMatch(/^FAIL top_level_keys: loopwright's checkpoint holds meta, state_dict, message_hub, optimizer/)
  })
})
