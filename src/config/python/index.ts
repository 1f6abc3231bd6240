/**
 * The literal subset of Python that MMEngine / OpenMMLab `.py` config files are
 * written in, evaluated without a Python interpreter.
 *
 * A config file is a list of top-level assignments whose right-hand sides are
 * literals, `dict(...)` calls, arithmetic, comprehensions, conditional
 * expressions, f-strings, str/list/dict methods (`pipeline.extend(...)`) and
 * references to earlier variables or to the merged base config (`_base_.a.b`),
 * plus `if`/`elif`/`else` blocks. This module turns such a file into a plain JS
 * object of its top-level variables in three small steps: a tokenizer, a
 * recursive-descent parser producing an AST, and an evaluator. Anything that
 * needs real Python (imports, `for`/`while` loops, `def`, lambdas, classes) is
 * rejected with a positioned error instead of being guessed at.
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
import { toConfigError, type PythonConfigError } from './errors.js'
import { Evaluator } from './evaluator.js'
import { Parser } from './parser.js'
import { normalizeSource, substituteTemplates } from './source.js'
import { tokenize } from './tokenizer.js'
import { baseList, toVal, type Dict } from './values.js'

export type { PythonConfigError } from './errors.js'
export type { PyValue } from './values.js'

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
): { readonly _tag: 'Right'; readonly right: Dict } | { readonly _tag: 'Left'; readonly left: PythonConfigError } {
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
