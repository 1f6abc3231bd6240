/**
 * The methods of str, list and dict that configs call (`pipeline.extend(...)`,
 * `name.replace('_', '-')`, `cfg.get('lr', 0.1)`, `'{}x{}'.format(a, b)`).
 * The receiver is the stored value itself, so mutating methods change the
 * variable as in Python; results are copied so that nothing aliases.
 * @module
 */
import { checkArgs } from './builtins.js'
import { type Pos, fail } from './errors.js'
import { formatValue } from './format.js'
import { type PyDict, type Val, asInt, copyVal, dictKey, iterate, order, pyEquals, pyStr, typeName } from './values.js'

type Method<R extends Val> = (self: R, args: readonly Val[], kwargs: ReadonlyMap<string, Val>, pos: Pos) => Val

const str = (v: Val | undefined, pos: Pos, what: string): string => {
  if (typeof v !== 'string') fail(pos, `${what} must be str, not ${v === undefined ? 'nothing' : typeName(v)}`)
  return v
}

const affixes =
  (name: 'startswith' | 'endswith'): Method<string> =>
  (self, args, kwargs, pos) => {
    checkArgs(name, args, kwargs, 1, 1, pos)
    const [arg] = args
    const options = Array.isArray(arg) ? arg : [arg]
    return options.some((o) =>
      name === 'startswith' ? self.startsWith(str(o, pos, `${name} arg`)) : self.endsWith(str(o, pos, `${name} arg`)),
    )
  }

const strip =
  (name: string, ends: 'both' | 'start' | 'end'): Method<string> =>
  (self, args, kwargs, pos) => {
    checkArgs(name, args, kwargs, 0, 1, pos)
    const chars = args[0] === undefined || args[0] === null ? ' \t\n\r\f\v' : str(args[0], pos, `${name} arg`)
    let a = 0
    let b = self.length
    if (ends !== 'end') while (a < b && chars.includes(self.charAt(a))) a++
    if (ends !== 'start') while (b > a && chars.includes(self.charAt(b - 1))) b--
    return self.slice(a, b)
  }

/** `str.format`: `{}`, `{0}`, `{name}`, `{name[key]}`-free fields with optional `!r`/`:spec`. */
const format: Method<string> = (self, args, kwargs, pos) => {
  let auto = 0
  return self.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g,
    (match, field: string | undefined, conv: string | undefined, spec: string | undefined) => {
      if (match === '{{') return '{'
      if (match === '}}') return '}'
      const key = field ?? ''
      let value: Val | undefined
      if (key === '') value = args[auto++]
      else if (/^\d+$/.test(key)) value = args[Number(key)]
      else value = kwargs.get(key)
      if (value === undefined)
        fail(
          pos,
          key === '' || /^\d+$/.test(key)
            ? 'Replacement index out of range for positional args tuple'
            : `KeyError: '${key}'`,
        )
      const converted = conv === undefined ? value : conv === 's' ? pyStr(value) : pyStr([value]).slice(1, -1)
      return formatValue(converted, spec ?? '', pos)
    },
  )
}

