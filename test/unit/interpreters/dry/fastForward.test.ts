import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../../src/dsl/Loop.js'
import { nextValidationIter } from '../../../../src/interpreters/dry/fastForward.js'

describe('nextValidationIter', () => {
  it('is the first iteration after which an iteration-based loop validates (dynamic intervals included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 50 })), { maxLength: 3 }),
        fc.integer({ min: 0, max: 399 }),
        (maxIters, valBegin, interval, dynamic, from) => {
          const loop = Loop.IterBasedTrainLoop({
            max_iters: maxIters,
            val_begin: valBegin,
            val_interval: interval,
            dynamic_intervals: [...dynamic].sort((a, b) => a[0] - b[0]),
          })
          const start = from % maxIters
          let expected = Infinity
          for (let i = start; i < maxIters; i++)
            if (Loop.validatesAfter(loop, i + 1)) {
              expected = i
              break
            }
          expect(nextValidationIter(loop, start)).toBe(expected)
        },
      ),
      { numRuns: 1000, seed: 9 },
    )
  })
})
