/** Python values in JS: tagged floats, ordered dicts, operators, indexing, repr and round. */
import type { BinaryOp, UnaryOp, CompareOp } from './ast.js'
import { type Pos, fail } from './errors.js'

/** A JSON-like value produced by evaluating a config. */
export type PyValue = null | boolean | number | string | PyValue[] | { [k: string]: PyValue }

export type Dict = { readonly [k: string]: PyValue }

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/** A Python float. Ints are bare JS numbers; the tag only matters for `/`, `//`, `str()`, `round()`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Insertion-ordered, and immune to `__proto__`-style keys, unlike a plain object. */
export type PyDict = Map<string, Val>
export type Val = null | boolean | number | PyFloat | string | Val[] | PyDict

/** Longest list or string a config may build (guards `[0] * 10**12`). */
export const MAX_LENGTH = 10_000_000

export function toVal(p: PyValue | undefined): Val {
  if (p === null || p === undefined) return null
  if (typeof p === 'boolean' || typeof p === 'string') return p
  if (typeof p === 'number') return Number.isInteger(p) ? p + 0 : new PyFloat(p)
  if (Array.isArray(p)) return p.map(toVal)
  return new Map(Object.entries(p).map(([k, v]) => [k, toVal(v)]))
}

export function toPyValue(v: Val): PyValue {
  if (v instanceof PyFloat) return v.value
  if (Array.isArray(v)) return v.map(toPyValue)
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toPyValue(x)]))
  return v
}

export function copyVal(v: Val): Val {
  if (Array.isArray(v)) return v.map(copyVal)
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copyVal(x)]))
  return v
}

export function typeName(v: Val): string {
  if (v === null) return 'NoneType'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return 'int'
  if (typeof v === 'string') return 'str'
  if (v instanceof PyFloat) return 'float'
  return Array.isArray(v) ? 'list' : 'dict'
}

export interface Num {
  readonly v: number
  readonly f: boolean
}

/** The numeric view of a value; bools are ints, as in Python. */
export function asNum(x: Val): Num | undefined {
  if (typeof x === 'number') return { v: x, f: false }
  if (typeof x === 'boolean') return { v: x ? 1 : 0, f: false }
  if (x instanceof PyFloat) return { v: x.value, f: true }
  return undefined
}

export function mkNum(v: number, isFloat: boolean, pos: Pos): Val {
  if (isFloat) return new PyFloat(v)
  if (!Number.isFinite(v)) fail(pos, 'integer result is too large to represent')
  return v + 0 // turns -0 into 0: ints have no negative zero
}

/** An int (or bool) where Python requires an integer, e.g. an index. */
export function asInt(x: Val, pos: Pos, what: string): number {
  const n = asNum(x)
  if (n === undefined || n.f) fail(pos, `${what} must be integers, not ${typeName(x)}`)
  return n.v
}

export function truthy(v: Val): boolean {
  if (v === null) return false
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0
  if (v instanceof PyFloat) return v.value !== 0
  return v.size > 0
}

/** Dict keys are strings; ints are accepted and stringified, as documented. */
export function dictKey(v: Val, pos: Pos): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return intRepr(v)
  if (Array.isArray(v) || v instanceof Map) fail(pos, `unhashable type: '${typeName(v)}'`)
  fail(pos, `unsupported dict key type '${typeName(v)}' (only str and int keys are supported)`)
}

export function iterate(v: Val, pos: Pos): readonly Val[] {
  if (Array.isArray(v)) return v
  if (typeof v === 'string') return Array.from(v)
  if (v instanceof Map) return [...v.keys()]
  fail(pos, `'${typeName(v)}' object is not iterable`)
}

export function pyEquals(a: Val, b: Val): boolean {
  const x = asNum(a)
  const y = asNum(b)
  if (x !== undefined || y !== undefined) return x !== undefined && y !== undefined && x.v === y.v
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => pyEquals(item, b[i] ?? null))
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false
    for (const [k, item] of a) {
      const other = b.get(k)
      if (other === undefined || !pyEquals(item, other)) return false
    }
    return true
  }
  return a === b
}

