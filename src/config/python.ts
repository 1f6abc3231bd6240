/**
 * The literal subset of Python that MMEngine / OpenMMLab `.py` config files are
 * written in, evaluated without a Python interpreter.
 *
 * A config file is a list of top-level assignments whose right-hand sides are
 * literals, `dict(...)` calls, arithmetic and references to earlier variables
 * or to the merged base config (`_base_.a.b`). This module turns such a file
 * into a plain JS object of its top-level variables in three small steps:
 * a tokenizer, a recursive-descent parser producing an AST, and an evaluator.
 * Anything that needs real Python (imports, `if`, `for`, `def`, lambdas,
 * comprehensions, f-strings, method calls) is rejected with a positioned error
 * instead of being guessed at.
 *
 * Deliberate differences from CPython, all due to the JS value model:
 * - One number type. Internally floats are tagged ({@link PyFloat}) so that
 *   `str(2.0) == '2.0'`, `7.0 // 2 == 3.0` and `/` yields a float, but the result
 *   object holds plain numbers: `2.0` comes out as the number `2`. Ints are JS
 *   numbers too, so they are exact only up to 2^53.
 * - Tuples are lists (both become JS arrays).
 * - Dict keys are strings; int keys are converted (`{1: 'a'}` → `{ '1': 'a' }`).
 * - Values never alias: reading a variable deep-copies it, and so does `*`
 *   repetition, so mutating one name never changes another.
 *
 * @example
 * ```ts
 * evaluatePythonConfig("lr = 0.1\noptimizer = dict(type='SGD', lr=lr * 2)")
 * // Right({ lr: 0.1, optimizer: { type: 'SGD', lr: 0.2 } })
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'

/** A JSON-like value produced by evaluating a config. */
export type PyValue = null | boolean | number | string | PyValue[] | { [k: string]: PyValue }

/** Why a config could not be evaluated; `line` and `column` are 1-based. */
export interface PythonConfigError {
  readonly line: number
  readonly column: number
  readonly message: string
}

type Dict = { readonly [k: string]: PyValue }

/**
 * Evaluate a config file's text into its top-level variables.
 *
 * Names starting with `__` and the `_base_` list itself are left out; the
 * order of keys is the order of first assignment. `_base_` used as a value
 * (`_base_.model.depth`) and `{{_base_.model.depth}}` refer to `options.base`,
 * the already-merged base config. With `options.fileName`, MMEngine's
 * `{{ fileDirname }}`, `{{ fileBasename }}`, `{{ fileBasenameNoExtension }}`
 * and `{{ fileExtname }}` are substituted too. Never throws.
 *
 * @example
 * ```ts
 * evaluatePythonConfig('bs = _base_.train.bs * 2', { base: { train: { bs: 16 } } })
 * // Right({ bs: 32 })
 * evaluatePythonConfig('x = 1 // 0')
 * // Left({ line: 1, column: 7, message: 'division by zero' })
 * ```
 */
export function evaluatePythonConfig(
  source: string,
  options?: { readonly base?: Dict | undefined; readonly fileName?: string },
):
  | { readonly _tag: 'Right'; readonly right: Dict }
  | { readonly _tag: 'Left'; readonly left: PythonConfigError } {
  try {
    const base = options?.base === undefined ? undefined : toVal(options.base)
    const baseDict = base instanceof Map ? base : undefined
    const text = substituteTemplates(normalizeSource(source), baseDict, options?.fileName)
    const statements = new Parser(tokenize(text)).parseModule()
    const evaluator = new Evaluator(baseDict)
    evaluator.run(statements)
    return E.right(evaluator.result())
  } catch (e) {
    return E.left(toConfigError(e))
  }
}

/**
 * Read only the `_base_` variable (a string or a list of strings), so that the
 * base files can be loaded before the file itself is evaluated. Other
 * statements are skipped unparsed, so a file may contain code this module
 * cannot evaluate; only the file's bracket and string structure must be valid.
 * Returns `[]` when there is no top-level `_base_ = ...`. Never throws.
 *
 * @example
 * ```ts
 * readPythonBaseList("_base_ = '../_base_/default_runtime.py'\nlr = 0.1")
 * // Right(['../_base_/default_runtime.py'])
 * ```
 */
export function readPythonBaseList(
  source: string,
):
  | { readonly _tag: 'Right'; readonly right: readonly string[] }
  | { readonly _tag: 'Left'; readonly left: PythonConfigError } {
  try {
    const tokens = tokenize(normalizeSource(source))
    let found: readonly string[] = []
    let i = 0
    for (;;) {
      const t = tokens[i]
      if (t === undefined || t.kind === 'eof') break
      const eq = tokens[i + 1]
      if (t.kind === 'name' && t.text === '_base_' && t.column === 1 && eq?.kind === 'op' && eq.text === '=') {
        const value = new Parser(tokens, i + 2).parseStandaloneValue()
        found = baseList(new Evaluator(undefined).evaluate(value), t)
      }
      // Skip to the start of the next logical line.
      while (tokens[i] !== undefined && tokens[i]?.kind !== 'newline' && tokens[i]?.kind !== 'eof') i++
      if (tokens[i]?.kind === 'newline') i++
    }
    return E.right(found)
  } catch (e) {
    return E.left(toConfigError(e))
  }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

interface Pos {
  readonly line: number
  readonly column: number
}

/** Internal: thrown by every stage, turned into a `Left` by the two entry points. */
class ConfigError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message)
  }
}

function fail(pos: Pos, message: string): never {
  throw new ConfigError(pos.line, pos.column, message)
}

function toConfigError(e: unknown): PythonConfigError {
  if (e instanceof ConfigError) return { line: e.line, column: e.column, message: e.message }
  // Deeply nested input can exhaust the JS stack; report it rather than throw.
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return { line: 1, column: 1, message: 'config is too deeply nested to evaluate' }
  }
  return { line: 1, column: 1, message: `internal error: ${e instanceof Error ? e.message : String(e)}` }
}

// ---------------------------------------------------------------------------
// Source preprocessing
// ---------------------------------------------------------------------------

