import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import {
  array,
  boolean,
  check,
  dispatch,
  formatIssue,
  int,
  issuesOf,
  json,
  literal,
  nullable,
  number,
  pathOf,
  positiveInt,
  positiveNumber,
  record,
  show,
  string,
  struct,
} from '../../../src/schema/codec.js'
import type { Codec, Issue } from '../../../src/schema/codec.js'
import { closest, editDistance, suggestion, tolerance } from '../../../src/schema/didYouMean.js'

/** The issues of a failed decode (the test fails if the decode succeeds). */
const issues = <A>(codec: Codec<A>, input: unknown): ReadonlyArray<Issue> => {
  const result = codec.decode(input)
  if (result._tag === 'Right') throw new Error(`expected a failure, got ${JSON.stringify(result.right)}`)
  return issuesOf(result.left)
}

/** The issues as `path: message` lines. */
const lines = <A>(codec: Codec<A>, input: unknown): ReadonlyArray<string> => issues(codec, input).map(formatIssue)

const accepts = <A>(codec: Codec<A>, input: unknown): A => {
  const result = codec.decode(input)
  if (result._tag === 'Left')
    throw new Error(`expected success, got ${issuesOf(result.left).map(formatIssue).join('; ')}`)
  return result.right
}

const hook = struct('a hook dict', { type: string }, { interval: positiveInt, by_epoch: boolean, max_keep_ckpts: int })

describe('struct', () => {
  it('accepts the required keys with any subset of the optional keys and returns the input unchanged', () => {
    const input = { type: 'CheckpointHook', interval: 2 }
    expect(accepts(hook, input)).toBe(input)
    expect(accepts(hook, { type: 'CheckpointHook', interval: 1, by_epoch: false, max_keep_ckpts: -1 })).toEqual({
      type: 'CheckpointHook',
      interval: 1,
      by_epoch: false,
      max_keep_ckpts: -1,
    })
  })

  it('reports a missing required key under its own path, naming what it expects', () => {
    expect(issues(hook, { interval: 2 })).toEqual([{ path: 'type', message: 'required key missing (a string)' }])
  })

  it('reports every missing required key, in declaration order', () => {
    const pair = struct('a pair', { first: number, second: string })
    expect(lines(pair, {})).toEqual([
      'first: required key missing (a number)',
      'second: required key missing (a string)',
    ])
  })

  it('rejects an unknown key with a did-you-mean of the closest known key', () => {
    expect(issues(hook, { type: 'CheckpointHook', intervall: 1 })).toEqual([
      { path: 'intervall', message: "unknown key (did you mean 'interval'?)" },
    ])
  })

  it('lists the known keys when no key is close', () => {
    expect(issues(hook, { type: 'CheckpointHook', zzz: 1 })).toEqual([
      { path: 'zzz', message: 'unknown key; known keys: type, interval, by_epoch, max_keep_ckpts' },
    ])
  })

  it('does not list the known keys of a struct with more than 16 keys', () => {
    const keys = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`key_number_${i}`, number]))
    const wide = struct('a wide dict', {}, keys)
    expect(issues(wide, { zzz: 1 })).toEqual([{ path: 'zzz', message: 'unknown key' }])
  })

  it('lists exactly 16 known keys when nothing is close', () => {
    const keys = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`key_number_${i}`, number]))
    const wide = struct('a wide dict', {}, keys)
    const message = issues(wide, { zzz: 1 })[0]?.message ?? ''
    expect(message.startsWith('unknown key; known keys: key_number_0, key_number_1,')).toBe(true)
    expect(message.endsWith('key_number_15')).toBe(true)
  })

  it('does not end the message with an empty list when the struct has no keys at all', () => {
    const none = struct('IterTimerHook arguments (it takes none)', {})
    expect(accepts(none, {})).toEqual({})
    const found = issues(none, { interval: 5 })
    expect(found.map((i) => i.path)).toEqual(['interval'])
    expect(found[0]?.message.startsWith('unknown key')).toBe(true)
    expect(found[0]?.message).not.toMatch(/known keys:\s*$/)
  })

  it('counts a key whose value is undefined as absent', () => {
    // An undefined optional or unknown key is ignored …
    expect(accepts(hook, { type: 'LoggerHook', interval: undefined, whatever: undefined })).toEqual({
      type: 'LoggerHook',
      interval: undefined,
      whatever: undefined,
    })
    // … and an undefined required key is missing.
    expect(issues(hook, { type: undefined })).toEqual([{ path: 'type', message: 'required key missing (a string)' }])
  })

  it('decodes each present value with its codec, under its key', () => {
    expect(issues(hook, { type: 3, interval: 0 })).toEqual([
      { path: 'type', message: 'expected a string, got 3' },
      { path: 'interval', message: 'expected a positive integer, got 0' },
    ])
  })

  it('rejects a non-dict with its description', () => {
    expect(issues(hook, [1, 2])).toEqual([{ path: '', message: 'expected a hook dict, got [1,2]' }])
    expect(issues(hook, null)).toEqual([{ path: '', message: 'expected a hook dict, got null' }])
    expect(issues(hook, 'CheckpointHook')).toEqual([
      { path: '', message: 'expected a hook dict, got "CheckpointHook"' },
    ])
  })

  it('reports required keys, then present keys in input order', () => {
    expect(lines(hook, { by_epoch: 'yes', interval: 1.5 })).toEqual([
      'type: required key missing (a string)',
      'by_epoch: expected a boolean (true or false), got "yes"',
      'interval: expected a positive integer, got 1.5',
    ])
  })

  it('has an `is` guard that agrees with decoding', () => {
    expect(hook.is({ type: 'x' })).toBe(true)
    expect(hook.is({ type: 'x', typo: 1 })).toBe(false)
    expect(hook.is({})).toBe(false)
    expect(hook.encode({ type: 'x', interval: 3 })).toEqual({ type: 'x', interval: 3 })
  })

  it('does not take inherited Object properties for known keys', () => {
    expect(issues(hook, { type: 'x', toString: 1 })).toEqual([
      { path: 'toString', message: 'unknown key; known keys: type, interval, by_epoch, max_keep_ckpts' },
    ])
  })
})

