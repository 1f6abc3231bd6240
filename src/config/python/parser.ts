/** The recursive-descent parser, one function per Python precedence level. */
import type {
  BinaryOp,
  CompClause,
  CompareOp,
  Item,
  DictEntry,
  Arg,
  Slice,
  Expr,
  FormatField,
  Target,
  Stmt,
} from './ast.js'
import { type Pos, fail } from './errors.js'
import { PYTHON_KEYWORDS as KEYWORDS } from '../../schema/pythonKeywords.js'
import { type Token, EXPRESSION_KEYWORDS, tokenize } from './tokenizer.js'

// ---------------------------------------------------------------------------
// Parser (recursive descent, one function per Python precedence level)
// ---------------------------------------------------------------------------

export const AUG_OPS: ReadonlyMap<string, BinaryOp> = new Map([
  ['+=', '+'],
  ['-=', '-'],
  ['*=', '*'],
  ['/=', '/'],
  ['//=', '//'],
  ['%=', '%'],
  ['**=', '**'],
  ['|=', '|'],
  ['&=', '&'],
  ['^=', '^'],
  ['<<=', '<<'],
  ['>>=', '>>'],
])
export const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>='])
/** Python's limit on nested brackets; keeps recursion far from the JS stack limit. */
export const MAX_NESTING = 200

export const isConfigImport = (module: string): boolean =>
  module === 'mmengine.config' || module.startsWith('mmengine.config.')