function normalizeSource(source: string): string {
  return source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

function posAt(text: string, offset: number): Pos {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return { line: before.split('\n').length, column: offset - lineStart + 1 }
}

const PREDEFINED_RE = /\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}/g
// A reference directly wrapped in matching quotes ('{{_base_.x}}') is replaced
// quotes and all, so the value keeps its type as it does in MMEngine.
const BASE_REF_RE = /(['"]?)\{\{\s*_base_\.([\w.]+)\s*\}\}\1/g

/** MMEngine's textual `{{ ... }}` substitutions, done before tokenizing as MMEngine does. */
function substituteTemplates(text: string, base: PyDict | undefined, fileName: string | undefined): string {
  const withVars = text.replace(PREDEFINED_RE, (match: string, name: string, offset: number) => {
    if (fileName === undefined) fail(posAt(text, offset), `${match} needs options.fileName`)
    return predefinedVar(fileName, name)
  })
  return withVars.replace(BASE_REF_RE, (match: string, _quote: string, path: string, offset: number) => {
    const pos = posAt(withVars, offset)
    if (base === undefined) fail(pos, `${match.trim()} used but no base config was provided`)
    let current: Val = base
    for (const segment of path.split('.')) {
      const next: Val | undefined =
        current instanceof Map
          ? current.get(segment)
          : Array.isArray(current) && /^\d+$/.test(segment)
            ? current[Number(segment)]
            : undefined
      if (next === undefined) fail(pos, `{{_base_.${path}}}: '${segment}' not found in the base config`)
      current = next
    }
    return pyRepr(current, true)
  })
}

/** The values MMEngine's `_substitute_predefined_vars` uses, with `/` separators. */
function predefinedVar(fileName: string, name: string): string {
  const path = fileName.replace(/\\/g, '/')
  const slash = path.lastIndexOf('/')
  const basename = path.slice(slash + 1)
  const dot = basename.lastIndexOf('.')
  const ext = dot > 0 ? basename.slice(dot) : ''
  switch (name) {
    case 'fileDirname':
      return slash === -1 ? '' : path.slice(0, slash)
    case 'fileBasename':
      return basename
    case 'fileBasenameNoExtension':
      return basename.slice(0, basename.length - ext.length)
    default:
      return ext
  }
}

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

interface TokenBase {
  readonly line: number
  readonly column: number
  /** The source text, for messages. */
  readonly text: string
}

type Token =
  | (TokenBase & { readonly kind: 'name' | 'op' | 'newline' | 'eof' })
  | (TokenBase & { readonly kind: 'number'; readonly value: number; readonly isFloat: boolean })
  | (TokenBase & { readonly kind: 'string'; readonly value: string })
  // A lexically local problem (f-string, bad character). Kept as a token so that
  // `readPythonBaseList` can skip lines it never needs to parse.
  | (TokenBase & { readonly kind: 'error'; readonly message: string })

const KEYWORDS: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue',
  'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import',
  'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while',
  'with', 'yield',
])

/** Keywords that may begin an expression (lambda only to report it). */
const EXPRESSION_KEYWORDS: ReadonlySet<string> = new Set(['True', 'False', 'None', 'not', 'lambda'])

// Longest first, so that `**=` wins over `**` and `*`.
const OPERATORS = [
  '**=', '//=', '>>=', '<<=', '...',
  '**', '//', '<<', '>>', '<=', '>=', '==', '!=', '->', '+=', '-=', '*=', '/=', '%=', '&=', '|=',
  '^=', ':=', '@=',
  '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '(', ')', '[', ']', '{', '}', ',',
  ':', '.', ';', '=',
]
const CLOSERS: ReadonlyMap<string, string> = new Map([['(', ')'], ['[', ']'], ['{', '}']])

const IDENT_RE = /[\p{ID_Start}_][\p{ID_Continue}]*/uy
const IDENT_CHAR_RE = /^[\p{ID_Continue}]$/u
const NUMBER_RE =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?/y
const STRING_PREFIX_RE = /^(?:[rRuU]|[fF][rR]?|[rR][fFbB]|[bB][rR]?)$/
const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\n', ''], ['\\', '\\'], ["'", "'"], ['"', '"'], ['a', '\x07'], ['b', '\b'], ['f', '\f'],
  ['n', '\n'], ['r', '\r'], ['t', '\t'], ['v', '\v'],
])

const isDigit = (c: string): boolean => c >= '0' && c <= '9'

/**
 * Split the source into tokens. Newlines inside brackets and after a
 * backslash are dropped (implicit and explicit line joining), so the parser
 * sees one `newline` token per logical line; comments and blank lines vanish.
 * Bracket matching is checked here so that an unclosed bracket is reported at
 * the bracket, not at whatever the parser trips over later.
 */
