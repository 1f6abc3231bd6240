/**
 * Python's text for values, so that logs read as MMEngine writes them:
 * `repr(float)`, `str(value)` and `json.dumps(value, indent=n)`.
 *
 * JSON has no int/float distinction, so every number prints as a Python
 * float (`10.0`, `1e-05`): constructor results (`base_lr * mult`) are floats.
 * @module
 */
import type { Json } from '../../schema/codec.js'

/**
 * `repr(x)` of a Python float: the shortest round-trip digits (as JS), in
 * positional notation when the exponent is in [-4, 16), else `d.ddde±XX`.
 *
 * @example
 * ```ts
 * pyFloat(10) // '10.0'
 * pyFloat(1e-5) // '1e-05'
 * ```
 */
export const pyFloat = (x: number): string => {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const [mantissa = '', exponent = '0'] = x.toExponential().split('e')
  const exp = Number(exponent)
  const sign = x < 0 ? '-' : ''
  const digits = mantissa.replace('-', '').replace('.', '')
  if (exp < -4 || exp >= 16) {
    const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  if (exp >= 0) return `${sign}${digits.slice(0, exp + 1).padEnd(exp + 1, '0')}.${digits.slice(exp + 1) || '0'}`
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`
}

const pyQuote = (s: string): string => {
  const escaped = s.replaceAll('\\', '\\\\')
  return s.includes("'") && !s.includes('"') ? `"${escaped}"` : `'${escaped.replaceAll("'", "\\'")}'`
}

/**
 * `repr(value)` of a config value (strings quoted, `True`, `None`, lists, dicts).
 *
 * @example
 * ```ts
 * pyRepr({ a: [true, null] }) // "{'a': [True, None]}"
 * ```
 */
export const pyRepr = (value: Json): string => {
  if (value === null) return 'None'
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') return pyFloat(value)
  if (typeof value === 'string') return pyQuote(value)
  if (Array.isArray(value)) return `[${(value as ReadonlyArray<Json>).map(pyRepr).join(', ')}]`
  return `{${Object.entries(value as { readonly [key: string]: Json })
    .map(([k, v]) => `${pyQuote(k)}: ${pyRepr(v)}`)
    .join(', ')}}`
}

/**
 * `str(value)`: as {@link pyRepr}, but a top-level string is printed bare (what an f-string shows).
 *
 * @example
 * ```ts
 * pyStr(true) // 'True'
 * pyStr('x') // 'x'
 * ```
 */
export const pyStr = (value: Json): string => (typeof value === 'string' ? value : pyRepr(value))

const jsonString = (s: string): string =>
  JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/**
 * `json.dumps(value, indent=indent)` (floats as Python writes them, non-ASCII escaped).
 *
 * @example
 * ```ts
 * pyJsonDumps({ lr: 8 }) // '{\n  "lr": 8.0\n}'
 * ```
 */
export const pyJsonDumps = (value: Json, indent = 2, level = 0): string => {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number')
    return Number.isFinite(value) ? pyFloat(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  if (typeof value === 'string') return jsonString(value)
  const inner = ' '.repeat(indent * (level + 1))
  const outer = ' '.repeat(indent * level)
  if (Array.isArray(value)) {
    const items = value as ReadonlyArray<Json>
    return items.length === 0
      ? '[]'
      : `[\n${items.map((v) => inner + pyJsonDumps(v, indent, level + 1)).join(',\n')}\n${outer}]`
  }
  const entries = Object.entries(value as { readonly [key: string]: Json })
  return entries.length === 0
    ? '{}'
    : `{\n` +
        `${entries.map(([k, v]) => `${inner}${jsonString(k)}: ${pyJsonDumps(v, indent, level + 1)}`).join(',\n')}` +
        `\n${outer}}`
}