/** Sign of a - b under Python ordering (NaN when either is a NaN); fails for unorderable types. */
export function order(a: Val, b: Val, op: string, pos: Pos): number {
  const x = asNum(a)
  const y = asNum(b)
  if (x !== undefined && y !== undefined) return x.v === y.v ? 0 : x.v < y.v ? -1 : x.v > y.v ? 1 : NaN
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : a < b ? -1 : 1
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) {
      const p = a[i] ?? null
      const q = b[i] ?? null
      if (!pyEquals(p, q)) return order(p, q, op, pos)
    }
    return Math.sign(a.length - b.length)
  }
  fail(pos, `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`)
}

export function contains(container: Val, item: Val, pos: Pos): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') fail(pos, `'in <string>' requires string as left operand, not ${typeName(item)}`)
    return container.includes(item)
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item))
  if (container instanceof Map) return container.has(dictKey(item, pos))
  fail(pos, `argument of type '${typeName(container)}' is not iterable`)
}

export function compare(op: CompareOp, a: Val, b: Val, pos: Pos): boolean {
  switch (op) {
    case '==':
      return pyEquals(a, b)
    case '!=':
      return !pyEquals(a, b)
    case 'in':
      return contains(b, a, pos)
    case 'not in':
      return !contains(b, a, pos)
    case 'is':
    case 'is not': {
      // Identity is only meaningful for the singletons in a value-only world.
      const singleton = (v: Val): boolean => v === null || typeof v === 'boolean'
      if (!singleton(a) && !singleton(b))
        fail(pos, `'${op}' is only supported with None, True and False in a literal config`)
      return (a === b) === (op === 'is')
    }
    case '<':
      return order(a, b, op, pos) < 0
    case '<=':
      return order(a, b, op, pos) <= 0
    case '>':
      return order(a, b, op, pos) > 0
    case '>=':
      return order(a, b, op, pos) >= 0
  }
}

export function unaryOp(op: UnaryOp, v: Val, pos: Pos): Val {
  if (op === 'not') return !truthy(v)
  const n = asNum(v)
  if (n === undefined || (op === '~' && n.f)) fail(pos, `bad operand type for unary ${op}: '${typeName(v)}'`)
  if (op === '-') return mkNum(-n.v, n.f, pos)
  if (op === '+') return mkNum(n.v, n.f, pos)
  return mkNum(-n.v - 1, false, pos)
}

/** Python's `%`: the result takes the sign of the divisor. */
export function floorMod(a: number, b: number): number {
  const r = a % b
  return r !== 0 && r < 0 !== b < 0 ? r + b : r
}

export function binaryOp(op: BinaryOp, a: Val, b: Val, pos: Pos): Val {
  const x = asNum(a)
  const y = asNum(b)
  if (x !== undefined && y !== undefined) {
    if (op === '|' || op === '&' || op === '^' || op === '<<' || op === '>>') {
      if (x.f || y.f) fail(pos, `unsupported operand types for ${op}: ${typeName(a)} and ${typeName(b)}`)
      if (typeof a === 'boolean' && typeof b === 'boolean' && op !== '<<' && op !== '>>') {
        return op === '|' ? a || b : op === '&' ? a && b : a !== b
      }
      return bitwise(op, x.v, y.v, pos)
    }
    return arithmetic(op, x, y, pos)
  }
  switch (op) {
    case '+':
      if (typeof a === 'string' && typeof b === 'string') {
        if (a.length + b.length > MAX_LENGTH) fail(pos, 'string is too long')
        return a + b
      }
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b]
      break
    case '*':
      if (typeof a === 'string' || Array.isArray(a)) return repeat(a, b, pos)
      if (typeof b === 'string' || Array.isArray(b)) return repeat(b, a, pos)
      break
    case '%':
      if (typeof a === 'string')
        fail(pos, "printf-style string formatting with '%' is not supported in a literal config")
      break
    case '|':
      // Python 3.9 dict union.
      if (a instanceof Map && b instanceof Map) return new Map([...a, ...b])
      break
    default:
      break
  }
  fail(pos, `unsupported operand types for ${op}: ${typeName(a)} and ${typeName(b)}`)
}