function tokenize(src: string): Token[] {
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
      push({ kind: 'error', text, line: pos.line, column: pos.column, message: 'f-strings are not supported in a literal config' })
    } else if (prefix.includes('b')) {
      push({ kind: 'error', text, line: pos.line, column: pos.column, message: 'bytes literals are not supported in a literal config' })
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

function lexNumber(src: string, start: number, text: string, line: number, column: number, push: (t: Token) => void): number {
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
function decodeEscape(src: string, at: number, pos: Pos): { readonly text: string; readonly next: number } {
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
  return { text: '\\' + n, next: at + 2 }
}

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '|' | '^' | '&' | '<<' | '>>'
type UnaryOp = '-' | '+' | '~' | 'not'
type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not'

/** An element of a list/tuple display; `star` is `*x` unpacking. */
interface Item {
  readonly star: boolean
  readonly value: Expr
}

type DictEntry =
  | { readonly kind: 'pair'; readonly key: Expr; readonly value: Expr }
  | { readonly kind: 'spread'; readonly value: Expr }

type Arg =
  | { readonly kind: 'pos' | 'star' | 'dstar'; readonly value: Expr }
  | { readonly kind: 'kw'; readonly name: string; readonly pos: Pos; readonly value: Expr }

interface Slice {
  readonly kind: 'slice'
  readonly lower: Expr | undefined
  readonly upper: Expr | undefined
  readonly step: Expr | undefined
}

type Expr =
  | { readonly kind: 'num'; readonly pos: Pos; readonly value: number; readonly isFloat: boolean }
  | { readonly kind: 'str'; readonly pos: Pos; readonly value: string }
  | { readonly kind: 'const'; readonly pos: Pos; readonly value: null | boolean }
  | { readonly kind: 'name'; readonly pos: Pos; readonly id: string }
  | { readonly kind: 'list'; readonly pos: Pos; readonly items: readonly Item[] }
  | { readonly kind: 'dict'; readonly pos: Pos; readonly entries: readonly DictEntry[] }
  | { readonly kind: 'unary'; readonly pos: Pos; readonly op: UnaryOp; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly pos: Pos; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'bool'; readonly pos: Pos; readonly op: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | {
      readonly kind: 'compare'
      readonly pos: Pos
      readonly first: Expr
      readonly rest: readonly { readonly op: CompareOp; readonly pos: Pos; readonly right: Expr }[]
    }
  | { readonly kind: 'ifexp'; readonly pos: Pos; readonly test: Expr; readonly body: Expr; readonly orelse: Expr }
  | { readonly kind: 'call'; readonly pos: Pos; readonly func: Expr; readonly args: readonly Arg[] }
  | { readonly kind: 'attr'; readonly pos: Pos; readonly object: Expr; readonly name: string }
  | { readonly kind: 'subscript'; readonly pos: Pos; readonly object: Expr; readonly index: Expr | Slice }

type Target = Extract<Expr, { kind: 'name' | 'subscript' }>

type Stmt =
  | { readonly kind: 'assign'; readonly pos: Pos; readonly targets: readonly Target[]; readonly value: Expr }
  | { readonly kind: 'augassign'; readonly pos: Pos; readonly target: Target; readonly op: BinaryOp; readonly value: Expr }
  | { readonly kind: 'expr'; readonly pos: Pos; readonly value: Expr }

// ---------------------------------------------------------------------------
// Parser (recursive descent, one function per Python precedence level)
// ---------------------------------------------------------------------------

const AUG_OPS: ReadonlyMap<string, BinaryOp> = new Map([
  ['+=', '+'], ['-=', '-'], ['*=', '*'], ['/=', '/'], ['//=', '//'], ['%=', '%'], ['**=', '**'],
  ['|=', '|'], ['&=', '&'], ['^=', '^'], ['<<=', '<<'], ['>>=', '>>'],
])
const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>='])
/** Python's limit on nested brackets; keeps recursion far from the JS stack limit. */
const MAX_NESTING = 200

const isConfigImport = (module: string): boolean =>
  module === 'mmengine.config' || module.startsWith('mmengine.config.')

class Parser {
  private index: number
  private depth = 0
  private readonly eof: Token

  constructor(
    private readonly tokens: readonly Token[],
    start = 0,
  ) {
    const last = tokens.at(-1)
    if (last?.kind !== 'eof') throw new Error('token stream must end with eof')
    this.eof = last
    this.index = start
  }

  /** A whole file: one statement list, with ignorable imports dropped. */
  parseModule(): Stmt[] {
    const out: Stmt[] = []
    for (;;) {
      const t = this.peek()
      if (t.kind === 'eof') return out
      if (t.column !== 1) fail(t, 'unexpected indent')
      if (this.isKeyword('with')) this.parseWithReadBase()
      else this.parseLine(out)
    }
  }

  /** The right-hand side of `_base_ = ...`, up to the end of its statement. */
  parseStandaloneValue(): Expr {
    const value = this.parseExprList()
    const t = this.peek()
    if (!(t.kind === 'newline' || t.kind === 'eof' || this.isOp(';'))) this.unexpected(t)
    return value
  }

  // -- token helpers --------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[this.index + offset] ?? this.eof
  }

  private advance(): Token {
    const t = this.peek()
    if (this.index < this.tokens.length - 1) this.index++
    return t
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.kind === 'op' && t.text === text
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.kind === 'name' && t.text === word
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.unexpected(this.peek())
    return this.advance()
  }

  private expectName(): Token {
    const t = this.peek()
    if (t.kind !== 'name' || KEYWORDS.has(t.text)) this.unexpected(t)
    return this.advance()
  }

  private unexpected(t: Token): never {
    if (t.kind === 'error') fail(t, t.message)
    if (t.kind === 'newline') fail(t, 'unexpected end of line')
    if (t.kind === 'eof') fail(t, 'unexpected end of input')
    const text = t.text.length > 20 ? `${t.text.slice(0, 20)}...` : t.text
    fail(t, `unexpected token '${text}'`)
  }

  private nested<T>(pos: Pos, parse: () => T): T {
    if (++this.depth > MAX_NESTING) fail(pos, 'expression is too deeply nested')
    try {
      return parse()
    } finally {
      this.depth--
    }
  }

  // -- statements -----------------------------------------------------------

  private parseLine(out: Stmt[]): void {
    for (;;) {
      const statement = this.parseSimpleStatement()
      if (statement !== undefined) out.push(statement)
      if (!this.isOp(';')) break
      this.advance()
      const kind = this.peek().kind
      if (kind === 'newline' || kind === 'eof') break
    }
    this.endOfLine()
  }

  private endOfLine(): void {
    const t = this.peek()
    if (t.kind === 'newline') this.advance()
    else if (t.kind !== 'eof') this.unexpected(t)
  }

  private parseSimpleStatement(): Stmt | undefined {
    const start = this.peek()
    if (start.kind === 'name' && (start.text === 'import' || start.text === 'from')) {
      this.parseImport(false)
      return undefined
    }
    if (start.kind === 'name' && KEYWORDS.has(start.text) && !EXPRESSION_KEYWORDS.has(start.text)) {
      fail(start, `not supported in a literal config: '${start.text}' statement`)
    }
    const first = this.parseExprList()
    if (this.isOp('=')) {
      const targets: Target[] = []
      let value = first
      while (this.isOp('=')) {
        this.advance()
        targets.push(this.toTarget(value, start))
        value = this.parseExprList()
      }
      return { kind: 'assign', pos: start, targets, value }
    }
    const opToken = this.peek()
    const op = opToken.kind === 'op' ? AUG_OPS.get(opToken.text) : undefined
    if (op !== undefined) {
      this.advance()
      const target = this.toTarget(first, start)
      return { kind: 'augassign', pos: opToken, target, op, value: this.parseExprList() }
    }
    return { kind: 'expr', pos: start, value: first }
  }

  private toTarget(e: Expr, pos: Pos): Target {
    if (e.kind === 'name') return e
    if (e.kind === 'subscript') {
      if (e.index.kind === 'slice') fail(pos, 'slice assignment is not supported in a literal config')
      return e
    }
    if (e.kind === 'attr') {
      fail(pos, "attribute assignment is not supported in a literal config; use name['key'] = value")
    }
    fail(pos, e.kind === 'list' ? 'tuple unpacking is not supported in a literal config' : 'cannot assign to expression')
  }

  /**
   * `import m` / `from m import a, b`. Only `mmengine.config` imports (and any
   * import inside `with read_base():`) are accepted, and both are no-ops here.
   */
  private parseImport(insideReadBase: boolean): void {
    const start = this.advance()
    const modules: string[] = []
    if (start.text === 'import') {
      for (;;) {
        modules.push(this.parseDottedName())
        if (this.isKeyword('as')) {
          this.advance()
          this.expectName()
        }
        if (!this.isOp(',')) break
        this.advance()
      }
    } else {
      let dots = ''
      while (this.isOp('.') || this.isOp('...')) dots += this.advance().text
      modules.push(dots + (dots !== '' && this.isKeyword('import') ? '' : this.parseDottedName()))
      if (!this.isKeyword('import')) this.unexpected(this.peek())
      this.advance()
      if (this.isOp('*')) {
        this.advance()
      } else {
        const parenthesized = this.isOp('(')
        if (parenthesized) this.advance()
        for (;;) {
          this.expectName()
          if (this.isKeyword('as')) {
            this.advance()
            this.expectName()
          }
          if (!this.isOp(',')) break
          this.advance()
          if (parenthesized && this.isOp(')')) break
        }
        if (parenthesized) this.expectOp(')')
      }
    }
    const rejected = modules.find((m) => !isConfigImport(m))
    if (!insideReadBase && rejected !== undefined) {
      fail(start, `imports are not supported in a literal config: '${rejected}'`)
    }
  }

  private parseDottedName(): string {
    let name = this.expectName().text
    while (this.isOp('.')) {
      this.advance()
      name += '.' + this.expectName().text
    }
    return name
  }

  /** MMEngine's new-style `with read_base():` block of base imports; skipped. */
  private parseWithReadBase(): void {
    const start = this.advance()
    const header = this.isKeyword('read_base') && this.isOp('(', 1) && this.isOp(')', 2) && this.isOp(':', 3)
    if (!header) fail(start, "not supported in a literal config: 'with' statement")
    for (let k = 0; k < 4; k++) this.advance()
    if (this.peek().kind !== 'newline') {
      this.parseImportOnly()
      this.endOfLine()
      return
    }
    this.advance()
    let count = 0
    while (this.peek().kind !== 'eof' && this.peek().column > 1) {
      this.parseImportOnly()
      this.endOfLine()
      count++
    }
    if (count === 0) fail(this.peek(), "expected an indented block after 'with read_base():'")
  }

  private parseImportOnly(): void {
    if (!this.isKeyword('import') && !this.isKeyword('from')) {
      fail(this.peek(), "only imports are allowed inside 'with read_base():'")
    }
    this.parseImport(true)
  }

  // -- expressions ----------------------------------------------------------

  /** `a` or the bare tuple `a, b` (as in `x = 1, 2`). */
  private parseExprList(): Expr {
    const start = this.peek()
    const first = this.parseItem()
    if (!this.isOp(',')) {
      if (first.star) fail(start, "can't use starred expression here")
      return first.value
    }
    const items = [first]
    while (this.isOp(',')) {
      this.advance()
      if (!this.canStartExpression()) break
      items.push(this.parseItem())
    }
    return { kind: 'list', pos: start, items }
  }

  private canStartExpression(): boolean {
    const t = this.peek()
    switch (t.kind) {
      case 'number':
      case 'string':
      case 'error':
        return true
      case 'name':
        return !KEYWORDS.has(t.text) || EXPRESSION_KEYWORDS.has(t.text)
      case 'op':
        return ['(', '[', '{', '-', '+', '~', '*'].includes(t.text)
      default:
        return false
    }
  }

  private parseItem(): Item {
    if (this.isOp('*')) {
      this.advance()
      return { star: true, value: this.parseBitOr() }
    }
    return { star: false, value: this.parseTest() }
  }

  /** `test`: a conditional expression, or a lambda (rejected). */
  private parseTest(): Expr {
    const start = this.peek()
    if (this.isKeyword('lambda')) fail(start, 'not supported in a literal config: lambda')
    return this.nested(start, () => {
      const body = this.parseOr()
      if (!this.isKeyword('if')) return body
      this.advance()
      const test = this.parseOr()
      if (!this.isKeyword('else')) this.unexpected(this.peek())
      this.advance()
      return { kind: 'ifexp', pos: start, test, body, orelse: this.parseTest() }
    })
  }

  private parseOr(): Expr {
    let left = this.parseAnd()
    while (this.isKeyword('or')) {
      const pos = this.advance()
      left = { kind: 'bool', pos, op: 'or', left, right: this.parseAnd() }
    }
    return left
  }

  private parseAnd(): Expr {
    let left = this.parseNot()
    while (this.isKeyword('and')) {
      const pos = this.advance()
      left = { kind: 'bool', pos, op: 'and', left, right: this.parseNot() }
    }
    return left
  }

  private parseNot(): Expr {
    if (!this.isKeyword('not')) return this.parseComparison()
    const pos = this.advance()
    return this.nested(pos, () => ({ kind: 'unary', pos, op: 'not', operand: this.parseNot() }))
  }

  private parseComparison(): Expr {
    const first = this.parseBitOr()
    const rest: { op: CompareOp; pos: Pos; right: Expr }[] = []
    for (;;) {
      const pos = this.peek()
      const op = this.compareOp()
      if (op === undefined) break
      rest.push({ op, pos, right: this.parseBitOr() })
    }
    return rest.length === 0 ? first : { kind: 'compare', pos: first.pos, first, rest }
  }

  /** Consumes and returns a comparison operator, if one is next. */
  private compareOp(): CompareOp | undefined {
    const t = this.peek()
    if (t.kind === 'op' && COMPARE_OPS.has(t.text)) {
      this.advance()
      return t.text as CompareOp
    }
    if (this.isKeyword('in')) {
      this.advance()
      return 'in'
    }
    if (this.isKeyword('not') && this.isKeyword('in', 1)) {
      this.advance()
      this.advance()
      return 'not in'
    }
    if (this.isKeyword('is')) {
      this.advance()
      if (!this.isKeyword('not')) return 'is'
      this.advance()
      return 'is not'
    }
    return undefined
  }

  /** One left-associative binary precedence level. */
  private binaryLevel(ops: readonly BinaryOp[], operand: () => Expr): Expr {
    let left = operand()
    for (;;) {
      const t = this.peek()
      const op = ops.find((o) => t.kind === 'op' && t.text === o)
      if (op === undefined) return left
      this.advance()
      left = { kind: 'binary', pos: t, op, left, right: operand() }
    }
  }

  private parseBitOr(): Expr {
    return this.binaryLevel(['|'], () => this.parseBitXor())
  }

  private parseBitXor(): Expr {
    return this.binaryLevel(['^'], () => this.parseBitAnd())
  }

  private parseBitAnd(): Expr {
    return this.binaryLevel(['&'], () => this.parseShift())
  }

  private parseShift(): Expr {
    return this.binaryLevel(['<<', '>>'], () => this.parseArith())
  }

  private parseArith(): Expr {
    return this.binaryLevel(['+', '-'], () => this.parseTerm())
  }

  private parseTerm(): Expr {
    return this.binaryLevel(['*', '/', '//', '%'], () => this.parseUnary())
  }

  private parseUnary(): Expr {
    const t = this.peek()
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      const op = t.text
      this.advance()
      return this.nested(t, () => ({ kind: 'unary', pos: t, op, operand: this.parseUnary() }))
    }
    return this.parsePower()
  }

  /** `**` binds tighter than a unary minus on its left, looser on its right: `-2 ** -1`. */
  private parsePower(): Expr {
    const base = this.parsePostfix()
    if (!this.isOp('**')) return base
    const pos = this.advance()
    return { kind: 'binary', pos, op: '**', left: base, right: this.parseUnary() }
  }

  private parsePostfix(): Expr {
    let e = this.parseAtom()
    for (;;) {
      if (this.isOp('(')) {
        this.advance()
        e = { kind: 'call', pos: e.pos, func: e, args: this.parseCallArgs() }
      } else if (this.isOp('[')) {
        const pos = this.advance()
        e = { kind: 'subscript', pos, object: e, index: this.parseSubscript() }
      } else if (this.isOp('.')) {
        this.advance()
        const name = this.peek()
        if (name.kind !== 'name') this.unexpected(name)
        this.advance()
        e = { kind: 'attr', pos: name, object: e, name: name.text }
      } else {
        return e
      }
    }
  }

  private parseCallArgs(): Arg[] {
    const args: Arg[] = []
    const keywords = new Set<string>()
    let sawKeyword = false
    while (!this.isOp(')')) {
      const t = this.peek()
      if (this.isOp('*')) {
        this.advance()
        args.push({ kind: 'star', value: this.parseTest() })
      } else if (this.isOp('**')) {
        this.advance()
        args.push({ kind: 'dstar', value: this.parseTest() })
        sawKeyword = true
      } else if (t.kind === 'name' && !KEYWORDS.has(t.text) && this.isOp('=', 1)) {
        this.advance()
        this.advance()
        if (keywords.has(t.text)) fail(t, `keyword argument repeated: ${t.text}`)
        keywords.add(t.text)
        args.push({ kind: 'kw', name: t.text, pos: t, value: this.parseTest() })
        sawKeyword = true
      } else {
        if (sawKeyword) fail(t, 'positional argument follows keyword argument')
        args.push({ kind: 'pos', value: this.parseTest() })
        this.rejectComprehension()
      }
      if (!this.isOp(',')) break
      this.advance()
    }
    this.expectOp(')')
    return args
  }

  private parseSubscript(): Expr | Slice {
    const lower = this.isOp(':') ? undefined : this.parseTest()
    if (lower !== undefined && !this.isOp(':')) {
      if (this.isOp(',')) fail(this.peek(), 'tuple indices are not supported in a literal config')
      this.expectOp(']')
      return lower
    }
    this.expectOp(':')
    const upper = this.isOp(':') || this.isOp(']') ? undefined : this.parseTest()
    let step: Expr | undefined
    if (this.isOp(':')) {
      this.advance()
      step = this.isOp(']') ? undefined : this.parseTest()
    }
    this.expectOp(']')
    return { kind: 'slice', lower, upper, step }
  }

  private rejectComprehension(): void {
    if (this.isKeyword('for') || this.isKeyword('async')) {
      fail(this.peek(), 'comprehensions are not supported in a literal config')
    }
  }

  private parseAtom(): Expr {
    const t = this.peek()
    switch (t.kind) {
      case 'number':
        this.advance()
        return { kind: 'num', pos: t, value: t.value, isFloat: t.isFloat }
      case 'string': {
        // Adjacent literals concatenate: 'a' "b" == 'ab'.
        let value = ''
        for (let s = this.peek(); s.kind === 'string'; s = this.peek()) {
          value += s.value
          this.advance()
        }
        return { kind: 'str', pos: t, value }
      }
      case 'name':
        if (t.text === 'True' || t.text === 'False' || t.text === 'None') {
          this.advance()
          return { kind: 'const', pos: t, value: t.text === 'None' ? null : t.text === 'True' }
        }
        if (t.text === 'lambda') fail(t, 'not supported in a literal config: lambda')
        if (KEYWORDS.has(t.text)) this.unexpected(t)
        this.advance()
        return { kind: 'name', pos: t, id: t.text }
      case 'op':
        if (t.text === '(') return this.parseParenthesized()
        if (t.text === '[') return this.parseListDisplay()
        if (t.text === '{') return this.parseDictDisplay()
        return this.unexpected(t)
      default:
        return this.unexpected(t)
    }
  }

  private parseParenthesized(): Expr {
    const open = this.advance()
    if (this.isOp(')')) {
      this.advance()
      return { kind: 'list', pos: open, items: [] }
    }
    const first = this.parseItem()
    this.rejectComprehension()
    if (this.isOp(')') && !first.star) {
      this.advance()
      return first.value
    }
    const items = [first]
    while (this.isOp(',')) {
      this.advance()
      if (this.isOp(')')) break
      items.push(this.parseItem())
    }
    if (items.length === 1 && !this.isOp(')')) this.unexpected(this.peek())
    this.expectOp(')')
    return { kind: 'list', pos: open, items }
  }

  private parseListDisplay(): Expr {
    const open = this.advance()
    const items: Item[] = []
    while (!this.isOp(']')) {
      items.push(this.parseItem())
      if (items.length === 1) this.rejectComprehension()
      if (!this.isOp(',')) break
      this.advance()
    }
    this.expectOp(']')
    return { kind: 'list', pos: open, items }
  }

  private parseDictDisplay(): Expr {
    const open = this.advance()
    const entries: DictEntry[] = []
    while (!this.isOp('}')) {
      if (this.isOp('**')) {
        this.advance()
        entries.push({ kind: 'spread', value: this.parseBitOr() })
      } else {
        const key = this.parseTest()
        if (!this.isOp(':')) {
          this.rejectComprehension()
          fail(open, 'set literals are not supported in a literal config')
        }
        this.advance()
        entries.push({ kind: 'pair', key, value: this.parseTest() })
      }
      if (entries.length === 1) this.rejectComprehension()
      if (!this.isOp(',')) break
      this.advance()
    }
    this.expectOp('}')
    return { kind: 'dict', pos: open, entries }
  }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/** A Python float. Ints are bare JS numbers; the tag only matters for `/`, `//`, `str()`, `round()`. */
class PyFloat {
  constructor(readonly value: number) {}
}

/** Insertion-ordered, and immune to `__proto__`-style keys, unlike a plain object. */
type PyDict = Map<string, Val>
type Val = null | boolean | number | PyFloat | string | Val[] | PyDict

/** Longest list or string a config may build (guards `[0] * 10**12`). */
const MAX_LENGTH = 10_000_000

function toVal(p: PyValue | undefined): Val {
  if (p === null || p === undefined) return null
  if (typeof p === 'boolean' || typeof p === 'string') return p
  if (typeof p === 'number') return Number.isInteger(p) ? p + 0 : new PyFloat(p)
  if (Array.isArray(p)) return p.map(toVal)
  return new Map(Object.entries(p).map(([k, v]) => [k, toVal(v)]))
}

function toPyValue(v: Val): PyValue {
  if (v instanceof PyFloat) return v.value
  if (Array.isArray(v)) return v.map(toPyValue)
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toPyValue(x)]))
  return v
}

