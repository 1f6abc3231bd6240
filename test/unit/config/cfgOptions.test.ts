import { describe, expect, it } from 'vitest'
import { applyCfgOptions, parseCfgOptions, parseValue } from '../../../src/config/cfgOptions.js'

const value = (raw: string): unknown => {
  const result = parseValue(raw)
  if (result._tag === 'Left') throw new Error(`expected a value, got the error ${result.left}`)
  return result.right
}

describe('parseValue (MMEngine DictAction)', () => {
  it('reads integers', () => {
    expect(value('1')).toBe(1)
    expect(value('-3')).toBe(-3)
    expect(value('+4')).toBe(4)
    expect(value('0')).toBe(0)
  })

  it('reads floats', () => {
    expect(value('0.01')).toBe(0.01)
    expect(value('1e-3')).toBe(0.001)
    expect(value('.5')).toBe(0.5)
    expect(value('2.')).toBe(2)
    expect(value('-1.5E2')).toBe(-150)
  })

  it('reads True, False and None', () => {
    expect(value('True')).toBe(true)
    expect(value('False')).toBe(false)
    expect(value('None')).toBeNull()
    expect(value('true')).toBe(true)
    expect(value('false')).toBe(false)
  })

  it('keeps anything else as a string', () => {
    expect(value('HIGH')).toBe('HIGH')
    expect(value('./work_dirs/mae')).toBe('./work_dirs/mae')
    expect(value('0x10')).toBe('0x10')
    expect(value('')).toBe('')
  })

  it('keeps ±inf and nan as strings (a config holds finite numbers only)', () => {
    expect(value('inf')).toBe('inf')
    expect(value('-inf')).toBe('-inf')
    expect(value('nan')).toBe('nan')
  })

  it('strips surrounding whitespace and quotes', () => {
    expect(value(' 5 ')).toBe(5)
    expect(value("'x'")).toBe('x')
    expect(value('"[1, 2]"')).toEqual([1, 2])
    expect(value('"7"')).toBe(7)
  })

  it('reads a list `[1,2]`, with or without spaces', () => {
    expect(value('[1,2]')).toEqual([1, 2])
    expect(value('[1, 2.5, True, None, a]')).toEqual([1, 2.5, true, null, 'a'])
    expect(value('[]')).toEqual([])
  })

  it('reads a tuple `(a,b)` as a list', () => {
    expect(value('(a,b)')).toEqual(['a', 'b'])
    expect(value('(0.9, 0.999)')).toEqual([0.9, 0.999])
    expect(value('()')).toEqual([])
  })

  it('reads nested lists and tuples', () => {
    expect(value('[[1,2],[3]]')).toEqual([[1, 2], [3]])
    expect(value('[(1,2),(3,4)]')).toEqual([
      [1, 2],
      [3, 4],
    ])
    expect(value('[1, (2, [3, 4])]')).toEqual([1, [2, [3, 4]]])
    expect(value('([1],2)')).toEqual([[1], 2])
  })

  it('reads a bare comma list `a,b` as a list', () => {
    expect(value('a,b')).toEqual(['a', 'b'])
    expect(value('1,2,3')).toEqual([1, 2, 3])
    expect(value('1,')).toEqual([1])
  })

  it('rejects unbalanced brackets', () => {
    expect(parseValue('[1,2')).toEqual({ _tag: 'Left', left: 'unbalanced brackets in "[1,2"' })
    expect(parseValue('(1,2')).toEqual({ _tag: 'Left', left: 'unbalanced brackets in "(1,2"' })
    expect(parseValue('[a,[b]')).toEqual({ _tag: 'Left', left: 'unbalanced brackets in "[b"' })
  })
})