describe('array', () => {
  const inner = struct('an inner dict', { b: positiveInt })
  const outer = struct('an outer dict', { a: array(inner) })

  it('reports element errors with an index path, `a[1].b`', () => {
    expect(issues(outer, { a: [{ b: 1 }, { b: 0 }, { b: 2 }, { b: 'x' }] })).toEqual([
      { path: 'a[1].b', message: 'expected a positive integer, got 0' },
      { path: 'a[3].b', message: 'expected a positive integer, got "x"' },
    ])
  })

  it('reports unknown and missing keys inside elements with the element path', () => {
    expect(lines(outer, { a: [{ b: 1 }, { zzz: 1 }] })).toEqual([
      'a[1].b: required key missing (a positive integer)',
      'a[1].zzz: unknown key; known keys: b',
    ])
  })

  it('rejects a non-list with the default description', () => {
    expect(issues(outer, { a: { b: 1 } })).toEqual([
      { path: 'a', message: 'expected a list of an inner dict, got {"b":1}' },
    ])
  })

  it('rejects a non-list with a given description', () => {
    expect(issues(array(number, 'a list of numbers'), 'x')).toEqual([
      { path: '', message: 'expected a list of numbers, got "x"' },
    ])
  })

  it('accepts an empty list and nested lists', () => {
    expect(accepts(outer, { a: [] })).toEqual({ a: [] })
    const nested = array(array(int))
    expect(accepts(nested, [[1, 2], [3]])).toEqual([[1, 2], [3]])
    expect(issues(nested, [[1], [2, 2.5]])).toEqual([{ path: '[1][1]', message: 'expected an integer, got 2.5' }])
  })
})

