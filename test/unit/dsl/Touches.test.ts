import { describe, expect, it } from 'vitest'
import { hazards } from '../../../src/dsl/Touches.js'
import type { Declared } from '../../../src/dsl/Touches.js'

const lrWriter = (name: string, priority: number): Declared => ({
  name,
  priority,
  touches: { after_train_iter: { reads: [], writes: ['optim.lr'] } },
})

describe('ordering hazards from read/write declarations', () => {
  it('flags two hooks touching one field at one stage with equal priority', () => {
    expect(hazards([lrWriter('A', 50), lrWriter('B', 50)])).toEqual([
      'after_train_iter: A and B both touch optim.lr and are ordered only by registration (equal priority 50)',
    ])
  })

  it('flags a read of what a later hook of the same stage writes', () => {
    const reader: Declared = {
      name: 'Logger',
      priority: 30,
      touches: { after_train_iter: { reads: ['optim.lr'], writes: [] } },
    }
    expect(hazards([reader, lrWriter('Scheduler', 70)])).toEqual([
      'after_train_iter: Logger reads optim.lr before Scheduler writes it (Scheduler runs later in the same stage)',
    ])
  })

  it('is quiet for different priorities in a safe order, different stages, fields, or undeclared hooks', () => {
    const reader: Declared = {
      name: 'Logger',
      priority: 90,
      touches: { after_train_iter: { reads: ['optim.lr'], writes: [] } },
    }
    expect(hazards([lrWriter('Scheduler', 70), reader])).toEqual([])
    expect(
      hazards([
        lrWriter('A', 50),
        { name: 'B', priority: 50, touches: { before_train_iter: { reads: [], writes: ['optim.lr'] } } },
      ]),
    ).toEqual([])
    expect(
      hazards([
        lrWriter('A', 50),
        { name: 'B', priority: 50, touches: { after_train_iter: { reads: [], writes: ['ema'] } } },
      ]),
    ).toEqual([])
    expect(hazards([lrWriter('A', 50), { name: 'B', priority: 50, touches: undefined }])).toEqual([])
  })
})