function copyVal(v: Val): Val {
  if (Array.isArray(v)) return v.map(copyVal)
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copyVal(x)]))
  return v
}

function typeName(v: Val): string {
  if (v === null) return 'NoneType'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return 'int'
  if (typeof v === 'string') return 'str'
  if (v instanceof PyFloat) return 'float'
  return Array.isArray(v) ? 'list' : 'dict'
}

interface Num {
  readonly v: number
  readonly f: boolean
}

/** The numeric view of a value; bools are ints, as in Python. */
function asNum(x: Val): Num | undefined {
  if (typeof x === 'number') return { v: x, f: false }
  if (typeof x === 'boolean') return { v: x ? 1 : 0, f: false }
  if (x instanceof PyFloat) return { v: x.value, f: true }
  return undefined
}

function mkNum(v: number, isFloat: boolean, pos: Pos): Val {
  if (isFloat) return new PyFloat(v)
  if (!Number.isFinite(v)) fail(pos, 'integer result is too large to represent')
  return v + 0 // turns -0 into 0: ints have no negative zero
}

/** An int (or bool) where Python requires an integer, e.g. an index. */
function asInt(x: Val, pos: Pos, what: string): number {
  const n = asNum(x)
  if (n === undefined || n.f) fail(pos, `${what} must be integers, not ${typeName(x)}`)
  return n.v
}

