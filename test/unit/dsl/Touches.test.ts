import { describe, expect, it } from 'vitest'
import { covers, fieldProblem, hazards, overlaps } from '../../../src/dsl/Touches.js'
import type { Declared } from '../../../src/dsl/Touches.js'

const lrWriter = (name: string, priority: number, key?: string): Declared => ({
  name,
  priority,
  ...(key === undefined ? {} : { key }),
  touches: { after_train_iter: { reads: [], writes: ['optim.lr'] } },
})

describe('field names', () => {
  it('accepts the vocabulary of State paths and effects, and says what a field can be otherwise', () => {
    for (const f of [
      'optim.lr',
      'model.params',
      'model.head.loss.queue_length',
      'messageHub.scalars.train/lr',
      'messageHub.info.val/*',
      'hooks.custom_hooks[0]',
      'own',
      'stop',
      'data.sampler.epoch',
      'log',
      'checkpoint.files',
      '*',
      'model',
    ])
      expect(fieldProblem(f), f).toBeUndefined()
    expect(fieldProblem('queue')).toMatch(/^'queue' is not a field: use counters, seed, rng, data\.<key>/)
    expect(fieldProblem('ema')).toBeDefined()
    expect(fieldProblem('model.')).toBeDefined()
  })

  it('covers a field by itself, by a name above it, or by a trailing *; the whole state leaves effects out', () => {
    expect(covers('messageHub.scalars', 'messageHub.scalars.train/lr')).toBe(true)
    expect(covers('messageHub.scalars.train/*', 'messageHub.scalars.train/lr')).toBe(true)
    expect(covers('messageHub.scalars.train/*', 'messageHub.scalars.val/lr')).toBe(false)
    expect(covers('model', 'model.loss_lambda')).toBe(true)
    expect(covers('model.loss', 'model.loss_lambda')).toBe(false)
    expect(covers('*', 'optim.lr')).toBe(true)
    expect(covers('*', 'log')).toBe(false)
    expect(overlaps('messageHub.info.best_ckpt*', 'messageHub.info.best_ckpt_acc')).toBe(true)
    expect(overlaps('messageHub.scalars.train/*', 'messageHub.scalars')).toBe(true)
    expect(overlaps('optim.lr', 'optim.momentum')).toBe(false)
  })
})

describe('ordering hazards from read/write declarations', () => {
  it('flags two hooks touching one field at one stage with equal priority, naming their keys', () => {
    expect(hazards([lrWriter('A', 50), lrWriter('B', 50)])).toEqual([
      'after_train_iter: A and B both touch optim.lr and are ordered only by registration (equal priority 50)',
    ])
    expect(hazards([lrWriter('Warmup', 50, 'custom_hooks[0]'), lrWriter('Warmup', 50, 'custom_hooks[1]')])).toEqual([
      'after_train_iter: Warmup (custom_hooks[0]) and Warmup (custom_hooks[1]) both touch optim.lr ' +
        'and are ordered only by registration (equal priority 50)',
    ])
  })

  it('flags a read of what a later hook of the same stage writes, also through a broader name', () => {
    const reader: Declared = {
      name: 'Logger',
      priority: 30,
      touches: { after_train_iter: { reads: ['optim'], writes: [] } },
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
        { name: 'B', priority: 50, touches: { after_train_iter: { reads: [], writes: ['own'] } } },
      ]),
    ).toEqual([])
    expect(hazards([lrWriter('A', 50), { name: 'B', priority: 50, touches: undefined }])).toEqual([])
  })

  it("keeps each hook's own state its own, treats effects as sinks, and a snapshot as deliberate", () => {
    const own = (name: string, key: string): Declared => ({
      name,
      key,
      priority: 50,
      touches: { after_train_epoch: { reads: ['own'], writes: ['own', 'log', 'files'] } },
    })
    expect(hazards([own('EMAHook', 'custom_hooks[0]'), own('EMAHook', 'custom_hooks[1]')])).toEqual([])
    const snapshot = (priority: number): Declared => ({
      name: 'CheckpointHook',
      key: 'checkpoint',
      priority,
      touches: { after_val_epoch: { reads: ['*'], writes: ['checkpoint.files'] } },
    })
    const stopper: Declared = {
      name: 'EarlyStoppingHook',
      key: 'custom_hooks[0]',
      priority: 100,
      touches: { after_val_epoch: { reads: ['metrics'], writes: ['own', 'stop'] } },
    }
    expect(hazards([snapshot(90), stopper])).toEqual([])
    expect(hazards([snapshot(100), stopper])).toEqual([
      'after_val_epoch: CheckpointHook (checkpoint) and EarlyStoppingHook (custom_hooks[0]) both touch ' +
        'hooks.custom_hooks[0], stop and are ordered only by registration (equal priority 100)',
    ])
  })

  it('lists hazards in stage order', () => {
    const both = (name: string): Declared => ({
      name,
      priority: 50,
      touches: {
        after_train_iter: { reads: [], writes: ['optim.lr'] },
        before_train_epoch: { reads: [], writes: ['optim.lr'] },
      },
    })
    expect(hazards([both('A'), both('B')]).map((l) => l.split(':')[0])).toEqual([
      'before_train_epoch',
      'after_train_iter',
    ])
  })
})
