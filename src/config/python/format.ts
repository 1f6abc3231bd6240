/**
 * Python's format-spec mini-language for f-strings and `str.format`:
 * `[[fill]align][sign][0][width][,|_][.precision][type]` with the types
 * configs use (`d`, `f`, `e`, `g`, `%`, `s`, `x`, `o`, `b`). Anything else is
 * a positioned error, not a guess.
 * @module
 */
import { type Pos, fail } from './errors.js'
import { type Val, asNum, pyRepr, pyStr, typeName } from './values.js'

const SPEC_RE = /^(?:(.)?([<>=^]))?([+\- ])?(0)?(\d+)?([,_])?(?:\.(\d+))?([bdeEfFgGosxX%])?$/su

const group = (digits: string, separator: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator)

/** Python's `g` formatting: precision significant digits, trailing zeros dropped. */
const general = (x: number, precision: number): string => {
  const p = precision === 0 ? 1 : precision
  if (x === 0) return '0'
  const exponent = Math.floor(Math.log10(Math.abs(x)))
  if (exponent < -4 || exponent >= p) {
    const [mantissa, exp] = x.toExponential(p - 1).split('e') as [string, string]
    const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa
    const n = Number(exp)
    return `${trimmed}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`
  }
  const fixed = x.toFixed(Math.max(0, p - 1 - exponent))
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}

const exponential = (x: number, precision: number, upper: boolean): string => {
  const [mantissa, exp] = x.toExponential(precision).split('e') as [string, string]
  const n = Number(exp)
  const text = `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`
  return upper ? text.toUpperCase() : text
}

/** Format `value` by `spec`, as Python's `format(value, spec)`. */
export function formatValue(value: Val, spec: string, pos: Pos): string {
  if (spec === '') return pyStr(value)
  const m = SPEC_RE.exec(spec)
  if (m === null) fail(pos, `invalid format specifier '${spec}'`)
  const [, fillChar, alignChar, sign, zero, widthText, grouping, precisionText, type] = m
  const width = widthText === undefined ? 0 : Number(widthText)
  const precision = precisionText === undefined ? undefined : Number(precisionText)
  const num = asNum(value)
  const isNumber = num !== undefined && typeof value !== 'string'
  let body: string
  if (type === 's' || (type === undefined && !isNumber)) {
    if (type === 's' && typeof value !== 'string')
      fail(pos, `unknown format code 's' for object of type '${typeName(value)}'`)
    body =
      typeof value === 'string' ? value : isNumber && precision !== undefined ? general(num.v, precision) : pyStr(value)
    if (typeof value === 'string' && precision !== undefined) body = body.slice(0, precision)
  } else {
    if (!isNumber) fail(pos, `unknown format code '${type}' for object of type '${typeName(value)}'`)
    const x = num.v
    const abs = Math.abs(x)
    switch (type) {
      case 'd':
      case 'b':
      case 'o':
      case 'x':
      case 'X':
        if (num.f) fail(pos, `unknown format code '${type}' for object of type 'float'`)
        body = abs.toString(type === 'd' ? 10 : type === 'b' ? 2 : type === 'o' ? 8 : 16)
        if (type === 'X') body = body.toUpperCase()
        break
      case 'f':
      case 'F':
        body = abs.toFixed(precision ?? 6)
        break
      case 'e':
      case 'E':
        body = exponential(abs, precision ?? 6, type === 'E')
        break
      case 'g':
      case 'G':
        body = general(abs, precision ?? 6)
        if (type === 'G') body = body.toUpperCase()
        break
      case '%':
        body = `${(abs * 100).toFixed(precision ?? 6)}%`
        break
      default:
        // No type: str() of the number, or `g`-like with a precision.
        body =
          precision === undefined
            ? pyStr(typeof value === 'boolean' ? Number(value) : value).replace(/^-/, '')
            : general(abs, precision)
    }
    if (grouping !== undefined) {
      const intPart = /^\d+/.exec(body)?.[0] ?? ''
      body = group(intPart, grouping) + body.slice(intPart.length)
    }
    const signText = x < 0 || Object.is(x, -0) ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : ''
    if (zero !== undefined && alignChar === undefined) return signText + body.padStart(width - signText.length, '0')
    body = signText + body
  }
  const fill = fillChar ?? (zero !== undefined ? '0' : ' ')
  const align = alignChar ?? (isNumber ? '>' : '<')
  const missing = Math.max(0, width - body.length)
  if (align === '<') return body + fill.repeat(missing)
  if (align === '>' || align === '=') return fill.repeat(missing) + body
  const left = Math.floor(missing / 2)
  return fill.repeat(left) + body + fill.repeat(missing - left)
}

/** `!r`, `!s` and `!a` conversions before formatting. */
export function convert(value: Val, conversion: 'r' | 's' | 'a' | undefined): Val {
  if (conversion === undefined) return value
  return conversion === 's' ? pyStr(value) : pyRepr(value)
}
