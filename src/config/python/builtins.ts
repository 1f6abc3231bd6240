/** The Python builtins a config may call (`dict`, `list`, `range`, `min`, `str`, ...). */
import { type Pos, fail } from './errors.js'
import {
  PyFloat,
  type PyDict,
  type Val,
  MAX_LENGTH,
  typeName,
  asNum,
  mkNum,
  asInt,
  truthy,
  dictKey,
  iterate,
  order,
  binaryOp,
  floatRepr,
  strRepr,
  pyStr,
  roundHalfEven,
} from './values.js'

// -- builtins -------------------------------------------------------------------

export type Builtin = (args: readonly Val[], kwargs: ReadonlyMap<string, Val>, pos: Pos) => Val

export function checkArgs(
  name: string,
  args: readonly Val[],
  kwargs: ReadonlyMap<string, Val>,
  min: number,
  max: number,
  pos: Pos,
  allowedKeywords: readonly string[] = [],
): void {
  for (const k of kwargs.keys()) {
    if (!allowedKeywords.includes(k)) fail(pos, `${name}() got an unexpected keyword argument '${k}'`)
  }
  const n = args.length
  if (n >= min && n <= max) return
  const plural = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`
  if (min === max) fail(pos, `${name}() takes exactly ${plural(min)} (${n} given)`)
  fail(
    pos,
    n < min
      ? `${name}() takes at least ${plural(min)} (${n} given)`
      : `${name}() takes at most ${plural(max)} (${n} given)`,
  )
}

export function minMax(name: 'min' | 'max'): Builtin {
  return (args, kwargs, pos) => {
    checkArgs(name, args, kwargs, 1, Infinity, pos, ['default'])
    const [only] = args
    const items = args.length === 1 && only !== undefined ? iterate(only, pos) : args
    const [first, ...others] = items
    if (first === undefined) {
      const fallback = kwargs.get('default')
      if (fallback !== undefined) return fallback
      fail(pos, `${name}() arg is an empty sequence`)
    }
    let best = first
    for (const x of others) {
      const c = order(x, best, name === 'min' ? '<' : '>', pos)
      if (name === 'min' ? c < 0 : c > 0) best = x
    }
    return best
  }
}

export const sequence =
  (name: string): Builtin =>
  (args, kwargs, pos) => {
    checkArgs(name, args, kwargs, 0, 1, pos)
    const [x] = args
    return x === undefined ? [] : [...iterate(x, pos)]
  }

export const FLOAT_TEXT_RE = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:e[+-]?\d(?:_?\d)*)?$/

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  [
    'dict',
    (args, kwargs, pos) => {
      if (args.length > 1) fail(pos, `dict expected at most 1 argument, got ${args.length}`)
      const out: PyDict = new Map()
      const [source] = args
      if (source instanceof Map) {
        for (const [k, v] of source) out.set(k, v)
      } else if (source !== undefined) {
        iterate(source, pos).forEach((pair, i) => {
          if (!Array.isArray(pair)) fail(pos, `cannot convert dictionary update sequence element #${i} to a sequence`)
          const [k, v] = pair
          if (pair.length !== 2 || k === undefined || v === undefined) {
            fail(pos, `dictionary update sequence element #${i} has length ${pair.length}; 2 is required`)
          }
          out.set(dictKey(k, pos), v)
        })
      }
      for (const [k, v] of kwargs) out.set(k, v)
      return out
    },
  ],
  ['list', sequence('list')],
  ['tuple', sequence('tuple')],
  [
    'int',
    (args, kwargs, pos) => {
      checkArgs('int', args, kwargs, 0, 1, pos)
      const [x = 0] = args
      if (typeof x === 'string') {
        const text = x.trim()
        if (!/^[+-]?\d(?:_?\d)*$/.test(text)) fail(pos, `invalid literal for int() with base 10: ${strRepr(x)}`)
        return mkNum(Number(text.replace(/_/g, '')), false, pos)
      }
      const n = asNum(x)
      if (n === undefined) fail(pos, `int() argument must be a string or a number, not '${typeName(x)}'`)
      if (!Number.isFinite(n.v)) fail(pos, `cannot convert float ${floatRepr(n.v)} to integer`)
      return mkNum(Math.trunc(n.v), false, pos)
    },
  ],
  [
    'float',
    (args, kwargs, pos) => {
      checkArgs('float', args, kwargs, 0, 1, pos)
      const [x = 0] = args
      if (typeof x === 'string') {
        const text = x.trim().toLowerCase()
        const special = /^([+-]?)(inf|infinity|nan)$/.exec(text)
        if (special !== null) return new PyFloat(special[2] === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity)
        if (!FLOAT_TEXT_RE.test(text)) fail(pos, `could not convert string to float: ${strRepr(x)}`)
        return new PyFloat(Number(text.replace(/_/g, '')))
      }
      const n = asNum(x)
      if (n === undefined) fail(pos, `float() argument must be a string or a real number, not '${typeName(x)}'`)
      return new PyFloat(n.v)
    },
  ],
  [
    'str',
    (args, kwargs, pos) => {
      checkArgs('str', args, kwargs, 0, 1, pos)
      const [x = ''] = args
      return pyStr(x)
    },
  ],
  [
    'bool',
    (args, kwargs, pos) => {
      checkArgs('bool', args, kwargs, 0, 1, pos)
      const [x = false] = args
      return truthy(x)
    },
  ],
  [
    'len',
    (args, kwargs, pos) => {
      checkArgs('len', args, kwargs, 1, 1, pos)
      const [x = null] = args
      if (typeof x === 'string') return Array.from(x).length
      if (Array.isArray(x)) return x.length
      if (x instanceof Map) return x.size
      fail(pos, `object of type '${typeName(x)}' has no len()`)
    },
  ],
  ['min', minMax('min')],
  ['max', minMax('max')],
  [
    'abs',
    (args, kwargs, pos) => {
      checkArgs('abs', args, kwargs, 1, 1, pos)
      const [x = null] = args
      const n = asNum(x)
      if (n === undefined) fail(pos, `bad operand type for abs(): '${typeName(x)}'`)
      return mkNum(Math.abs(n.v), n.f, pos)
    },
  ],
  [
    'round',
    (args, kwargs, pos) => {
      checkArgs('round', args, kwargs, 1, 2, pos, ['ndigits'])
      const [x = null, nd = kwargs.get('ndigits') ?? null] = args
      const n = asNum(x)
      if (n === undefined) fail(pos, `type ${typeName(x)} doesn't define __round__ method`)
      if (nd === null) {
        if (!Number.isFinite(n.v)) fail(pos, `cannot convert float ${floatRepr(n.v)} to integer`)
        return mkNum(n.f ? roundHalfEven(n.v, 0) : n.v, false, pos)
      }
      const digits = asInt(nd, pos, 'round() ndigits')
      if (!n.f) return digits >= 0 ? mkNum(n.v, false, pos) : mkNum(roundHalfEven(n.v, digits), false, pos)
      return new PyFloat(roundHalfEven(n.v, digits))
    },
  ],
  [
    'sum',
    (args, kwargs, pos) => {
      checkArgs('sum', args, kwargs, 1, 2, pos, ['start'])
      const [items = null, start = kwargs.get('start') ?? 0] = args
      if (typeof start === 'string') fail(pos, "sum() can't sum strings [use ''.join(seq) instead]")
      return iterate(items, pos).reduce<Val>((acc, x) => binaryOp('+', acc, x, pos), start)
    },
  ],
  [
    'range',
    (args, kwargs, pos) => {
      checkArgs('range', args, kwargs, 1, 3, pos)
      const ints = args.map((a) => asInt(a, pos, 'range() arguments'))
      const [start, stop, step = 1] = ints.length === 1 ? [0, ints[0] ?? 0] : ints
      if (step === 0) fail(pos, 'range() arg 3 must not be zero')
      const length = Math.max(0, Math.ceil(((stop ?? 0) - (start ?? 0)) / step))
      if (length > MAX_LENGTH) fail(pos, 'range is too long for a literal config')
      return Array.from({ length }, (_, i) => (start ?? 0) + i * step)
    },
  ],
  [
    'sorted',
    (args, kwargs, pos) => {
      checkArgs('sorted', args, kwargs, 1, 1, pos, ['reverse'])
      const [items = null] = args
      const sorted = [...iterate(items, pos)].sort((a, b) => order(a, b, '<', pos))
      return truthy(kwargs.get('reverse') ?? false) ? sorted.reverse() : sorted
    },
  ],
])
