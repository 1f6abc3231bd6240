import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useCpu } from '../../src/tensor/cpu.js'
import { replayComponent } from './mmselfsup.js'

const load = (name: string): { [field: string]: unknown } =>
  JSON.parse(readFileSync(new URL(`../fixtures/conformance/mmselfsup/${name}.json`, import.meta.url), 'utf8')) as {
    [field: string]: unknown
  }

describe('conformance replay of the recorded MMSelfSup components (test/fixtures/conformance/mmselfsup)', () => {
  it('passes every check of the SimSiam head and the SwAV loss', async () => {
    await useCpu()
    for (const name of ['ssl_simsiam_latent_predict_head', 'ssl_swav_loss_no_queue']) {
      const checks = await replayComponent(load(name))
      expect(checks.filter((c) => c.status !== 'PASS')).toEqual([])
      expect(checks.length).toBeGreaterThanOrEqual(5)
    }
  })

  it(
    'fails when the record disagrees: a changed loss, a changed gradient, an unknown ' + 'field, an unknown component',
    async () => {
      await useCpu()
      const s = load('ssl_swav_loss_no_queue')
      const outputs = s['outputs'] as { loss: { values: number[] } }
      const grads = s['grads'] as { x: { values: number[] } }
      const tampered = {
        ...s,
        outputs: { ...outputs, loss: { ...outputs.loss, values: [outputs.loss.values[0]! * 1.001] } },
        grads: { ...grads, x: { ...grads.x, values: grads.x.values.map((v, i) => (i === 3 ? v + 1e-3 : v)) } },
        extra_check: 1,
      }
      const failed = (await replayComponent(tampered)).filter((c) => c.status === 'FAIL').map((c) => c.field)
      expect(failed).toEqual(['extra_check', 'outputs.loss', 'grads.x'])
      const unknown = { ...s, component: { type: 'NoSuchLoss', config: { type: 'NoSuchLoss' } } }
      const checks = await replayComponent(unknown)
      expect(checks.every((c) => c.status === 'FAIL')).toBe(true)
      expect(checks[0]!.detail).toContain("unknown self-supervised component type 'NoSuchLoss'")
    },
  )
})