export function arithmetic(op: BinaryOp, x: Num, y: Num, pos: Pos): Val {
  const isFloat = x.f || y.f
  switch (op) {
    case '+':
      return mkNum(x.v + y.v, isFloat, pos)
    case '-':
      return mkNum(x.v - y.v, isFloat, pos)
    case '*':
      return mkNum(x.v * y.v, isFloat, pos)
    case '/':
      if (y.v === 0) fail(pos, 'division by zero')
      return new PyFloat(x.v / y.v)
    case '//':
      if (y.v === 0) fail(pos, 'division by zero')
      // For ints, (a - a mod b) / b is exact where Math.floor(a / b) may round.
      return isFloat ? new PyFloat(Math.floor(x.v / y.v)) : mkNum((x.v - floorMod(x.v, y.v)) / y.v, false, pos)
    case '%':
      if (y.v === 0) fail(pos, 'division by zero')
      return mkNum(floorMod(x.v, y.v), isFloat, pos)
    case '**':
      if (!isFloat && y.v >= 0) return mkNum(x.v ** y.v, false, pos)
      if (x.v === 0 && y.v < 0) fail(pos, '0.0 cannot be raised to a negative power')
      if (x.v < 0 && !Number.isInteger(y.v)) fail(pos, 'complex results are not supported in a literal config')
      return new PyFloat(x.v ** y.v)
    default:
      fail(pos, `unsupported operand types for ${op}`)
  }
}

export function bitwise(op: BinaryOp, a: number, b: number, pos: Pos): Val {
  // BigInt gives Python's unbounded two's-complement semantics instead of JS's 32-bit ones.
  const x = BigInt(a)
  const y = BigInt(b)
  if ((op === '<<' || op === '>>') && y < 0n) fail(pos, 'negative shift count')
  if (op === '<<' && y > 1100n) fail(pos, 'integer result is too large to represent')
  const r = op === '|' ? x | y : op === '&' ? x & y : op === '^' ? x ^ y : op === '<<' ? x << y : x >> y
  return mkNum(Number(r), false, pos)
}

export function repeat(seq: string | Val[], count: Val, pos: Pos): Val {
  const n = asNum(count)
  if (n === undefined || n.f) fail(pos, `can't multiply sequence by non-int of type '${typeName(count)}'`)
  const times = Math.max(0, n.v)
  if (seq.length * times > MAX_LENGTH) fail(pos, 'repeated sequence is too long')
  if (typeof seq === 'string') return seq.repeat(times)
  const out: Val[] = []
  for (let i = 0; i < times; i++) for (const item of seq) out.push(copyVal(item))
  return out
}

/** CPython's `PySlice_AdjustIndices`: the indices a slice selects from a sequence of `length`. */
export function sliceIndices(
  length: number,
  lower: number | undefined,
  upper: number | undefined,
  step: number,
): number[] {
  const clamp = (v: number | undefined, dflt: number, lo: number, hi: number): number => {
    if (v === undefined) return dflt
    const w = v < 0 ? v + length : v
    return Math.min(Math.max(w, lo), hi)
  }
  const out: number[] = []
  if (step > 0) {
    const stop = clamp(upper, length, 0, length)
    for (let i = clamp(lower, 0, 0, length); i < stop; i += step) out.push(i)
  } else {
    const stop = clamp(upper, -1, -1, length - 1)
    for (let i = clamp(lower, length - 1, -1, length - 1); i > stop; i += step) out.push(i)
  }
  return out
}

export function getItem(container: Val, key: Val, pos: Pos): Val {
  if (Array.isArray(container) || typeof container === 'string') {
    const items = typeof container === 'string' ? Array.from(container) : container
    const kind = typeof container === 'string' ? 'string' : 'list'
    const i = asInt(key, pos, `${kind} indices`)
    const item = items[i < 0 ? i + items.length : i]
    if (item === undefined) fail(pos, `${kind} index out of range`)
    return item
  }
  if (container instanceof Map) {
    const k = dictKey(key, pos)
    const item = container.get(k)
    if (item === undefined) fail(pos, `key ${strRepr(k)} not found`)
    return item
  }
  fail(pos, `'${typeName(container)}' object is not subscriptable`)
}

