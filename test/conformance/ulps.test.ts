/**
 * What "matches torch 1.13" means for the optimizers, measured: loopwright's
 * float32 steps against MMEngine's recorded parameters, in ulps. ATen's
 * add-with-alpha is a fused multiply-add; tfjs multiplies and adds
 * separately, so results drift by a few ulps (more where a value passes near
 * zero). An independent SGD with the add fused reproduces the records
 * exactly, and unfused reproduces loopwright's distances exactly: the FMA is
 * the whole difference. docs/conformance.md states these numbers.
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../src/tensor/cpu.js'
import type { Scenario } from './scenario.js'
import { measure, sgdReferenceUlps, ulps } from './ulps.js'

const load = (name: string): Scenario =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/conformance/mmengine/${name}.json`, import.meta.url), 'utf8'),
  ) as Scenario

beforeAll(useCpu)

describe('ulp distance of the optimizers from the recorded MMEngine parameters', () => {
  it('counts ulps across zero and between neighbours', () => {
    expect(ulps(1, Math.fround(1 + 2 ** -23))).toBe(1)
    expect(ulps(-0, 0)).toBe(0)
    expect(ulps(2 ** -149, -(2 ** -149))).toBe(2)
  })

  it.each([
    ['s01_sgd_momentum', 42, 8],
    ['s02_adamw_paramwise', 2, 2],
    ['s04_grad_accum', 3, 2],
    ['s05_linear_cosine', 258, 16],
  ] as const)('%s: at most %i ulps (%i where |x| ≥ 0.01), within the tensor tolerance', (name, max, awayFromZero) => {
    const report = measure(load(name))!
    expect([report.max, report.maxAwayFromZero]).toEqual([max, awayFromZero])
    expect(report.maxAbs).toBeLessThan(1e-6)
  })

  it.each(['s01_sgd_momentum', 's04_grad_accum', 's05_linear_cosine'])(
    '%s: a fused add reproduces MMEngine exactly, an unfused one reproduces loopwright',
    (name) => {
      const scenario = load(name)
      expect(sgdReferenceUlps(scenario)).toEqual({ fused: 0, separate: measure(scenario)!.max })
    },
  )
})
