import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import { plot, simulateSchedule, svg } from '../../../src/interpreters/dry/lrSchedule.js'
import { decodeOptimizer } from '../../../src/optim/optimizers/registry.js'

const s05 = JSON.parse(
  readFileSync(new URL('../../fixtures/conformance/mmengine/s05_linear_cosine.json', import.meta.url), 'utf8'),
) as {
  config: { optim_wrapper: { optimizer: { [k: string]: unknown } }; param_scheduler: Array<{ [k: string]: never }> }
  per_iter: Array<{ lr: number[] }>
  final_lr: number[]
}

describe('the dry run’s lr schedule', () => {
  it('equals the lr MMEngine recorded at every iteration (s05: linear warm-up + converted cosine)', () => {
    const optimizer = decodeOptimizer(s05.config.optim_wrapper.optimizer)
    if (optimizer._tag === 'Left') throw new Error('optimizer')
    const schedule = simulateSchedule(
      s05.config.param_scheduler,
      optimizer.right.defaults,
      Loop.EpochBasedTrainLoop({ max_epochs: 3 }),
      8,
    )
    if (schedule._tag === 'Left') throw new Error(JSON.stringify(schedule.left))
    expect(schedule.right.every).toBe(1)
    expect(schedule.right.lr).toEqual(s05.per_iter.map((p) => p.lr[0]))
    expect(schedule.right.final.lr).toBe(s05.final_lr[0])
    expect(schedule.right.momentum?.[0]).toBe(0.9)
  })

  it('reports scheduler mistakes with their path', () => {
    const schedule = simulateSchedule(
      [{ type: 'LinearLR', start_factr: 0.1 }],
      { lr: 0.1 },
      Loop.EpochBasedTrainLoop({ max_epochs: 1 }),
      4,
    )
    expect(schedule._tag).toBe('Left')
    if (schedule._tag === 'Left') expect(schedule.left[0]!.path).toContain('param_scheduler')
  })

  it('draws a terminal plot and an SVG', () => {
    const text = plot([1, 2, 3, 4], 4, 4)
    expect(text.split('\n')).toHaveLength(4)
    expect(text).toContain('4.00e+0')
    expect(
      svg({ iterations: 4, every: 1, lr: [1, 2, 3, 4], momentum: undefined, final: { lr: 4, momentum: undefined } }),
    ).toMatch(/^<svg[\s\S]*<path d="M40\.0,200\.0 L[^"]+"[\s\S]*<\/svg>\n$/)
  })
})