const STR_METHODS: ReadonlyMap<string, Method<string>> = new Map<string, Method<string>>([
  ['format', format],
  [
    'lower',
    (self, args, kwargs, pos) => {
      checkArgs('lower', args, kwargs, 0, 0, pos)
      return self.toLowerCase()
    },
  ],
  [
    'upper',
    (self, args, kwargs, pos) => {
      checkArgs('upper', args, kwargs, 0, 0, pos)
      return self.toUpperCase()
    },
  ],
  ['strip', strip('strip', 'both')],
  ['lstrip', strip('lstrip', 'start')],
  ['rstrip', strip('rstrip', 'end')],
  ['startswith', affixes('startswith')],
  ['endswith', affixes('endswith')],
  [
    'replace',
    (self, args, kwargs, pos) => {
      checkArgs('replace', args, kwargs, 2, 3, pos)
      const [from, to, count] = [str(args[0], pos, 'replace arg 1'), str(args[1], pos, 'replace arg 2'), args[2]]
      const limit = count === undefined ? -1 : asInt(count, pos, 'replace count')
      if (limit < 0) return self.split(from).join(to)
      const pieces = self.split(from)
      return (
        pieces.slice(0, limit + 1).join(to) +
        (pieces.length > limit + 1 ? from + pieces.slice(limit + 1).join(from) : '')
      )
    },
  ],
  [
    'split',
    (self, args, kwargs, pos) => {
      checkArgs('split', args, kwargs, 0, 2, pos, ['sep', 'maxsplit'])
      const sep = args[0] ?? kwargs.get('sep') ?? null
      const maxsplit = asInt(args[1] ?? kwargs.get('maxsplit') ?? -1, pos, 'maxsplit')
      if (sep === null) {
        const words = self
          .trim()
          .split(/\s+/)
          .filter((w) => w !== '')
        return maxsplit < 0 || words.length <= maxsplit + 1
          ? words
          : [...words.slice(0, maxsplit), words.slice(maxsplit).join(' ')]
      }
      const separator = str(sep, pos, 'separator')
      if (separator === '') fail(pos, 'empty separator')
      const pieces = self.split(separator)
      return maxsplit < 0 || pieces.length <= maxsplit + 1
        ? pieces
        : [...pieces.slice(0, maxsplit), pieces.slice(maxsplit).join(separator)]
    },
  ],
  [
    'join',
    (self, args, kwargs, pos) => {
      checkArgs('join', args, kwargs, 1, 1, pos)
      return iterate(args[0]!, pos)
        .map((v, i) => str(v, pos, `sequence item ${i}`))
        .join(self)
    },
  ],
  [
    'find',
    (self, args, kwargs, pos) => {
      checkArgs('find', args, kwargs, 1, 1, pos)
      return self.indexOf(str(args[0], pos, 'find arg'))
    },
  ],
  [
    'count',
    (self, args, kwargs, pos) => {
      checkArgs('count', args, kwargs, 1, 1, pos)
      return self.split(str(args[0], pos, 'count arg')).length - 1
    },
  ],
  [
    'zfill',
    (self, args, kwargs, pos) => {
      checkArgs('zfill', args, kwargs, 1, 1, pos)
      return formatValue(self, `0>${asInt(args[0]!, pos, 'width')}`, pos)
    },
  ],
])

const indexOf = (self: Val[], item: Val): number => self.findIndex((x) => pyEquals(x, item))

const LIST_METHODS: ReadonlyMap<string, Method<Val[]>> = new Map<string, Method<Val[]>>([
  [
    'append',
    (self, args, kwargs, pos) => {
      checkArgs('append', args, kwargs, 1, 1, pos)
      self.push(args[0]!)
      return null
    },
  ],
  [
    'extend',
    (self, args, kwargs, pos) => {
      checkArgs('extend', args, kwargs, 1, 1, pos)
      self.push(...iterate(args[0]!, pos))
      return null
    },
  ],
  [
    'insert',
    (self, args, kwargs, pos) => {
      checkArgs('insert', args, kwargs, 2, 2, pos)
      const i = asInt(args[0]!, pos, 'index')
      self.splice(i < 0 ? Math.max(0, self.length + i) : Math.min(i, self.length), 0, args[1]!)
      return null
    },
  ],
  [
    'pop',
    (self, args, kwargs, pos) => {
      checkArgs('pop', args, kwargs, 0, 1, pos)
      if (self.length === 0) fail(pos, 'pop from empty list')
      const i = args[0] === undefined ? self.length - 1 : asInt(args[0], pos, 'index')
      const at = i < 0 ? self.length + i : i
      if (at < 0 || at >= self.length) fail(pos, 'pop index out of range')
      return self.splice(at, 1)[0]!
    },
  ],
  [
    'remove',
    (self, args, kwargs, pos) => {
      checkArgs('remove', args, kwargs, 1, 1, pos)
      const at = indexOf(self, args[0]!)
      if (at === -1) fail(pos, 'list.remove(x): x not in list')
      self.splice(at, 1)
      return null
    },
  ],
  [
    'index',
    (self, args, kwargs, pos) => {
      checkArgs('index', args, kwargs, 1, 1, pos)
      const at = indexOf(self, args[0]!)
      if (at === -1) fail(pos, `${pyStr([args[0]!]).slice(1, -1)} is not in list`)
      return at
    },
  ],
  [
    'count',
    (self, args, kwargs, pos) => {
      checkArgs('count', args, kwargs, 1, 1, pos)
      return self.filter((x) => pyEquals(x, args[0]!)).length
    },
  ],
  [
    'copy',
    (self, args, kwargs, pos) => {
      checkArgs('copy', args, kwargs, 0, 0, pos)
      return copyVal(self)
    },
  ],
  [
    'reverse',
    (self, args, kwargs, pos) => {
      checkArgs('reverse', args, kwargs, 0, 0, pos)
      self.reverse()
      return null
    },
  ],
  [
    'sort',
    (self, args, kwargs, pos) => {
      checkArgs('sort', args, kwargs, 0, 0, pos, ['reverse'])
      self.sort((a, b) => order(a, b, '<', pos))
      if (kwargs.get('reverse') === true) self.reverse()
      return null
    },
  ],
])

