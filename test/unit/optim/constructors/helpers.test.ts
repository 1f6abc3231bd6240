import { describe, expect, it } from 'vitest'
import {
  firstMatch,
  lastMatch,
  powInt,
  pyFloat,
  pyJsonDumps,
  pyRepr,
  sortKeys,
  toParamGroups,
  withDefaults,
} from '../../../../src/optim/constructors/index.js'

describe('sortKeys', () => {
  it('sorts alphabetically, then stably by length, longest first', () => {
    expect(sortKeys(['sub', 'param1', 'sub.gn', 'non_exist_key', 'bn'])).toEqual([
      'non_exist_key',
      'param1',
      'sub.gn',
      'sub',
      'bn',
    ])
    expect(sortKeys(['b', 'B', 'a', 'ab'])).toEqual(['ab', 'B', 'a', 'b'])
  })
  it('orders and measures by code point, as Python does', () => {
    // U+1F600 is one code point (two UTF-16 units) and sorts after U+FFFD.
    expect(sortKeys(['\u{1F600}', '\uFFFD', 'ab'])).toEqual(['ab', '\uFFFD', '\u{1F600}'])
  })
  it('first and last match', () => {
    const sorted = sortKeys(['bias', 'layers.0.bias', 'x'])
    expect(firstMatch(sorted, 'backbone.layers.0.bias')).toBe('layers.0.bias')
    expect(lastMatch(sorted, 'backbone.layers.0.bias')).toBe('bias')
    expect(firstMatch(sorted, 'head.weight')).toBeUndefined()
  })
})

describe('powInt', () => {
  it('equals CPython float ** int where V8 ** differs', () => {
    // Values printed by Python 3.11 (glibc pow).
    expect(powInt(0.65, 7)).toBe(0.049022278906250015)
    expect(powInt(0.9, 4)).toBe(0.6561)
    expect(powInt(0.85, 7)).toBe(0.3205770882812499)
    expect(powInt(0.8, 13)).toBe(0.054975581388800036)
    expect(powInt(0.03, 10)).toBe(5.904899999999998e-16)
  })
  it('is exact where the result is representable, and handles 0, negative exponents and negative bases', () => {
    expect(powInt(2, 10)).toBe(1024)
    expect(powInt(0.5, 1074)).toBe(5e-324)
    expect(powInt(0.75, 0)).toBe(1)
    expect(powInt(2, -3)).toBe(0.125)
    expect(powInt(-2, 3)).toBe(-8)
    expect(powInt(0.5, 1075)).toBe(0)
    expect(powInt(0.75, 0.5)).toBe(0.75 ** 0.5)
  })
})

describe('Python text', () => {
  it('pyFloat is repr(float)', () => {
    expect(
      [10, 0.1, 1e-5, 0.0001, 1e16, 1.5e16, 123456789012345680, -0.45, 0, -0, 2.5e-7, 1e22, NaN, -Infinity].map(
        pyFloat,
      ),
    ).toEqual([
      '10.0',
      '0.1',
      '1e-05',
      '0.0001',
      '1e+16',
      '1.5e+16',
      '1.2345678901234568e+17',
      '-0.45',
      '0.0',
      '-0.0',
      '2.5e-07',
      '1e+22',
      'nan',
      '-inf',
    ])
  })
  it('pyRepr', () => {
    expect(pyRepr({ a: [true, null, 'x'], "it's": 1 })).toBe(`{'a': [True, None, 'x'], "it's": 1.0}`)
  })
  it('pyJsonDumps is json.dumps(indent=2)', () => {
    expect(pyJsonDumps({ g: { names: ['a', 'é'], lr: 8, e: [] } })).toBe(
      '{\n  "g": {\n    "names": [\n      "a",\n      "\\u00e9"\n    ],\n    "lr": 8.0,\n    "e": []\n  }\n}',
    )
  })
})

describe('withDefaults and toParamGroups', () => {
  it('fills unset keys in the defaults order and keeps set ones in place', () => {
    const groups = withDefaults([{ params: ['a'], weight_decay: 0, lr: 0.2 }, { params: ['b'] }], {
      lr: 0.1,
      momentum: 0.9,
      weight_decay: 1e-4,
    })
    expect(groups).toEqual([
      { params: ['a'], weight_decay: 0, lr: 0.2, momentum: 0.9 },
      { params: ['b'], lr: 0.1, momentum: 0.9, weight_decay: 1e-4 },
    ])
    expect(Object.keys(groups[0]!)).toEqual(['params', 'weight_decay', 'lr', 'momentum'])
  })
  it('converts to { names, hyper }', () => {
    expect(toParamGroups([{ params: ['a', 'b'], lr: 0.2, lars_exclude: true }])).toEqual([
      { names: ['a', 'b'], hyper: { lr: 0.2, lars_exclude: true } },
    ])
  })
})
