/** The syntax tree the parser builds and the evaluator walks. */
import type { Pos } from './errors.js'

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '|' | '^' | '&' | '<<' | '>>'
export type UnaryOp = '-' | '+' | '~' | 'not'
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not'

/** An element of a list/tuple display; `star` is `*x` unpacking. */
export interface Item {
  readonly star: boolean
  readonly value: Expr
}

export type DictEntry =
  | { readonly kind: 'pair'; readonly key: Expr; readonly value: Expr }
  | { readonly kind: 'spread'; readonly value: Expr }

export type Arg =
  | { readonly kind: 'pos' | 'star' | 'dstar'; readonly value: Expr }
  | { readonly kind: 'kw'; readonly name: string; readonly pos: Pos; readonly value: Expr }

export interface Slice {
  readonly kind: 'slice'
  readonly lower: Expr | undefined
  readonly upper: Expr | undefined
  readonly step: Expr | undefined
}

/** One `for names in iter if cond ...` clause of a comprehension; `unpack` when the target is a tuple. */
export interface CompClause {
  readonly names: readonly string[]
  readonly unpack: boolean
  readonly pos: Pos
  readonly iter: Expr
  readonly conds: readonly Expr[]
}

/** A replacement field of an f-string: `{expr!conversion:spec}`. */
export interface FormatField {
  readonly expr: Expr
  readonly conversion: 'r' | 's' | 'a' | undefined
  readonly spec: string
}

export type Expr =
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
  | { readonly kind: 'comp'; readonly pos: Pos; readonly element: Expr; readonly clauses: readonly CompClause[] }
  | {
      readonly kind: 'dictcomp'
      readonly pos: Pos
      readonly key: Expr
      readonly value: Expr
      readonly clauses: readonly CompClause[]
    }
  | { readonly kind: 'fstring'; readonly pos: Pos; readonly parts: readonly (string | FormatField)[] }

export type Target = Extract<Expr, { kind: 'name' | 'subscript' }>

export type Stmt =
  | { readonly kind: 'assign'; readonly pos: Pos; readonly targets: readonly Target[]; readonly value: Expr }
  | {
      readonly kind: 'augassign'
      readonly pos: Pos
      readonly target: Target
      readonly op: BinaryOp
      readonly value: Expr
    }
  | { readonly kind: 'expr'; readonly pos: Pos; readonly value: Expr }
  /** `if`/`elif`/`else`: the first branch whose test holds runs; `test` is undefined for `else`. */
  | {
      readonly kind: 'if'
      readonly pos: Pos
      readonly branches: readonly { readonly test: Expr | undefined; readonly body: readonly Stmt[] }[]
    }
