/**
 * The equal-priority warning is complete: when `hazards` reports no two hooks that touch one field at one stage
 * with equal priority, registration order among equal priorities cannot change what any hook sees or what the
 * stage leaves behind. Checked on an abstract run: each hook reads its declared fields (noting which hook wrote
 * them last) and writes its declared fields (signing them).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Stage } from '../../src/dsl/Stage.js'
import { effects, hazards } from '../../src/dsl/Touches.js'
import type { Declared, Field, Touches } from '../../src/dsl/Touches.js'

const stages: ReadonlyArray<Stage> = ['before_train_epoch', 'before_train_iter', 'after_train_iter']
const pool: ReadonlyArray<Field> = ['optim.lr', 'optim.momentum', 'model.loss_lambda', 'model.params', 'own', 'log']

const touchesArb: fc.Arbitrary<Touches> = fc
  .subarray([...stages], { minLength: 1 })
  .chain((acting) =>
    fc.tuple(
      ...acting.map((stage) =>
        fc.record({ reads: fc.subarray([...pool]), writes: fc.subarray([...pool]) }).map((t) => [stage, t] as const),
      ),
    ),
  )
  .map((entries) => Object.fromEntries(entries))

/** Hooks in execution order: sorted by priority, registration order kept among equals. */
const hooksArb: fc.Arbitrary<ReadonlyArray<Declared>> = fc
  .array(fc.record({ priority: fc.constantFrom(30, 50, 70), touches: touchesArb }), { minLength: 2, maxLength: 5 })
  .map((hs) =>
    hs.map((h, i) => ({ name: `H${i}`, key: `custom_hooks[${i}]`, ...h })).sort((a, b) => a.priority - b.priority),
  )

const placeOf = (f: Field, h: Declared): string => (f === 'own' ? `hooks.${h.key}` : f)

/** What each hook saw at each stage, and who wrote each field last. */
const simulate = (hooks: ReadonlyArray<Declared>) => {
  const last = new Map<string, string>()
  const seen: { [at: string]: ReadonlyArray<string | undefined> } = {}
  for (const stage of stages) {
    for (const h of hooks) {
      const t = h.touches?.[stage]
      if (t === undefined) continue
      seen[`${h.key}@${stage}`] = t.reads.map((f) => last.get(placeOf(f, h)))
      for (const f of t.writes) if (!effects.includes(f)) last.set(placeOf(f, h), h.key!)
    }
  }
  return { seen, last: Object.fromEntries(last) }
}

/** Reverse the registration order within each priority. */
const reorderEquals = (hooks: ReadonlyArray<Declared>): ReadonlyArray<Declared> => {
  const byPriority = new Map<number, Declared[]>()
  for (const h of hooks) byPriority.set(h.priority, [...(byPriority.get(h.priority) ?? []), h])
  return [...byPriority.keys()].sort((a, b) => a - b).flatMap((p) => [...byPriority.get(p)!].reverse())
}

describe('ordering hazards', () => {
  it('without an equal-priority warning, registration order among equal priorities changes nothing', () => {
    fc.assert(
      fc.property(hooksArb, (hooks) => {
        const equalPriority = hazards(hooks).filter((l) => l.includes('ordered only by registration'))
        fc.pre(equalPriority.length === 0)
        expect(simulate(reorderEquals(hooks))).toEqual(simulate(hooks))
      }),
      { numRuns: 300, seed: 6 },
    )
  })

  it('without any warning, no hook reads a value that a later hook of its stage replaces', () => {
    fc.assert(
      fc.property(hooksArb, (hooks) => {
        fc.pre(hazards(hooks).length === 0)
        for (const stage of stages) {
          const last = new Map<string, string>()
          const reads: Array<readonly [string, string, string | undefined]> = []
          for (const h of hooks) {
            const t = h.touches?.[stage]
            if (t === undefined) continue
            for (const f of t.reads) reads.push([placeOf(f, h), h.key!, last.get(placeOf(f, h))])
            for (const f of t.writes) if (!effects.includes(f)) last.set(placeOf(f, h), h.key!)
          }
          // At the end of the stage the field holds what the reader saw, or what the reader itself wrote.
          for (const [field, reader, seen] of reads)
            expect([seen, reader], `${stage}: ${reader} reads ${field}`).toContain(last.get(field))
        }
      }),
      { numRuns: 300, seed: 7 },
    )
  })
})