function truthy(v: Val): boolean {
  if (v === null) return false
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0
  if (v instanceof PyFloat) return v.value !== 0
  return v.size > 0
}

/** Dict keys are strings; ints are accepted and stringified, as documented. */
function dictKey(v: Val, pos: Pos): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return intRepr(v)
  if (Array.isArray(v) || v instanceof Map) fail(pos, `unhashable type: '${typeName(v)}'`)
  fail(pos, `unsupported dict key type '${typeName(v)}' (only str and int keys are supported)`)
}

function iterate(v: Val, pos: Pos): readonly Val[] {
  if (Array.isArray(v)) return v
  if (typeof v === 'string') return Array.from(v)
  if (v instanceof Map) return [...v.keys()]
  fail(pos, `'${typeName(v)}' object is not iterable`)
}

function pyEquals(a: Val, b: Val): boolean {
  const x = asNum(a)
  const y = asNum(b)
  if (x !== undefined || y !== undefined) return x !== undefined && y !== undefined && x.v === y.v
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => pyEquals(item, b[i] ?? null))
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
function order(a: Val, b: Val, op: string, pos: Pos): number {
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

function contains(container: Val, item: Val, pos: Pos): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') fail(pos, `'in <string>' requires string as left operand, not ${typeName(item)}`)
    return container.includes(item)
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item))
  if (container instanceof Map) return container.has(dictKey(item, pos))
  fail(pos, `argument of type '${typeName(container)}' is not iterable`)
}

