import { describe, expect, it } from 'vitest'
import * as P from '../../../src/dsl/Priority.js'

describe('Priority', () => {
  it('has MMEngine’s nine levels', () => {
    expect(Object.entries(P.levels)).toEqual([
      ['HIGHEST', 0],
      ['VERY_HIGH', 10],
      ['HIGH', 30],
      ['ABOVE_NORMAL', 40],
      ['NORMAL', 50],
      ['BELOW_NORMAL', 60],
      ['LOW', 70],
      ['VERY_LOW', 90],
      ['LOWEST', 100],
    ])
  })
  it('parses names in any case and integers in [0, 100]', () => {
    expect(P.parse('HIGHEST')).toEqual({ _tag: 'Right', right: { value: 0, name: 'HIGHEST' } })
    expect(P.parse('high')).toEqual({ _tag: 'Right', right: { value: 30, name: 'HIGH' } })
    expect(P.parse(45)).toEqual({ _tag: 'Right', right: { value: 45, name: undefined } })
    expect(P.parse(50)).toEqual({ _tag: 'Right', right: { value: 50, name: 'NORMAL' } })
  })
  it('rejects out-of-range numbers, fractions, unknown names and other types with a message', () => {
    for (const bad of [101, -1, 45.5, 'SUPER', '', null, true, [50]]) {
      const r = P.parse(bad)
      expect(r._tag).toBe('Left')
      if (r._tag === 'Left') expect(r.left.message).toContain(`got ${JSON.stringify(bad)}`)
    }
  })
  it('labels named values by name and others by number', () => {
    expect(P.label(P.make(60))).toBe('BELOW_NORMAL')
    expect(P.label(P.make(45))).toBe('45')
  })
})
