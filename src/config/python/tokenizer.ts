/** The tokenizer: Python's lexical rules, with INDENT-free logical lines (configs are flat). */
import { type Pos, fail } from './errors.js'

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

export interface TokenBase {
  readonly line: number
  readonly column: number
  /** The source text, for messages. */
  readonly text: string
}

export type Token =
  | (TokenBase & { readonly kind: 'name' | 'op' | 'newline' | 'eof' })
  | (TokenBase & { readonly kind: 'number'; readonly value: number; readonly isFloat: boolean })
  | (TokenBase & { readonly kind: 'string'; readonly value: string })
  // An f-string's text with escapes decoded and its `{...}` fields still in place.
  | (TokenBase & { readonly kind: 'fstring'; readonly value: string })
  // A lexically local problem (f-string, bad character). Kept as a token so that
  // `readPythonBaseList` can skip lines it never needs to parse.
  | (TokenBase & { readonly kind: 'error'; readonly message: string })

/** Keywords that may begin an expression (lambda only to report it). */
export const EXPRESSION_KEYWORDS: ReadonlySet<string> = new Set(['True', 'False', 'None', 'not', 'lambda'])

// Longest first, so that `**=` wins over `**` and `*`.
export const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '->',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  ':=',
  '@=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '&',
  '|',
  '^',
  '~',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  ';',
  '=',
]
export const CLOSERS: ReadonlyMap<string, string> = new Map([
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
])

export const IDENT_RE = /[\p{ID_Start}_][\p{ID_Continue}]*/uy
export const IDENT_CHAR_RE = /^[\p{ID_Continue}]$/u
export const NUMBER_RE =
  // hex | octal | binary | decimal with optional fraction and exponent
  new RegExp(
    '0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|' +
      String.raw`(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?`,
    'y',
  )
export const STRING_PREFIX_RE = /^(?:[rRuU]|[fF][rR]?|[rR][fFbB]|[bB][rR]?)$/
export const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\n', ''],
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['v', '\v'],
])

export const isDigit = (c: string): boolean => c >= '0' && c <= '9'

/**
 * Split the source into tokens. Newlines inside brackets and after a
 * backslash are dropped (implicit and explicit line joining), so the parser
 * sees one `newline` token per logical line; comments and blank lines vanish.
 * Bracket matching is checked here so that an unclosed bracket is reported at
 * the bracket, not at whatever the parser trips over later.
 */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  const open: { ch: string; line: number; column: number }[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  let lineHasTokens = false

  const push = (t: Token): void => {
    tokens.push(t)
    lineHasTokens = true
  }
  const startLine = (at: number): void => {
    line++
    lineStart = at
  }

  // Lexes a string literal whose prefix starts at `start` and quote at `q`; returns the index after it.
  const lexString = (start: number, q: number, prefix: string): number => {
    const pos = { line, column: start - lineStart + 1 }
    const quote = src.charAt(q)
    const triple = src.startsWith(quote.repeat(3), q)
    const delimiter = triple ? quote.repeat(3) : quote
    const raw = prefix.includes('r')
    let j = q + delimiter.length
    let value = ''
    for (;;) {
      if (j >= src.length) {
        fail(pos, triple ? 'unterminated triple-quoted string literal' : 'unterminated string literal')
      }
      if (src.startsWith(delimiter, j)) {
        j += delimiter.length
        break
      }
      const c = src.charAt(j)
      if (c === '\n') {
        if (!triple) fail(pos, 'unterminated string literal')
        value += c
        j++
        startLine(j)
        continue
      }
      if (c !== '\\' || j + 1 >= src.length) {
        value += c
        j++
        continue
      }
      const n = src.charAt(j + 1)
      if (n === '\n') startLine(j + 2)
      if (raw) {
        // Raw strings keep the backslash, but it still stops the quote from closing the string.
        value += c + n
        j += 2
        continue
      }
      const escaped = decodeEscape(src, j, { line, column: j - lineStart + 1 })
      value += escaped.text
      j = escaped.next
    }
    const text = src.slice(start, j)
    if (prefix.includes('f')) {
      push({ kind: 'fstring', text, value, line: pos.line, column: pos.column })
    } else if (prefix.includes('b')) {
      push({
        kind: 'error',
        text,
        line: pos.line,
        column: pos.column,
        message: 'bytes literals are not supported in a literal config',
      })
    } else {
      push({ kind: 'string', text, value, line: pos.line, column: pos.column })
    }
    return j
  }

  while (i < src.length) {
    const ch = src.charAt(i)
    const column = i - lineStart + 1
    if (ch === '\n') {
      if (open.length === 0 && lineHasTokens) {
        tokens.push({ kind: 'newline', text: '\n', line, column })
        lineHasTokens = false
      }
      i++
      startLine(i)
      continue
    }
    if (ch === ' ' || ch === '\t' || ch === '\f') {
      i++
      continue
    }
    if (ch === '#') {
      const end = src.indexOf('\n', i)
      i = end === -1 ? src.length : end
      continue
    }
    if (ch === '\\') {
      if (src.charAt(i + 1) !== '\n') fail({ line, column }, 'unexpected character after line continuation character')
      i += 2
      startLine(i)
      continue
    }
    if (isDigit(ch) || (ch === '.' && isDigit(src.charAt(i + 1)))) {
      NUMBER_RE.lastIndex = i
      const text = NUMBER_RE.exec(src)?.[0] ?? ch
      i = lexNumber(src, i, text, line, column, push)
      continue
    }
    IDENT_RE.lastIndex = i
    const word = IDENT_RE.exec(src)?.[0]
    if (word !== undefined) {
      const after = i + word.length
      const next = src.charAt(after)
      if ((next === '"' || next === "'") && STRING_PREFIX_RE.test(word)) {
        i = lexString(i, after, word.toLowerCase())
      } else {
        push({ kind: 'name', text: word, line, column })
        i = after
      }
      continue
    }
    if (ch === '"' || ch === "'") {
      i = lexString(i, i, '')
      continue
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i))
    if (op === undefined) {
      const bad = String.fromCodePoint(src.codePointAt(i) ?? 0)
      push({ kind: 'error', text: bad, line, column, message: `invalid character '${bad}'` })
      i += bad.length
      continue
    }
    if (CLOSERS.has(op)) {
      open.push({ ch: op, line, column })
    } else if (op === ')' || op === ']' || op === '}') {
      const opener = open.pop()
      if (opener === undefined) fail({ line, column }, `unmatched '${op}'`)
      if (CLOSERS.get(opener.ch) !== op) {
        const where = opener.line === line ? '' : ` on line ${opener.line}`
        fail({ line, column }, `closing parenthesis '${op}' does not match opening parenthesis '${opener.ch}'${where}`)
      }
    }
    push({ kind: 'op', text: op, line, column })
    i += op.length
  }
  const unclosed = open.at(-1)
  if (unclosed !== undefined) fail(unclosed, `'${unclosed.ch}' was never closed`)
  const column = i - lineStart + 1
  if (lineHasTokens) tokens.push({ kind: 'newline', text: '\n', line, column })
  tokens.push({ kind: 'eof', text: '', line, column })
  return tokens
}

