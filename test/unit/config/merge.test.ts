import { describe, expect, it } from 'vitest'
import { mergeInto, stripDeleteMarkers, unionOfBases } from '../../../src/config/merge.js'
import type { Issue } from '../../../src/schema/codec.js'

type Dict = { readonly [key: string]: unknown }

const merged = (child: Dict, base: unknown, allowListKeys = false): unknown => {
  const result = mergeInto(child, base, allowListKeys)
  if (result._tag === 'Left') throw new Error(`expected a merge, got ${result.left.path}: ${result.left.message}`)
  return result.right
}

const failure = (child: Dict, base: unknown, allowListKeys = false, path = ''): Issue => {
  const result = mergeInto(child, base, allowListKeys, path)
  if (result._tag === 'Right') throw new Error(`expected a failure, got ${JSON.stringify(result.right)}`)
  return result.left
}

const runtime = {
  default_hooks: {
    timer: { type: 'IterTimerHook' },
    logger: { type: 'LoggerHook', interval: 50 },
    checkpoint: { type: 'CheckpointHook', interval: 10 },
  },
  log_level: 'INFO',
  custom_hooks: [{ type: 'SimSiamHook', priority: 'HIGH', fix_pred_lr: true }],
}

describe('mergeInto (MMEngine _merge_a_into_b, spec §14.1)', () => {
  it('merges dicts recursively: the child adjusts a hook and keeps the base’s type and interval', () => {
    expect(merged({ default_hooks: { checkpoint: { max_keep_ckpts: 3 } } }, runtime)).toEqual({
      default_hooks: {
        timer: { type: 'IterTimerHook' },
        logger: { type: 'LoggerHook', interval: 50 },
        checkpoint: { type: 'CheckpointHook', interval: 10, max_keep_ckpts: 3 },
      },
      log_level: 'INFO',
      custom_hooks: [{ type: 'SimSiamHook', priority: 'HIGH', fix_pred_lr: true }],
    })
  })

  it('keeps the base’s key order and appends new keys', () => {
    const result = merged({ work_dir: './w', log_level: 'DEBUG' }, runtime) as Dict
    expect(Object.keys(result)).toEqual(['default_hooks', 'log_level', 'custom_hooks', 'work_dir'])
    expect(result['log_level']).toBe('DEBUG')
  })

  it('replaces scalars and None values', () => {
    expect(merged({ a: null, b: 2 }, { a: { x: 1 }, b: 1 })).toEqual({ a: null, b: 2 })
  })

  it('rejects a dict merged into a base None, as MMEngine does (TypeError); `_delete_` resolves it', () => {
    expect(failure({ a: { x: 1 } }, { a: null, b: 1 })).toEqual({
      path: 'a',
      message: 'cannot merge a dict into null from the base config; add _delete_=True to replace it',
    })
    expect(merged({ a: { _delete_: true, x: 1 } }, { a: null, b: 1 })).toEqual({ a: { x: 1 }, b: 1 })
  })

  it('replaces lists wholesale (custom_hooks, param_scheduler)', () => {
    expect(merged({ custom_hooks: [] }, runtime)).toEqual({ ...runtime, custom_hooks: [] })
    expect(
      merged(
        { param_scheduler: [{ type: 'MultiStepLR' }] },
        { param_scheduler: [{ type: 'LinearLR' }, { type: 'CosineAnnealingLR' }] },
      ),
    ).toEqual({ param_scheduler: [{ type: 'MultiStepLR' }] })
  })

  it('with `_delete_=True`, replaces the base dict and drops the marker', () => {
    expect(
      merged({ default_hooks: { checkpoint: { _delete_: true, type: 'CheckpointHook', max_keep_ckpts: 3 } } }, runtime),
    ).toEqual({
      ...runtime,
      default_hooks: {
        timer: { type: 'IterTimerHook' },
        logger: { type: 'LoggerHook', interval: 50 },
        checkpoint: { type: 'CheckpointHook', max_keep_ckpts: 3 },
      },
    })
  })

  it('with `_delete_=True`, replaces a base value of another type', () => {
    expect(merged({ a: { _delete_: true, x: 1 } }, { a: [1, 2] })).toEqual({ a: { x: 1 } })
    expect(merged({ a: { _delete_: true, x: 1 } }, { a: 'text' })).toEqual({ a: { x: 1 } })
  })

  it('drops `_delete_` markers in new keys and nested values', () => {
    expect(merged({ a: { _delete_: true, x: { _delete_: true, y: 1 } } }, {})).toEqual({ a: { x: { y: 1 } } })
    expect(merged({ a: [{ _delete_: true, y: 1 }] }, {})).toEqual({ a: [{ y: 1 }] })
  })

  it('ignores `_delete_=False` and a `_delete_` key at the top level', () => {
    expect(merged({ a: { _delete_: false, y: 2 } }, { a: { x: 1 } })).toEqual({ a: { x: 1, y: 2 } })
    expect(merged({ _delete_: true, a: 1 }, { b: 2 })).toEqual({ b: 2, a: 1 })
  })

  it('rejects a dict merged into a non-dict, naming the path and the base value', () => {
    expect(failure({ a: { b: 1 } }, { a: 5 })).toEqual({
      path: 'a',
      message: 'cannot merge a dict into 5 from the base config; add _delete_=True to replace it',
    })
    expect(failure({ a: { b: { c: 1 } } }, { a: { b: 'x' } })).toEqual({
      path: 'a.b',
      message: 'cannot merge a dict into "x" from the base config; add _delete_=True to replace it',
    })
  })

  it('rejects a dict merged into a list unless list keys are allowed', () => {
    expect(failure({ a: { 0: 5 } }, { a: [1, 2] })).toEqual({
      path: 'a',
      message: 'cannot merge a dict into [1,2] from the base config; add _delete_=True to replace it',
    })
    // Long base values are shortened in the message.
    expect(failure({ custom_hooks: { 0: { priority: 'LOW' } } }, runtime)).toEqual({
      path: 'custom_hooks',
      message:
        'cannot merge a dict into ' +
        '[{"type":"SimSiamHook","priority":"HIGH","fix_pred_lr":tr... from the base ' +
        'config; add _delete_=True to replace it',
    })
  })

  it('rejects a non-dict base at the top', () => {
    expect(failure({ a: 1 }, [1])).toEqual({
      path: '',
      message: 'cannot merge a dict into [1]; add _delete_=True to replace it',
    })
    expect(failure({ a: 1 }, null)).toEqual({
      path: '',
      message: 'cannot merge a dict into null; add _delete_=True to replace it',
    })
  })

  it('treats keys named like Object.prototype members as plain keys', () => {
    expect(merged({ constructor: { a: 1 } }, {})).toEqual({ constructor: { a: 1 } })
    // JSON.parse makes `__proto__` an own key; merging must keep it as a key, not re-prototype the result.
    const result = merged(JSON.parse('{"__proto__": {"log_level": "loud"}}') as Dict, {}) as Dict
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect(Object.keys(result)).toEqual(['__proto__'])
  })

  it('does not change its inputs', () => {
    const base = structuredClone(runtime)
    const child = { default_hooks: { checkpoint: { _delete_: true, type: 'CheckpointHook' } }, custom_hooks: [] }
    const childCopy = structuredClone(child)
    merged(child, base)
    expect(base).toEqual(runtime)
    expect(child).toEqual(childCopy)
  })
})

