import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useCpu } from '../../src/tensor/cpu.js'
import { replay, replayOptimizer } from './replay.js'
import { runConformance } from './run.js'
import type { Scenario } from './scenario.js'

const load = (name: string): Scenario => JSON.parse(readFileSync(new URL(`../fixtures/conformance/mmengine/${name}.json`, import.meta.url), 'utf8')) as Scenario

describe('conformance replay of the recorded MMEngine scenarios (test/fixtures/conformance)', () => {
  it('passes every check it runs', async () => {
    const result = await runConformance([])
    const failures = result.lines.filter((l) => l.startsWith('FAIL'))
    expect(failures).toEqual([])
    expect(result.passed).toBeGreaterThanOrEqual(34)
  })

  it('fails when the record disagrees: a changed lr, a changed parameter, a changed group', async () => {
    await useCpu()
    const s05 = load('s05_linear_cosine')
    const perIter = s05.per_iter!.map((p, i) => (i === 3 ? { ...p, lr: [p.lr![0]! * (1 + 1e-9)] } : i === 5 ? { ...p, params: { ...p.params!, 'head.fc.bias': p.params!['head.fc.bias']!.map((v) => v + 1e-3) } } : p))
    const tampered = await replay({ ...s05, per_iter: perIter })
    // Both the optimizer-layer replay and the end-to-end run catch each change.
    expect(tampered.filter((c) => c.status === 'FAIL').map((c) => c.field)).toEqual(['grads-replay.per_iter.lr', 'grads-replay.per_iter.params', 'per_iter.lr', 'per_iter.params'])
    const s02 = load('s02_adamw_paramwise')
    const groups = s02.param_groups!.map((g, i) => (i === 2 ? { ...g, weight_decay: 0.05 } : g))
    expect(replayOptimizer({ ...s02, param_groups: groups }).find((c) => c.field === 'param_groups')?.status).toBe('FAIL')
  })
})
