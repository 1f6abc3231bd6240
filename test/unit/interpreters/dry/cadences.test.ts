import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CheckpointSchedule } from '../../../../src/hooks/CheckpointHook.js'
import { LoggerSchedule } from '../../../../src/hooks/LoggerHook.js'
import { builtInCadences } from '../../../../src/interpreters/dry/cadences.js'
import type { Position } from '../../../../src/interpreters/dry/cadences.js'

const context = (trainLength: number, maxIters: number) => ({ trainLength, maxIters, maxEpochs: 1 })

describe('cadences agree with the hooks’ own schedules', () => {
  it('LoggerHook: the next occurrence is the first iteration where the hook writes, with what it writes', () => {
    fc.assert(
      fc.property(
        fc.record({
          interval: fc.integer({ min: 1, max: 30 }),
          interval_exp_name: fc.integer({ min: 1, max: 50 }),
          ignore_last: fc.boolean(),
        }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 59 }),
        (args, trainLength, epochStart, batch) => {
          const b0 = batch % trainLength
          const at: Position = { iter: epochStart + b0, epoch: 0, batchIdx: b0 }
          const limit = epochStart + trainLength
          const cadence = builtInCadences['LoggerHook']!(args, 'logger', context(trainLength, limit))!
          let expected: { iter: number; kind: string } | undefined
          for (let i = at.iter; i < limit && expected === undefined; i++) {
            const b = b0 + (i - at.iter)
            const exp = LoggerSchedule.expNameAfterTrainIter(args, i, b, trainLength)
            const line = LoggerSchedule.lineAfterTrainIter(args, b, trainLength)
            if (exp || line) expected = { iter: i, kind: exp && line ? 'exp+line' : exp ? 'exp' : 'line' }
          }
          expect(cadence.nextOccurrence!(at, limit)).toEqual(expected)
        },
      ),
      { numRuns: 500, seed: 5 },
    )
  })

  it('CheckpointHook by iteration: the next save', () => {
    fc.assert(
      fc.property(
        fc.record({
          by_epoch: fc.constant(false),
          interval: fc.integer({ min: -1, max: 40 }),
          save_begin: fc.integer({ min: 0, max: 30 }),
          save_last: fc.boolean(),
        }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 299 }),
        (args, maxIters, start) => {
          const from = start % maxIters
          const cadence = builtInCadences['CheckpointHook']!(args, 'checkpoint', context(maxIters, maxIters))!
          let expected = maxIters
          for (let i = from; i < maxIters; i++)
            if (CheckpointSchedule.afterTrainIter(args, i, maxIters)) {
              expected = i
              break
            }
          expect(cadence.nextActive({ iter: from, epoch: 0, batchIdx: from }, maxIters)).toBe(expected)
        },
      ),
      { numRuns: 500, seed: 6 },
    )
  })
})
