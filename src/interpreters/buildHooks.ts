/**
 * From a program's hook declarations to hooks in execution order: resolve
 * each `type` in the hook registry, decode its arguments, pick its priority
 * (explicit, else the type's default, spec §2.2), build it, and order the
 * list (spec §2.3).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import type { Program } from '../dsl/Program.js'
import type { HookServices } from '../dsl/Services.js'
import { issuesOf } from '../schema/codec.js'
import type { Issue } from '../schema/codec.js'
import * as Registry from '../schema/registry.js'
import { touchesOf } from '../hooks/HookType.js'
import type { HookType } from '../hooks/HookType.js'

/**
 * Build every hook of the program, in execution order, or list what is wrong
 * (with config paths). For a `'train'` run, a plan-only hook type is an error.
 */
export const buildHooks = (
  program: Program,
  hookTypes: Registry.Registry<HookType<unknown>>,
  purpose: 'plan' | 'train' = 'train',
): E.Either<ReadonlyArray<Issue>, ReadonlyArray<Hook.Hook<HookServices>>> => {
  const issues: Issue[] = []
  const built: Hook.Hook<HookServices>[] = []
  for (const decl of program.hooks) {
    const where = decl.source === 'default' ? `default_hooks.${decl.key}` : decl.key
    const resolved = Registry.resolve(hookTypes, decl.spec.type)
    if (resolved._tag === 'Left') {
      issues.push({ path: `${where}.type`, message: resolved.left })
      continue
    }
    const hookType = resolved.right
    if (purpose === 'train' && hookType.planOnly !== undefined) {
      issues.push({
        path: `${where}.type`,
        message: `${hookType.name} can be planned (loopwright dry-run) but not trained with yet: ${hookType.planOnly}`,
      })
      continue
    }
    const args = hookType.args.decode(decl.spec.args)
    if (args._tag === 'Left') {
      issues.push(
        ...issuesOf(args.left).map((i) => ({ path: i.path === '' ? where : `${where}.${i.path}`, message: i.message })),
      )
      continue
    }
    const explicit = decl.spec.priority !== undefined
    const priority = P.decode(explicit ? decl.spec.priority : hookType.defaultPriority)
    if (priority._tag === 'Left') {
      const field = explicit ? `${where}.priority` : where
      issues.push({
        path: field,
        message: `${explicit ? '' : `${hookType.name}.defaultPriority: `}${priority.left.message}`,
      })
      continue
    }
    try {
      const hook = hookType.build(args.right, { key: decl.key, priority: priority.right }, program)
      built.push({ ...hook, touches: touchesOf(hookType, args.right) })
    } catch (error) {
      // A hook type whose build makes an invalid hook: the user's code, reported where the config names it.
      if (!(error instanceof Hook.HookDefinitionError)) throw error
      issues.push({ path: where, message: error.message })
    }
  }
  return issues.length > 0 ? E.left(issues) : E.right(Hook.order(built))
}