describe('record', () => {
  it('accepts any string keys whose values decode', () => {
    expect(accepts(record(number), { lr_mult: 0.1, decay_mult: 0 })).toEqual({ lr_mult: 0.1, decay_mult: 0 })
  })

  it('reports a bad value under its key', () => {
    const keys = struct('paramwise', {}, { custom_keys: record(record(number)) })
    expect(issues(keys, { custom_keys: { bias: { decay_mult: 0 }, norm: { decay_mult: 'x' } } })).toEqual([
      { path: 'custom_keys.norm.decay_mult', message: 'expected a number, got "x"' },
    ])
  })

  it('rejects a list and null with its description', () => {
    expect(issues(record(number), [1])).toEqual([{ path: '', message: 'expected a dict of a number, got [1]' }])
    expect(issues(record(number, 'a dist_cfg dict'), null)).toEqual([
      { path: '', message: 'expected a dist_cfg dict, got null' },
    ])
  })
})

describe('nullable', () => {
  const maybe = nullable(positiveNumber)

  it('accepts null (Python None) and the inner values', () => {
    expect(accepts(maybe, null)).toBeNull()
    expect(accepts(maybe, 0.5)).toBe(0.5)
    expect(maybe.is(null)).toBe(true)
    expect(maybe.is(-1)).toBe(false)
  })

  it('is named after the inner codec', () => {
    expect(maybe.name).toBe('a positive number or null')
  })

  it('reports the inner codec’s error for anything else (undefined included)', () => {
    expect(issues(maybe, -1)).toEqual([{ path: '', message: 'expected a positive number, got -1' }])
    expect(issues(maybe, undefined)).toEqual([{ path: '', message: 'expected a positive number, got nothing' }])
  })
})

describe('dispatch', () => {
  const lossScale = dispatch("'dynamic', a positive number, or a scaler dict", [
    [(u) => typeof u === 'string', literal('dynamic')],
    [(u) => typeof u === 'number', positiveNumber],
    [
      (u) => typeof u === 'object' && u !== null && !Array.isArray(u),
      struct('a scaler dict', {}, { init_scale: positiveNumber }),
    ],
  ])

  it('decodes with the first case whose shape test accepts the input', () => {
    expect(accepts(lossScale, 'dynamic')).toBe('dynamic')
    expect(accepts(lossScale, 512)).toBe(512)
    expect(accepts(lossScale, { init_scale: 2 ** 16 })).toEqual({ init_scale: 65536 })
  })

  it('reports the chosen case’s error, keeping nested paths', () => {
    expect(issues(lossScale, 'static')).toEqual([{ path: '', message: 'expected one of "dynamic", got "static"' }])
    expect(issues(lossScale, 0)).toEqual([{ path: '', message: 'expected a positive number, got 0' }])
    expect(issues(lossScale, { init_scale: -1 })).toEqual([
      { path: 'init_scale', message: 'expected a positive number, got -1' },
    ])
  })

  it('reports the description when no case accepts the input', () => {
    expect(issues(lossScale, true)).toEqual([
      { path: '', message: "expected 'dynamic', a positive number, or a scaler dict, got true" },
    ])
    expect(lossScale.is(true)).toBe(false)
  })

  it('keeps paths when nested in a struct', () => {
    const wrapper = struct('a wrapper', {}, { loss_scale: lossScale })
    expect(lines(wrapper, { loss_scale: { init_scale: 'big' } })).toEqual([
      'loss_scale.init_scale: expected a positive number, got "big"',
    ])
  })
})

describe('check', () => {
  const range = check(struct('a range', { begin: int, end: int }), (r) =>
    r.end > r.begin ? undefined : `end (${r.end}) must be greater than begin (${r.begin})`,
  )

  it('accepts values that pass the rule', () => {
    expect(accepts(range, { begin: 0, end: 3 })).toEqual({ begin: 0, end: 3 })
    expect(range.is({ begin: 0, end: 3 })).toBe(true)
  })

  it('reports the rule’s message at the value’s own path', () => {
    expect(issues(range, { begin: 5, end: 5 })).toEqual([
      { path: '', message: 'end (5) must be greater than begin (5)' },
    ])
    const outer = struct('outer', { r: range })
    expect(lines(outer, { r: { begin: 4, end: 1 } })).toEqual(['r: end (1) must be greater than begin (4)'])
    expect(range.is({ begin: 5, end: 5 })).toBe(false)
  })

  it('does not run the rule when the inner codec fails', () => {
    let calls = 0
    const counted = check(int, (n) => {
      calls++
      return n > 0 ? undefined : 'not positive'
    })
    expect(issues(counted, 'x')).toEqual([{ path: '', message: 'expected an integer, got "x"' }])
    expect(calls).toBe(0)
    expect(issues(counted, -2)).toEqual([{ path: '', message: 'not positive' }])
    expect(calls).toBe(1)
  })

  it('keeps the inner codec’s name', () => {
    expect(range.name).toBe('a range')
  })
})