export function setItem(container: Val, key: Val, value: Val, pos: Pos): void {
  if (container instanceof Map) {
    container.set(dictKey(key, pos), value)
    return
  }
  if (Array.isArray(container)) {
    const i = asInt(key, pos, 'list indices')
    const at = i < 0 ? i + container.length : i
    if (at < 0 || at >= container.length) fail(pos, 'list assignment index out of range')
    container[at] = value
    return
  }
  fail(pos, `'${typeName(container)}' object does not support item assignment`)
}

export function getAttr(object: Val, name: string, pos: Pos): Val {
  // MMEngine's ConfigDict exposes keys as attributes; nothing else has attributes here.
  const value = object instanceof Map ? object.get(name) : undefined
  if (value === undefined) fail(pos, `'${typeName(object)}' object has no attribute '${name}'`)
  return value
}

export function baseList(v: Val, pos: Pos): readonly string[] {
  if (typeof v === 'string') return [v]
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return [...v]
  fail(pos, `_base_ must be a string or a list of strings, not ${typeName(v)}`)
}

// -- repr ---------------------------------------------------------------------

export function intRepr(n: number): string {
  return Number.isSafeInteger(n) || !Number.isFinite(n) ? String(n) : BigInt(n).toString()
}

/** Python's float repr: shortest round-trip digits, fixed notation for 1e-4 <= |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const [mantissa = '', exponent = '0'] = x.toExponential().split('e')
  const exp = Number(exponent)
  const sign = mantissa.startsWith('-') ? '-' : ''
  const digits = mantissa.replace('-', '').replace('.', '')
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0')
    return `${sign}${whole}.${digits.slice(exp + 1) || '0'}`
  }
  const m = digits.length > 1 ? `${digits.slice(0, 1)}.${digits.slice(1)}` : digits
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
}

export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const c of s) {
    const code = c.codePointAt(0) ?? 0
    if (c === '\\' || c === quote) out += `\\${c}`
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += c
  }
  return out + quote
}

/** Python's `repr`; with `asSource`, non-finite floats are written as valid Python. */
export function pyRepr(v: Val, asSource = false): string {
  if (v === null) return 'None'
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (typeof v === 'number') return intRepr(v)
  if (typeof v === 'string') return strRepr(v)
  if (v instanceof PyFloat) {
    const text = floatRepr(v.value)
    return asSource && !Number.isFinite(v.value) ? `float('${text}')` : text
  }
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x, asSource)).join(', ')}]`
  return `{${[...v].map(([k, x]) => `${strRepr(k)}: ${pyRepr(x, asSource)}`).join(', ')}}`
}

export const pyStr = (v: Val): string => (typeof v === 'string' ? v : pyRepr(v))

// -- round ----------------------------------------------------------------------

/**
 * Round to `digits` decimal places with ties to even, on the exact binary value
 * as CPython does (so `round(2.675, 2) == 2.67`, `round(0.125, 2) == 0.12`).
 */
export function roundHalfEven(x: number, digits: number): number {
  const a = Math.abs(x)
  if (!Number.isFinite(x) || digits > 300 || a >= 1e21) return x
  // toFixed(100) spells out the binary value exactly for every |x| that can have a tie.
  const [whole = '0', frac = ''] = a.toFixed(100).split('.')
  const all = whole + frac
  const cut = whole.length + digits
  if (cut < 0) return 0 * Math.sign(x)
  const kept = all.slice(0, cut)
  const rest = all.slice(cut)
  const first = rest.charAt(0)
  const lastKept = Number(kept.slice(-1) || '0')
  const up = first > '5' || (first === '5' && (/[1-9]/.test(rest.slice(1)) || lastKept % 2 === 1))
  const scaled = BigInt(kept || '0') + (up ? 1n : 0n)
  const r = Number(`${scaled}e${-digits}`)
  return x < 0 ? -r : r
}