export function lexNumber(
  src: string,
  start: number,
  text: string,
  line: number,
  column: number,
  push: (t: Token) => void,
): number {
  let end = start + text.length
  const clean = text.replace(/_/g, '')
  const radix = /^0[xXoObB]/.test(text)
  const isFloat = !radix && /[.eE]/.test(text)
  const next = src.charAt(end)
  const error = (message: string): void => push({ kind: 'error', text: src.slice(start, end), line, column, message })
  if (next === 'j' || next === 'J') {
    end++
    error('complex numbers are not supported in a literal config')
  } else if (next !== '' && IDENT_CHAR_RE.test(next)) {
    while (end < src.length && IDENT_CHAR_RE.test(src.charAt(end))) end++
    error('invalid decimal literal')
  } else if (!radix && !isFloat && /^0\d*[1-9]/.test(clean)) {
    error('leading zeros in decimal integer literals are not permitted')
  } else {
    push({ kind: 'number', text, line, column, isFloat, value: radix ? Number(BigInt(clean)) : Number(clean) })
  }
  return end
}

/** Decodes the escape sequence whose backslash is at `at` in a non-raw string. */
export function decodeEscape(src: string, at: number, pos: Pos): { readonly text: string; readonly next: number } {
  const n = src.charAt(at + 1)
  const simple = SIMPLE_ESCAPES.get(n)
  if (simple !== undefined) return { text: simple, next: at + 2 }
  if (n >= '0' && n <= '7') {
    const digits = /^[0-7]{1,3}/.exec(src.slice(at + 1, at + 4))?.[0] ?? n
    return { text: String.fromCodePoint(parseInt(digits, 8)), next: at + 1 + digits.length }
  }
  const hexLength = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0
  if (hexLength > 0) {
    const hex = src.slice(at + 2, at + 2 + hexLength)
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) fail(pos, `truncated \\${n} escape`)
    const code = parseInt(hex, 16)
    if (code > 0x10ffff) fail(pos, `illegal Unicode character in \\${n} escape`)
    return { text: String.fromCodePoint(code), next: at + 2 + hexLength }
  }
  if (n === 'N') fail(pos, '\\N{...} escapes are not supported in a literal config')
  // Python keeps unknown escapes verbatim (with a warning).
  return { text: `\\${n}`, next: at + 2 }
}
