/**
 * The optimizer algebra, after Optax: a `GradientTransformation<S>` is a pair
 * of pure functions over named tensor trees with an explicit state `S`.
 *
 * - `init(params)` builds the state;
 * - `update(grads, state, params, groups)` returns updates (to be *added* to
 *   the parameters) and the next state. `groups` carries each param group's
 *   current hyper-parameters, which schedulers change between steps.
 *
 * Tensors in the returned updates and state are new; the caller (the
 * interpreter) owns them and disposes what the next state no longer holds.
 * Transformations never dispose their inputs.
 *
 * @example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1.0), sgd({ momentum: 0.9 }))
 * let state = opt.init(params)
 * const [updates, next] = opt.update(grads, state, params, groups)
 * params = Tree.applyUpdates(params, updates)
 * ```
 * @module
 */
import { absoluteNames, markAbsolute } from '../tensor/tree.js'
import type { Tree } from '../tensor/tree.js'
import type { ParamGroups } from './ParamGroups.js'
import { releaseIntermediate } from './ownership.js'

export interface GradientTransformation<S> {
  readonly init: (params: Tree) => S
  readonly update: (grads: Tree, state: S, params: Tree, groups: ParamGroups) => readonly [updates: Tree, state: S]
}

/** The state type of a transformation. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never

/** Passes the gradients through unchanged (the unit of {@link chain}). */
export const identity: GradientTransformation<null> = {
  init: () => null,
  update: (grads) => [grads, null],
}

/**
 * Run transformations in sequence: the updates of one are the gradients of
 * the next. Associative, with {@link identity} as unit (laws in the tests).
 */
// biome-ignore lint/suspicious/noExplicitAny: an existential state type (S is invariant; unknown does not check)
export const chain = <const Ts extends ReadonlyArray<GradientTransformation<any>>>(
  ...transforms: Ts
): GradientTransformation<{ readonly [K in keyof Ts]: StateOf<Ts[K]> }> => ({
  init: (params) => transforms.map((t) => t.init(params)) as never,
  update: (grads, state, params, groups) => {
    let current = grads
    const next: unknown[] = []
    transforms.forEach((t, i) => {
      const [updates, s] = t.update(current, (state as ReadonlyArray<unknown>)[i], params, groups)
      // What one stage handed to the next is chain's own intermediate: release it unless kept.
      if (current !== grads) releaseIntermediate(current, [updates, s], grads)
      current = updates
      next.push(s)
    })
    return [current, next as never]
  },
})

/**
 * Apply different transformations to disjoint sets of parameters (Optax's
 * `multi_transform`): `label(name)` says which transformation owns a
 * parameter. Each transformation sees only its parameters.
 */
export const partition = <S>(
  transforms: { readonly [label: string]: GradientTransformation<S> },
  label: (name: string) => string,
): GradientTransformation<{ readonly [label: string]: S }> => {
  const split = (tree: Tree): { [label: string]: { [name: string]: Tree[string] } } => {
    const parts: { [label: string]: { [name: string]: Tree[string] } } = Object.fromEntries(
      Object.keys(transforms).map((l) => [l, {}]),
    )
    for (const [name, t] of Object.entries(tree)) {
      const l = label(name)
      if (parts[l] === undefined)
        throw new Error(`partition: parameter '${name}' has label '${l}', which has no transformation`)
      parts[l]![name] = t
    }
    return parts
  }
  return {
    init: (params) => Object.fromEntries(Object.entries(split(params)).map(([l, p]) => [l, transforms[l]!.init(p)])),
    update: (grads, state, params, groups) => {
      const g = split(grads)
      const p = split(params)
      const updates: { [name: string]: Tree[string] } = {}
      const absolute: string[] = []
      const next: { [label: string]: S } = {}
      for (const [l, t] of Object.entries(transforms)) {
        const [u, s] = t.update(g[l]!, state[l]!, p[l]!, groups)
        Object.assign(updates, u)
        absolute.push(...absoluteNames(u))
        next[l] = s
      }
      return [absolute.length > 0 ? markAbsolute(updates, absolute) : updates, next]
    },
  }
}