describe('json', () => {
  it('accepts plain values and rejects functions, undefined, NaN and Infinity', () => {
    expect(json.is({ a: [1, 'x', null, true, { b: 2.5 }] })).toBe(true)
    expect(json.is({ a: () => 1 })).toBe(false)
    expect(json.is([undefined])).toBe(false)
    expect(json.is(Number.NaN)).toBe(false)
    expect(issues(json, Number.POSITIVE_INFINITY)).toEqual([
      { path: '', message: 'expected a plain value (number, string, boolean, null, list or dict), got Infinity' },
    ])
  })
})

describe('show', () => {
  it('renders values for messages', () => {
    expect(show(undefined)).toBe('nothing')
    expect(show(Number.NaN)).toBe('NaN')
    expect(show(Number.NEGATIVE_INFINITY)).toBe('-Infinity')
    expect(show(() => 1)).toBe('a function')
    expect(show('0.2x')).toBe('"0.2x"')
    expect(show({ a: [1, null] })).toBe('{"a":[1,null]}')
  })

  it('truncates long renderings to 60 characters', () => {
    const text = show('x'.repeat(100))
    expect(text).toHaveLength(60)
    expect(text).toBe(`"${'x'.repeat(56)}...`)
  })

  it('falls back to String for values JSON cannot render', () => {
    const cyclic: { self?: unknown } = {}
    cyclic.self = cyclic
    expect(show(cyclic)).toBe('[object Object]')
    expect(show(10n)).toBe('10')
  })
})

describe('pathOf, issuesOf, formatIssue', () => {
  const entry = (key: string): t.ContextEntry => ({ key, type: t.unknown, actual: undefined })

  it('joins keys with dots and attaches list indices without a dot', () => {
    expect(pathOf([entry(''), entry('a'), entry('[1]'), entry('b')])).toBe('a[1].b')
    expect(pathOf([entry(''), entry('custom_hooks'), entry('[0]'), entry('priority')])).toBe('custom_hooks[0].priority')
    expect(pathOf([entry(''), entry('[0]'), entry('[2]')])).toBe('[0][2]')
    expect(pathOf([entry('')])).toBe('')
    expect(pathOf([])).toBe('')
  })

  it('turns errors into issues in order, dropping exact duplicates', () => {
    const errors: t.Errors = [
      { value: 1, context: [entry(''), entry('a')], message: 'first' },
      { value: 2, context: [entry(''), entry('b')], message: 'second' },
      { value: 1, context: [entry(''), entry('a')], message: 'first' },
      { value: 1, context: [entry(''), entry('a')], message: 'other' },
    ]
    expect(issuesOf(errors)).toEqual([
      { path: 'a', message: 'first' },
      { path: 'b', message: 'second' },
      { path: 'a', message: 'other' },
    ])
  })

  it('writes "expected <type name>, got <value>" for an error without a message', () => {
    const result = t.type({ lr: t.number }).decode({ lr: '0.1' })
    if (result._tag === 'Right') throw new Error('io-ts accepted a string lr')
    expect(issuesOf(result.left)).toEqual([{ path: 'lr', message: 'expected number, got "0.1"' }])
  })

  it('formats an issue as `path: message`, or the message alone for the whole config', () => {
    expect(
      formatIssue({ path: 'optim_wrapper.clip_grad.max_norm', message: 'expected a positive number, got "0.2x"' }),
    ).toBe('optim_wrapper.clip_grad.max_norm: expected a positive number, got "0.2x"')
    expect(formatIssue({ path: '', message: 'expected a config dict, got []' })).toBe('expected a config dict, got []')
  })
})