function compare(op: CompareOp, a: Val, b: Val, pos: Pos): boolean {
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
      if (!singleton(a) && !singleton(b)) fail(pos, `'${op}' is only supported with None, True and False in a literal config`)
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

function unaryOp(op: UnaryOp, v: Val, pos: Pos): Val {
  if (op === 'not') return !truthy(v)
  const n = asNum(v)
  if (n === undefined || (op === '~' && n.f)) fail(pos, `bad operand type for unary ${op}: '${typeName(v)}'`)
  if (op === '-') return mkNum(-n.v, n.f, pos)
  if (op === '+') return mkNum(n.v, n.f, pos)
  return mkNum(-n.v - 1, false, pos)
}

/** Python's `%`: the result takes the sign of the divisor. */
function floorMod(a: number, b: number): number {
  const r = a % b
  return r !== 0 && r < 0 !== b < 0 ? r + b : r
}

function binaryOp(op: BinaryOp, a: Val, b: Val, pos: Pos): Val {
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
      if (typeof a === 'string') fail(pos, "printf-style string formatting with '%' is not supported in a literal config")
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

function arithmetic(op: BinaryOp, x: Num, y: Num, pos: Pos): Val {
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

function bitwise(op: BinaryOp, a: number, b: number, pos: Pos): Val {
  // BigInt gives Python's unbounded two's-complement semantics instead of JS's 32-bit ones.
  const x = BigInt(a)
  const y = BigInt(b)
  if ((op === '<<' || op === '>>') && y < 0n) fail(pos, 'negative shift count')
  if (op === '<<' && y > 1100n) fail(pos, 'integer result is too large to represent')
  const r = op === '|' ? x | y : op === '&' ? x & y : op === '^' ? x ^ y : op === '<<' ? x << y : x >> y
  return mkNum(Number(r), false, pos)
}

function repeat(seq: string | Val[], count: Val, pos: Pos): Val {
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
function sliceIndices(length: number, lower: number | undefined, upper: number | undefined, step: number): number[] {
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

function getItem(container: Val, key: Val, pos: Pos): Val {
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

function setItem(container: Val, key: Val, value: Val, pos: Pos): void {
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

function getAttr(object: Val, name: string, pos: Pos): Val {
  // MMEngine's ConfigDict exposes keys as attributes; nothing else has attributes here.
  const value = object instanceof Map ? object.get(name) : undefined
  if (value === undefined) fail(pos, `'${typeName(object)}' object has no attribute '${name}'`)
  return value
}

function baseList(v: Val, pos: Pos): readonly string[] {
  if (typeof v === 'string') return [v]
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return [...v]
  fail(pos, `_base_ must be a string or a list of strings, not ${typeName(v)}`)
}

// -- repr ---------------------------------------------------------------------

function intRepr(n: number): string {
  return Number.isSafeInteger(n) || !Number.isFinite(n) ? String(n) : BigInt(n).toString()
}

/** Python's float repr: shortest round-trip digits, fixed notation for 1e-4 <= |x| < 1e16. */
function floatRepr(x: number): string {
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

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const c of s) {
    const code = c.codePointAt(0) ?? 0
    if (c === '\\' || c === quote) out += '\\' + c
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0')
    else out += c
  }
  return out + quote
}

/** Python's `repr`; with `asSource`, non-finite floats are written as valid Python. */
function pyRepr(v: Val, asSource = false): string {
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

const pyStr = (v: Val): string => (typeof v === 'string' ? v : pyRepr(v))

// -- round ----------------------------------------------------------------------

/**
 * Round to `digits` decimal places with ties to even, on the exact binary value
 * as CPython does (so `round(2.675, 2) == 2.67`, `round(0.125, 2) == 0.12`).
 */
function roundHalfEven(x: number, digits: number): number {
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

// -- builtins -------------------------------------------------------------------

type Builtin = (args: readonly Val[], kwargs: ReadonlyMap<string, Val>, pos: Pos) => Val

function checkArgs(
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
  fail(pos, n < min ? `${name}() takes at least ${plural(min)} (${n} given)` : `${name}() takes at most ${plural(max)} (${n} given)`)
}

function minMax(name: 'min' | 'max'): Builtin {
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

const sequence =
  (name: string): Builtin =>
  (args, kwargs, pos) => {
    checkArgs(name, args, kwargs, 0, 1, pos)
    const [x] = args
    return x === undefined ? [] : [...iterate(x, pos)]
  }

const FLOAT_TEXT_RE = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:e[+-]?\d(?:_?\d)*)?$/

const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
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

// ---------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------

/** The root variable of a subscript/attribute chain (`x` in `x['a'][0]`). */
function rootName(e: Expr): string | undefined {
  let node = e
  while (node.kind === 'subscript' || node.kind === 'attr') node = node.object
  return node.kind === 'name' ? node.id : undefined
}

class Evaluator {
  /** Top-level variables; a Map keeps first-assignment order. */
  private readonly env = new Map<string, Val>()

  constructor(private readonly base: PyDict | undefined) {}

  run(statements: readonly Stmt[]): void {
    for (const s of statements) this.exec(s)
  }

  result(): Dict {
    const visible = [...this.env].filter(([name]) => !name.startsWith('__'))
    return Object.fromEntries(visible.map(([name, v]) => [name, toPyValue(v)]))
  }

  /** Evaluates an expression to a fresh value that shares nothing with any variable. */
  evaluate(e: Expr): Val {
    switch (e.kind) {
      case 'num':
        return e.isFloat ? new PyFloat(e.value) : e.value
      case 'str':
      case 'const':
        return e.value
      case 'name':
      case 'attr':
      case 'subscript':
        return copyVal(this.place(e))
      case 'list': {
        const out: Val[] = []
        for (const item of e.items) {
          if (!item.star) out.push(this.evaluate(item.value))
          else for (const x of iterate(this.evaluate(item.value), item.value.pos)) out.push(x)
        }
        return out
      }
      case 'dict': {
        const out: PyDict = new Map()
        for (const entry of e.entries) {
          if (entry.kind === 'pair') {
            const key = dictKey(this.evaluate(entry.key), entry.key.pos)
            out.set(key, this.evaluate(entry.value))
            continue
          }
          const spread = this.evaluate(entry.value)
          if (!(spread instanceof Map)) fail(entry.value.pos, `'${typeName(spread)}' object is not a mapping`)
          for (const [k, v] of spread) out.set(k, v)
        }
        return out
      }
      case 'unary':
        return unaryOp(e.op, this.evaluate(e.operand), e.pos)
      case 'binary':
        return binaryOp(e.op, this.evaluate(e.left), this.evaluate(e.right), e.pos)
      case 'bool': {
        const left = this.evaluate(e.left)
        return truthy(left) === (e.op === 'or') ? left : this.evaluate(e.right)
      }
      case 'compare': {
        let left = this.evaluate(e.first)
        for (const link of e.rest) {
          const right = this.evaluate(link.right)
          if (!compare(link.op, left, right, link.pos)) return false
          left = right
        }
        return true
      }
      case 'ifexp':
        return truthy(this.evaluate(e.test)) ? this.evaluate(e.body) : this.evaluate(e.orelse)
      case 'call':
        return this.call(e.func, e.args, e.pos)
    }
  }

  private exec(s: Stmt): void {
    switch (s.kind) {
      case 'expr':
        // Evaluated for its errors only; this is how module docstrings pass.
        this.evaluate(s.value)
        return
      case 'assign': {
        const value = this.evaluate(s.value)
        s.targets.forEach((target, i) => this.assign(target, i === 0 ? value : copyVal(value), s.pos))
        return
      }
      case 'augassign': {
        if (rootName(s.target) === '_base_') fail(s.pos, "cannot modify '_base_' in a literal config")
        const current = this.place(s.target)
        this.assign(s.target, binaryOp(s.op, current, this.evaluate(s.value), s.pos), s.pos)
        return
      }
    }
  }

  private assign(target: Target, value: Val, pos: Pos): void {
    if (target.kind === 'name') {
      // `_base_ = [...]` names the base files; it is not a config variable.
      if (target.id === '_base_') baseList(value, pos)
      else this.env.set(target.id, value)
      return
    }
    if (rootName(target) === '_base_') fail(pos, "cannot modify '_base_' in a literal config")
    if (target.index.kind === 'slice') fail(pos, 'slice assignment is not supported in a literal config')
    const container = this.place(target.object)
    setItem(container, this.evaluate(target.index), value, target.pos)
  }

  /** The stored value a name/attribute/subscript chain denotes, without copying (for reads and item assignment). */
  private place(e: Expr): Val {
    switch (e.kind) {
      case 'name':
        return this.lookup(e.id, e.pos)
      case 'attr':
        return getAttr(this.place(e.object), e.name, e.pos)
      case 'subscript': {
        const object = this.place(e.object)
        return e.index.kind === 'slice' ? this.slice(object, e.index, e.pos) : getItem(object, this.evaluate(e.index), e.pos)
      }
      default:
        return this.evaluate(e)
    }
  }

  private lookup(id: string, pos: Pos): Val {
    if (id === '_base_') {
      if (this.base === undefined) fail(pos, "name '_base_' is not defined (no base config was provided)")
      return this.base
    }
    const value = this.env.get(id)
    if (value !== undefined) return value
    if (BUILTINS.has(id)) fail(pos, `builtin '${id}' can only be called in a literal config`)
    fail(pos, `name '${id}' is not defined`)
  }

  private slice(object: Val, s: Slice, pos: Pos): Val {
    const bound = (e: Expr | undefined): number | undefined => {
      if (e === undefined) return undefined
      const v = this.evaluate(e)
      return v === null ? undefined : asInt(v, e.pos, 'slice indices')
    }
    const lower = bound(s.lower)
    const upper = bound(s.upper)
    const step = bound(s.step) ?? 1
    if (step === 0) fail(pos, 'slice step cannot be zero')
    if (typeof object === 'string') {
      const chars = Array.from(object)
      return sliceIndices(chars.length, lower, upper, step)
        .map((i) => chars[i] ?? '')
        .join('')
    }
    if (Array.isArray(object)) return sliceIndices(object.length, lower, upper, step).map((i) => object[i] ?? null)
    if (object instanceof Map) fail(pos, "unhashable type: 'slice'")
    fail(pos, `'${typeName(object)}' object is not subscriptable`)
  }

  private call(func: Expr, argNodes: readonly Arg[], pos: Pos): Val {
    // A builtin is found only when no variable of that name shadows it, as in Python.
    const builtin = func.kind === 'name' && !this.env.has(func.id) ? BUILTINS.get(func.id) : undefined
    if (builtin === undefined) {
      const callee = this.place(func)
      fail(pos, `'${typeName(callee)}' object is not callable`)
    }
    const args: Val[] = []
    const kwargs = new Map<string, Val>()
    const keyword = (name: string, value: Val, at: Pos): void => {
      if (kwargs.has(name)) fail(at, `got multiple values for keyword argument '${name}'`)
      kwargs.set(name, value)
    }
    for (const arg of argNodes) {
      switch (arg.kind) {
        case 'pos':
          args.push(this.evaluate(arg.value))
          break
        case 'star':
          for (const x of iterate(this.evaluate(arg.value), arg.value.pos)) args.push(x)
          break
        case 'kw':
          keyword(arg.name, this.evaluate(arg.value), arg.pos)
          break
        case 'dstar': {
          const mapping = this.evaluate(arg.value)
          if (!(mapping instanceof Map)) fail(arg.value.pos, `argument after ** must be a mapping, not ${typeName(mapping)}`)
          for (const [k, v] of mapping) keyword(k, v, arg.value.pos)
          break
        }
      }
    }
    return builtin(args, kwargs, pos)
  }
}
