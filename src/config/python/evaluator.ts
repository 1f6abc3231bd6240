/** The evaluator: runs top-level statements and evaluates expressions to values. */
import type { Arg, CompClause, Slice, Expr, Target, Stmt } from './ast.js'
import { BUILTINS } from './builtins.js'
import { type Pos, fail } from './errors.js'
import { convert, formatValue } from './format.js'
import { MUTATING, callMethod } from './methods.js'
import {
  type Dict,
  PyFloat,
  type PyDict,
  type Val,
  toPyValue,
  copyVal,
  typeName,
  asInt,
  truthy,
  dictKey,
  iterate,
  compare,
  unaryOp,
  binaryOp,
  sliceIndices,
  getItem,
  setItem,
  getAttr,
  baseList,
} from './values.js'

// ---------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------

/** The root variable of a subscript/attribute chain (`x` in `x['a'][0]`). */
export function rootName(e: Expr): string | undefined {
  let node = e
  while (node.kind === 'subscript' || node.kind === 'attr') node = node.object
  return node.kind === 'name' ? node.id : undefined
}

export class Evaluator {
  /** Top-level variables; a Map keeps first-assignment order. */
  private readonly env = new Map<string, Val>()
  /** Comprehension variables, innermost last; they shadow `env` and vanish after the comprehension, as in Python 3. */
  private readonly scopes: Map<string, Val>[] = []

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
      case 'comp': {
        const out: Val[] = []
        this.comprehend(e.clauses, 0, () => out.push(this.evaluate(e.element)))
        return out
      }
      case 'dictcomp': {
        const out: PyDict = new Map()
        this.comprehend(e.clauses, 0, () => out.set(dictKey(this.evaluate(e.key), e.key.pos), this.evaluate(e.value)))
        return out
      }
      case 'fstring':
        return e.parts
          .map((part) =>
            typeof part === 'string'
              ? part
              : formatValue(convert(this.evaluate(part.expr), part.conversion), part.spec, e.pos),
          )
          .join('')
    }
  }

  /** Run `emit` once per combination the clauses produce, with their variables bound. */
  private comprehend(clauses: readonly CompClause[], at: number, emit: () => void): void {
    const clause = clauses[at]
    if (clause === undefined) {
      emit()
      return
    }
    const scope = new Map<string, Val>()
    for (const item of iterate(this.evaluate(clause.iter), clause.iter.pos)) {
      if (clause.unpack) {
        const values = iterate(item, clause.pos)
        if (values.length !== clause.names.length) {
          fail(clause.pos, `cannot unpack ${values.length} values into ${clause.names.length} names`)
        }
        clause.names.forEach((name, i) => {
          scope.set(name, values[i]!)
        })
      } else scope.set(clause.names[0]!, item)
      this.scopes.push(scope)
      try {
        if (clause.conds.every((cond) => truthy(this.evaluate(cond)))) this.comprehend(clauses, at + 1, emit)
      } finally {
        this.scopes.pop()
      }
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
        s.targets.forEach((target, i) => {
          this.assign(target, i === 0 ? value : copyVal(value), s.pos)
        })
        return
      }
      case 'if': {
        const branch = s.branches.find((b) => b.test === undefined || truthy(this.evaluate(b.test)))
        if (branch !== undefined) for (const inner of branch.body) this.exec(inner)
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
        return e.index.kind === 'slice'
          ? this.slice(object, e.index, e.pos)
          : getItem(object, this.evaluate(e.index), e.pos)
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
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const local = this.scopes[i]!.get(id)
      if (local !== undefined) return local
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
    const shadowed = (id: string): boolean => this.env.has(id) || this.scopes.some((scope) => scope.has(id))
    const builtin = func.kind === 'name' && !shadowed(func.id) ? BUILTINS.get(func.id) : undefined
    // `x.name(...)` where `x` has no key `name` is a method call (a key wins, as ConfigDict's attributes do).
    const receiver = builtin === undefined && func.kind === 'attr' ? this.place(func.object) : undefined
    const isMethod =
      receiver !== undefined && !(receiver instanceof Map && receiver.has((func as { name: string }).name))
    if (builtin === undefined && !isMethod) {
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
          if (!(mapping instanceof Map))
            fail(arg.value.pos, `argument after ** must be a mapping, not ${typeName(mapping)}`)
          for (const [k, v] of mapping) keyword(k, v, arg.value.pos)
          break
        }
      }
    }
    if (builtin !== undefined) return builtin(args, kwargs, pos)
    const name = (func as { name: string }).name
    if (MUTATING.has(name) && rootName(func) === '_base_') fail(pos, "cannot modify '_base_' in a literal config")
    return callMethod(receiver!, name, args, kwargs, pos)
  }
}