describe('editDistance', () => {
  it('is the Levenshtein distance for insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('abc', '')).toBe(3)
    expect(editDistance('', '')).toBe(0)
    expect(editDistance('interval', 'intervall')).toBe(1)
    expect(editDistance('param_schedular', 'param_scheduler')).toBe(1)
  })

  it('counts an adjacent transposition as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1)
    expect(editDistance('intreval', 'interval')).toBe(1)
    expect(editDistance('max_keep_ckpst', 'max_keep_ckpts')).toBe(1)
  })

  it('is the optimal-string-alignment variant (no edits inside a transposed pair)', () => {
    // Unrestricted Damerau–Levenshtein gives 2 here; OSA gives 3.
    expect(editDistance('ca', 'abc')).toBe(3)
  })

  it('ignores letter case and is symmetric', () => {
    expect(editDistance('LoggerHook', 'loggerhook')).toBe(0)
    expect(editDistance('CheckpointHok', 'CheckpointHook')).toBe(editDistance('CheckpointHook', 'CheckpointHok'))
  })
})

describe('tolerance', () => {
  it('is a third of the length, at least 1 and at most 3', () => {
    expect([0, 1, 2, 3, 5, 6, 8, 9, 12, 40].map((n) => tolerance('x'.repeat(n)))).toEqual([
      1, 1, 1, 1, 1, 2, 2, 3, 3, 3,
    ])
  })
})

describe('closest and suggestion', () => {
  it('picks the nearest candidate within tolerance', () => {
    expect(closest('intervall', ['interval', 'by_epoch'])).toBe('interval')
    expect(closest('param_schedular', ['param_scheduler', 'optim_wrapper'])).toBe('param_scheduler')
    expect(closest('LOGGER', ['logger'])).toBe('logger')
  })

  it('gives ties to the earlier candidate', () => {
    expect(closest('abd', ['abc', 'abe'])).toBe('abc')
    expect(closest('abd', ['abe', 'abc'])).toBe('abe')
  })

  it('prefers the smaller distance over the earlier candidate', () => {
    expect(closest('intervl', ['interval_exp_name', 'interval'])).toBe('interval')
    expect(closest('lgger', ['logger_hook', 'logger'])).toBe('logger')
  })

  it('finds nothing beyond tolerance', () => {
    expect(closest('zzz', ['interval', 'by_epoch'])).toBeUndefined()
    expect(closest('abc', ['xyz'])).toBeUndefined()
    expect(closest('x', [])).toBeUndefined()
  })

  it('takes a truncated or extended name for a slip (`method` → `method_name`)', () => {
    expect(closest('method', ['data_src', 'method_name', 'log_name', 'window_size'])).toBe('method_name')
    expect(closest('checkpoint_extra_long', ['checkpoint'])).toBe('checkpoint')
  })

  it('does not prefix-match names or candidates shorter than 4 characters', () => {
    expect(closest('lrs', ['lrs_mult_value'])).toBeUndefined()
    expect(closest('lr_multiplier', ['lr'])).toBeUndefined()
  })

  it('accepts any iterable of candidates, a one-shot iterator included', () => {
    // Registries pass `Map.keys()`; the truncation fallback must still see the candidates.
    expect(closest('intervall', new Map([['interval', 1]]).keys())).toBe('interval')
    expect(closest('Logger', ['RuntimeInfoHook', 'LoggerHook'])).toBe('LoggerHook')
    expect(
      closest(
        'Logger',
        new Map([
          ['RuntimeInfoHook', 1],
          ['LoggerHook', 2],
        ]).keys(),
      ),
    ).toBe('LoggerHook')
  })

  it('formats a suggestion, or nothing', () => {
    expect(suggestion('intervall', ['interval'])).toBe(" (did you mean 'interval'?)")
    expect(suggestion('zzz', ['interval'])).toBe('')
  })
})