describe('parseCfgOptions', () => {
  it('turns dotted keys into nested dicts, one per option', () => {
    expect(parseCfgOptions(['a.b=1', 'c=[1,2]', 'optim_wrapper.optimizer.lr=0.01'])).toEqual({
      _tag: 'Right',
      right: [{ a: { b: 1 } }, { c: [1, 2] }, { optim_wrapper: { optimizer: { lr: 0.01 } } }],
    })
  })

  it('keeps list indices as keys', () => {
    expect(parseCfgOptions(['custom_hooks.0.priority=HIGH'])).toEqual({
      _tag: 'Right',
      right: [{ custom_hooks: { 0: { priority: 'HIGH' } } }],
    })
  })

  it('splits at the first `=` only', () => {
    expect(parseCfgOptions(['a==1', 'b=x=y'])).toEqual({ _tag: 'Right', right: [{ a: '=1' }, { b: 'x=y' }] })
  })

  it('rejects an option without a key', () => {
    expect(parseCfgOptions(['noequals'])).toEqual({
      _tag: 'Left',
      left: { path: '', message: '--cfg-options: expected key=value, got "noequals"' },
    })
    expect(parseCfgOptions(['=1'])).toEqual({
      _tag: 'Left',
      left: { path: '', message: '--cfg-options: expected key=value, got "=1"' },
    })
  })

  it('rejects an unparsable value under its key', () => {
    expect(parseCfgOptions(['a.b=1', 'c.d=[1'])).toEqual({
      _tag: 'Left',
      left: { path: 'c.d', message: '--cfg-options: unbalanced brackets in "[1"' },
    })
  })

  it('accepts no options', () => {
    expect(parseCfgOptions([])).toEqual({ _tag: 'Right', right: [] })
  })
})

describe('applyCfgOptions', () => {
  const config = {
    a: { b: 0, keep: 'yes' },
    c: [9, 9, 9],
    default_hooks: { timer: { type: 'IterTimerHook' }, logger: { type: 'LoggerHook', interval: 50 } },
    custom_hooks: [
      { type: 'SimSiamHook', priority: 'LOW', fix_pred_lr: true },
      { type: 'EMAHook', momentum: 0.0001 },
    ],
  }

  it('applies `a.b=1 c=[1,2]`: nested dicts merge, lists replace', () => {
    expect(applyCfgOptions(config, ['a.b=1', 'c=[1,2]'])).toEqual({
      _tag: 'Right',
      right: { ...config, a: { b: 1, keep: 'yes' }, c: [1, 2] },
    })
  })

  it('edits one list element with `custom_hooks.0.priority=HIGH`', () => {
    expect(applyCfgOptions(config, ['custom_hooks.0.priority=HIGH'])).toEqual({
      _tag: 'Right',
      right: {
        ...config,
        custom_hooks: [
          { type: 'SimSiamHook', priority: 'HIGH', fix_pred_lr: true },
          { type: 'EMAHook', momentum: 0.0001 },
        ],
      },
    })
  })

  it('sets a default hook to None with `default_hooks.timer=None`', () => {
    expect(applyCfgOptions(config, ['default_hooks.timer=None'])).toEqual({
      _tag: 'Right',
      right: { ...config, default_hooks: { timer: null, logger: { type: 'LoggerHook', interval: 50 } } },
    })
  })

  it('adds keys the config lacks', () => {
    expect(applyCfgOptions({}, ['train_cfg.max_epochs=1', 'work_dir=./w'])).toEqual({
      _tag: 'Right',
      right: { train_cfg: { max_epochs: 1 }, work_dir: './w' },
    })
  })

  it('applies options in order; a later option wins', () => {
    expect(applyCfgOptions({}, ['a=1', 'a=2'])).toEqual({ _tag: 'Right', right: { a: 2 } })
  })

  it('reports an index out of range', () => {
    expect(applyCfgOptions(config, ['custom_hooks.2.priority=HIGH'])).toEqual({
      _tag: 'Left',
      left: { path: 'custom_hooks[2]', message: '--cfg-options: index 2 is out of range (the list has 2 items)' },
    })
  })

  it('reports a non-index key into a list', () => {
    expect(applyCfgOptions(config, ['custom_hooks.first.priority=HIGH'])).toEqual({
      _tag: 'Left',
      left: { path: 'custom_hooks', message: "--cfg-options: expected a list index, got 'first'" },
    })
  })

  it('reports a dotted key into a scalar', () => {
    expect(applyCfgOptions(config, ['a.b.c=1'])).toEqual({
      _tag: 'Left',
      left: {
        path: 'a.b',
        message: '--cfg-options: cannot merge a dict into 0 from the base config; add _delete_=True to replace it',
      },
    })
  })

  it('reports a malformed option', () => {
    expect(applyCfgOptions(config, ['a.b'])).toEqual({
      _tag: 'Left',
      left: { path: '', message: '--cfg-options: expected key=value, got "a.b"' },
    })
  })

  it('does not change the config it is given', () => {
    const copy = structuredClone(config)
    applyCfgOptions(config, ['a.b=1', 'custom_hooks.0.priority=HIGH', 'default_hooks.timer=None'])
    expect(config).toEqual(copy)
  })
})