export class Parser {
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
      else this.parseStatement(out)
    }
  }

  /** One statement at the current position: an `if` with its blocks, or a line of simple statements. */
  private parseStatement(out: Stmt[]): void {
    if (this.isKeyword('if')) out.push(this.parseIf())
    else this.parseLine(out)
  }

  /** `if test: block (elif test: block)* (else: block)?`, each keyword in the `if`'s column. */
  private parseIf(): Stmt {
    const start = this.peek()
    const branches: { test: Expr | undefined; body: Stmt[] }[] = []
    let keyword = 'if'
    for (;;) {
      this.advance()
      const test = keyword === 'else' ? undefined : this.parseTest()
      this.expectOp(':')
      branches.push({ test, body: this.parseBlock(start.column) })
      const next = this.peek()
      if (next.column !== start.column || !(this.isKeyword('elif') || this.isKeyword('else')) || keyword === 'else')
        break
      keyword = next.text
    }
    return { kind: 'if', pos: start, branches }
  }

  /** The body after a `:`: simple statements on the same line, or lines indented deeper than `column`. */
  private parseBlock(column: number): Stmt[] {
    const body: Stmt[] = []
    if (this.peek().kind !== 'newline') {
      this.parseLine(body)
      return body
    }
    this.advance()
    const first = this.peek()
    if (first.kind === 'eof' || first.column <= column) fail(first, 'expected an indented block')
    while (this.peek().kind !== 'eof' && this.peek().column > column) {
      if (this.peek().column !== first.column) fail(this.peek(), 'unindent does not match any outer indentation level')
      this.parseStatement(body)
    }
    return body
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
    fail(
      pos,
      e.kind === 'list' ? 'tuple unpacking is not supported in a literal config' : 'cannot assign to expression',
    )
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
      name += `.${this.expectName().text}`
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
      case 'fstring':
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
        const value = this.parseTest()
        this.rejectComprehension()
        // `f(x for x in xs)`: a bare generator as an argument.
        if (this.isKeyword('for'))
          args.push({ kind: 'pos', value: { kind: 'comp', pos: t, element: value, clauses: this.parseCompClauses() } })
        else args.push({ kind: 'pos', value })
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
    if (this.isKeyword('async')) fail(this.peek(), 'async comprehensions are not supported in a literal config')
  }

  /** The `for ... in ... if ...` clauses after a comprehension's element (at least one). */
  private parseCompClauses(): CompClause[] {
    const clauses: CompClause[] = []
    while (this.isKeyword('for')) {
      const pos = this.advance()
      const parenthesized = this.isOp('(')
      if (parenthesized) this.advance()
      const names = [this.expectName().text]
      let unpack = parenthesized
      while (this.isOp(',')) {
        this.advance()
        unpack = true
        if (this.isKeyword('in') || this.isOp(')')) break
        names.push(this.expectName().text)
      }
      if (parenthesized) this.expectOp(')')
      if (!this.isKeyword('in')) this.unexpected(this.peek())
      this.advance()
      const iter = this.parseOr()
      const conds: Expr[] = []
      while (this.isKeyword('if')) {
        this.advance()
        conds.push(this.parseOr())
      }
      clauses.push({ names, unpack, pos, iter, conds })
    }
    return clauses
  }

  /** Split an f-string's text into literal parts and `{expr!c:spec}` fields. */
  private parseFString(t: Token & { readonly value: string }): (string | FormatField)[] {
    const text = t.value
    const parts: (string | FormatField)[] = []
    let literal = ''
    let i = 0
    while (i < text.length) {
      const c = text.charAt(i)
      if ((c === '{' || c === '}') && text.charAt(i + 1) === c) {
        literal += c
        i += 2
        continue
      }
      if (c === '}') fail(t, "f-string: single '}' is not allowed")
      if (c !== '{') {
        literal += c
        i++
        continue
      }
      // Find the field's end, skipping nested brackets and quoted strings.
      let depth = 0
      let j = i + 1
      let quote = ''
      let exprEnd = -1
      let conversion: FormatField['conversion']
      for (; j < text.length; j++) {
        const d = text.charAt(j)
        if (quote !== '') {
          if (d === quote) quote = ''
          continue
        }
        if (d === "'" || d === '"') quote = d
        else if (d === '(' || d === '[' || d === '{') depth++
        else if ((d === ')' || d === ']' || d === '}') && depth > 0) depth--
        else if (depth === 0 && (d === '}' || d === ':' || (d === '!' && text.charAt(j + 1) !== '='))) {
          if (exprEnd === -1) exprEnd = j
          if (d === '!') {
            const c2 = text.charAt(j + 1)
            if (c2 !== 'r' && c2 !== 's' && c2 !== 'a')
              fail(t, "f-string: invalid conversion character: expected 's', 'r', or 'a'")
            conversion = c2
            j += 1
            continue
          }
          break
        }
      }
      if (j >= text.length) fail(t, "f-string: expecting '}'")
      let spec = ''
      if (text.charAt(j) === ':') {
        const close = text.indexOf('}', j)
        if (close === -1) fail(t, "f-string: expecting '}'")
        spec = text.slice(j + 1, close)
        j = close
      }
      const source = text.slice(i + 1, exprEnd).trim()
      if (source === '') fail(t, 'f-string: empty expression not allowed')
      const expr = new Parser(
        tokenize(source).map((tok) => ({ ...tok, line: t.line, column: t.column })),
      ).parseStandaloneValue()
      if (literal !== '') parts.push(literal)
      literal = ''
      parts.push({ expr, conversion, spec })
      i = j + 1
    }
    if (literal !== '') parts.push(literal)
    return parts
  }

  private parseAtom(): Expr {
    const t = this.peek()
    switch (t.kind) {
      case 'number':
        this.advance()
        return { kind: 'num', pos: t, value: t.value, isFloat: t.isFloat }
      case 'string':
      case 'fstring': {
        // Adjacent literals concatenate: 'a' "b" == 'ab', and f'{a}' 'b' is one f-string.
        const parts: (string | FormatField)[] = []
        for (let s = this.peek(); s.kind === 'string' || s.kind === 'fstring'; s = this.peek()) {
          if (s.kind === 'string') parts.push(s.value)
          else parts.push(...this.parseFString(s))
          this.advance()
        }
        if (parts.every((p) => typeof p === 'string')) return { kind: 'str', pos: t, value: parts.join('') }
        return { kind: 'fstring', pos: t, parts }
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
    if (this.isKeyword('for') && !first.star) {
      // A generator expression; it is evaluated eagerly, as a list.
      const clauses = this.parseCompClauses()
      this.expectOp(')')
      return { kind: 'comp', pos: open, element: first.value, clauses }
    }
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
      if (items.length === 1) {
        this.rejectComprehension()
        if (this.isKeyword('for') && !items[0]!.star) {
          const clauses = this.parseCompClauses()
          this.expectOp(']')
          return { kind: 'comp', pos: open, element: items[0]!.value, clauses }
        }
      }
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
        const value = this.parseTest()
        if (entries.length === 0 && this.isKeyword('for')) {
          const clauses = this.parseCompClauses()
          this.expectOp('}')
          return { kind: 'dictcomp', pos: open, key, value, clauses }
        }
        entries.push({ kind: 'pair', key, value })
      }
      if (entries.length === 1) this.rejectComprehension()
      if (!this.isOp(',')) break
      this.advance()
    }
    this.expectOp('}')
    return { kind: 'dict', pos: open, entries }
  }
}