const DICT_METHODS: ReadonlyMap<string, Method<PyDict>> = new Map<string, Method<PyDict>>([
  [
    'get',
    (self, args, kwargs, pos) => {
      checkArgs('get', args, kwargs, 1, 2, pos)
      return self.get(dictKey(args[0]!, pos)) ?? args[1] ?? null
    },
  ],
  [
    'keys',
    (self, args, kwargs, pos) => {
      checkArgs('keys', args, kwargs, 0, 0, pos)
      return [...self.keys()]
    },
  ],
  [
    'values',
    (self, args, kwargs, pos) => {
      checkArgs('values', args, kwargs, 0, 0, pos)
      return [...self.values()]
    },
  ],
  [
    'items',
    (self, args, kwargs, pos) => {
      checkArgs('items', args, kwargs, 0, 0, pos)
      return [...self].map(([k, v]) => [k, v])
    },
  ],
  [
    'copy',
    (self, args, kwargs, pos) => {
      checkArgs('copy', args, kwargs, 0, 0, pos)
      return copyVal(self)
    },
  ],
  [
    'update',
    (self, args, kwargs, pos) => {
      checkArgs('update', args, kwargs, 0, 1, pos, [...kwargs.keys()])
      const [source] = args
      if (source instanceof Map) for (const [k, v] of source) self.set(k, v)
      else if (source !== undefined) {
        for (const pair of iterate(source, pos)) {
          if (!Array.isArray(pair) || pair.length !== 2)
            fail(pos, 'dictionary update sequence element has length other than 2')
          self.set(dictKey(pair[0]!, pos), pair[1]!)
        }
      }
      for (const [k, v] of kwargs) self.set(k, v)
      return null
    },
  ],
  [
    'pop',
    (self, args, kwargs, pos) => {
      checkArgs('pop', args, kwargs, 1, 2, pos)
      const key = dictKey(args[0]!, pos)
      const value = self.get(key)
      if (value === undefined) {
        if (args[1] !== undefined) return args[1]
        fail(pos, `KeyError: '${key}'`)
      }
      self.delete(key)
      return value
    },
  ],
  [
    'setdefault',
    (self, args, kwargs, pos) => {
      checkArgs('setdefault', args, kwargs, 1, 2, pos)
      const key = dictKey(args[0]!, pos)
      if (!self.has(key)) self.set(key, args[1] ?? null)
      return self.get(key)!
    },
  ],
])

/** Methods that change their receiver (refused on `_base_`, which is read-only here). */
export const MUTATING: ReadonlySet<string> = new Set([
  'append',
  'extend',
  'insert',
  'pop',
  'remove',
  'reverse',
  'sort',
  'update',
  'setdefault',
])

/** Call `receiver.name(*args, **kwargs)`; the result shares nothing with the receiver. */
export function callMethod(
  receiver: Val,
  name: string,
  args: readonly Val[],
  kwargs: ReadonlyMap<string, Val>,
  pos: Pos,
): Val {
  const method =
    typeof receiver === 'string'
      ? (STR_METHODS.get(name) as Method<Val> | undefined)
      : Array.isArray(receiver)
        ? (LIST_METHODS.get(name) as Method<Val> | undefined)
        : receiver instanceof Map
          ? (DICT_METHODS.get(name) as Method<Val> | undefined)
          : undefined
  if (method === undefined)
    fail(pos, `'${typeName(receiver)}' object has no attribute '${name}' (or it is not supported in a config)`)
  return copyVal(method(receiver, args, kwargs, pos))
}