describe('mergeInto with allowListKeys (--cfg-options list.0.key=v)', () => {
  it('edits one element of a list by index, merging into a dict element', () => {
    expect(merged({ custom_hooks: { 0: { priority: 'LOW' } } }, runtime, true)).toEqual({
      ...runtime,
      custom_hooks: [{ type: 'SimSiamHook', priority: 'LOW', fix_pred_lr: true }],
    })
  })

  it('replaces a scalar element and leaves the others', () => {
    expect(merged({ a: { 1: 5 } }, { a: [1, 2, 3] }, true)).toEqual({ a: [1, 5, 3] })
  })

  it('edits nested lists', () => {
    expect(merged({ a: { 1: { 0: 'x' } } }, { a: [[1], [2, 3]] }, true)).toEqual({ a: [[1], ['x', 3]] })
  })

  it('rejects an index past the end, naming the element path and the length', () => {
    expect(failure({ custom_hooks: { 3: { priority: 'LOW' } } }, runtime, true)).toEqual({
      path: 'custom_hooks[3]',
      message: 'index 3 is out of range (the list has 1 items)',
    })
    expect(failure({ 1: 'x' }, ['a'], true, 'list')).toEqual({
      path: 'list[1]',
      message: 'index 1 is out of range (the list has 1 items)',
    })
  })

  it('rejects a key that is not an index', () => {
    expect(failure({ custom_hooks: { first: { priority: 'LOW' } } }, runtime, true)).toEqual({
      path: 'custom_hooks',
      message: "expected a list index, got 'first'",
    })
    expect(failure({ '-1': 'x' }, ['a'], true, 'list')).toEqual({
      path: 'list',
      message: "expected a list index, got '-1'",
    })
  })

  it('still merges plain dicts recursively', () => {
    expect(merged({ default_hooks: { logger: { interval: 1 } } }, runtime, true)).toEqual({
      ...runtime,
      default_hooks: { ...runtime.default_hooks, logger: { type: 'LoggerHook', interval: 1 } },
    })
  })

  it('does not change the base list', () => {
    const base = { a: [1, 2, 3] }
    merged({ a: { 0: 9 } }, base, true)
    expect(base).toEqual({ a: [1, 2, 3] })
  })
})

describe('unionOfBases', () => {
  it('forms the union of bases with disjoint keys, in base order', () => {
    const result = unionOfBases([
      ['../_base_/models/simsiam.py', { model: { type: 'SimSiam' } }],
      ['../_base_/default_runtime.py', { default_scope: 'mmselfsup', log_level: 'INFO' }],
    ])
    expect(result).toEqual({
      _tag: 'Right',
      right: { model: { type: 'SimSiam' }, default_scope: 'mmselfsup', log_level: 'INFO' },
    })
  })

  it('rejects a top-level key defined by two bases, naming both files', () => {
    expect(
      unionOfBases([
        ['a.py', { model: {}, log_level: 'INFO' }],
        ['b.py', { work_dir: 'w' }],
        ['c.py', { log_level: 'DEBUG' }],
      ]),
    ).toEqual({
      _tag: 'Left',
      left: {
        path: 'log_level',
        message: 'defined by two base configs (a.py and c.py); a key may come from one base only',
      },
    })
  })

  it('gives an empty dict for no bases', () => {
    expect(unionOfBases([])).toEqual({ _tag: 'Right', right: {} })
  })
})

describe('stripDeleteMarkers', () => {
  it('removes `_delete_` at every depth, inside lists too', () => {
    expect(stripDeleteMarkers({ _delete_: true, a: { _delete_: true, b: [{ _delete_: false, c: 1 }] }, d: 2 })).toEqual(
      { a: { b: [{ c: 1 }] }, d: 2 },
    )
    expect(stripDeleteMarkers([1, 'x', null])).toEqual([1, 'x', null])
    expect(stripDeleteMarkers('x')).toBe('x')
  })
})
