import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Hook from '../../src/dsl/Hook.js'
import * as P from '../../src/dsl/Priority.js'
import { inertHook, priorityInput } from './arbitraries.js'

const parse = (input: string | number): P.Priority => {
  const parsed = P.parse(input)
  if (parsed._tag === 'Left') throw new Error(parsed.left.message)
  return parsed.right
}

describe('hook ordering laws', () => {
  it('order() equals registering one by one with MMEngine’s insertion rule', () => {
    fc.assert(
      fc.property(fc.array(priorityInput, { maxLength: 30 }), (priorities) => {
        const hooks = priorities.map((p, i) => inertHook(`H${i}`, parse(p)))
        const inserted = hooks.reduce<ReadonlyArray<Hook.Hook>>((acc, h) => Hook.insert(acc, h), [])
        expect(Hook.order(hooks).map((h) => h.name)).toEqual(inserted.map((h) => h.name))
      }),
    )
  })

  it('is a stable sort by priority value: sorted, a permutation, ties in registration order', () => {
    fc.assert(
      fc.property(fc.array(priorityInput, { maxLength: 30 }), (priorities) => {
        const hooks = priorities.map((p, i) => inertHook(`H${i}`, parse(p)))
        const ordered = Hook.order(hooks)
        const index = (h: Hook.Hook) => Number(h.name.slice(1))
        expect([...ordered].map(index).sort((a, b) => a - b)).toEqual(hooks.map(index))
        for (let i = 1; i < ordered.length; i++) {
          const [a, b] = [ordered[i - 1]!, ordered[i]!]
          expect(a.priority.value <= b.priority.value).toBe(true)
          if (a.priority.value === b.priority.value) expect(index(a) < index(b)).toBe(true)
        }
      }),
    )
  })

  it('defaults registered first run before customs of equal priority', () => {
    fc.assert(
      fc.property(
        fc.array(priorityInput, { minLength: 1, maxLength: 10 }),
        fc.array(priorityInput, { minLength: 1, maxLength: 10 }),
        (defaults, customs) => {
          const hooks = [
            ...defaults.map((p, i) => inertHook(`default${i}`, parse(p))),
            ...customs.map((p, i) => inertHook(`custom${i}`, parse(p))),
          ]
          const ordered = Hook.order(hooks)
          for (let i = 0; i < ordered.length; i++) {
            for (let j = i + 1; j < ordered.length; j++) {
              const [a, b] = [ordered[i]!, ordered[j]!]
              if (a.priority.value === b.priority.value && a.name.startsWith('custom'))
                expect(b.name.startsWith('default')).toBe(false)
            }
          }
        },
      ),
    )
  })
})
