/**
 * Python's reserved words (`keyword.kwlist`, Python 3.x), shared by the config reader (which rejects them as names)
 * and the config printer (which quotes dict keys that are not identifiers). Pure data: any layer may import it.
 * @module
 */

/** The words Python reserves: never a variable name, never a `dict(name=...)` keyword argument. */
export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
])

/** Whether `name` can be written as a Python identifier, e.g. as a keyword argument of `dict(...)`. */
export const isPythonIdentifier = (name: string): boolean => /^[A-Za-z_]\w*$/.test(name) && !PYTHON_KEYWORDS.has(name)
