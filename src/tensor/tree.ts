/**
 * Named tensor trees: tensors keyed by PyTorch-style dotted names
 * (`backbone.fc1.weight`), in model order. Parameters, gradients, updates and
 * optimizer slots are all trees. A name absent from a gradient tree means
 * "no gradient" (PyTorch's `grad is None`): that parameter is skipped.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

export type Tree = { readonly [name: string]: tf.Tensor }

/** Apply `f` to every tensor, keeping names and order. */
export const map = (tree: Tree, f: (t: tf.Tensor, name: string) => tf.Tensor): Tree =>
  Object.fromEntries(Object.entries(tree).map(([name, t]) => [name, f(t, name)]))

/** The names of `tree` in order. */
export const names = (tree: Tree): ReadonlyArray<string> => Object.keys(tree)

const ABSOLUTE = Symbol.for('loopwright.absoluteUpdates')

/**
 * Mark some updates as the parameters' new values rather than increments.
 * PyTorch steps that are not purely additive (AdamW's decoupled decay, NAdam's
 * two-part step, ASGD) can produce a value no float32 increment reaches from
 * the old one; marking it keeps the result bit-identical.
 */
export const markAbsolute = (updates: Tree, names: Iterable<string>): Tree => {
  const known = new Set([...absoluteNames(updates), ...names])
  const marked: Tree = { ...updates }
  Object.defineProperty(marked, ABSOLUTE, { value: known, enumerable: false })
  return marked
}

/** The names whose update is a new value, not an increment. */
export const absoluteNames = (updates: Tree): ReadonlySet<string> =>
  (updates as unknown as { [ABSOLUTE]?: ReadonlySet<string> })[ABSOLUTE] ?? new Set()

/**
 * The parameters after the updates: `param + update`, or the update itself
 * where it is marked as a new value; parameters without an update are kept.
 */
export const applyUpdates = (params: Tree, updates: Tree): Tree => {
  const absolute = absoluteNames(updates)
  return Object.fromEntries(
    Object.entries(params).map(([name, p]) => {
      const u = updates[name]
      return [name, u === undefined ? p : absolute.has(name) ? u : tf.add(p, u)]
    }),
  )
}

/** Every tensor of a tree (for disposal and counting). */
export const tensors = (tree: Tree): ReadonlyArray<tf.Tensor> => Object.values(tree)

/** The subset of `tree` with these names (absent names are skipped). */
export const pick = (tree: Tree, keep: ReadonlyArray<string>): Tree =>
  Object.fromEntries(keep.flatMap((name) => (tree[name] === undefined ? [] : [[name, tree[name]!]])))

/** A tree from plain arrays: `{ name: { shape, values } }` (float32). */
export const fromArrays = (arrays: {
  readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: ReadonlyArray<number> }
}): Tree =>
  Object.fromEntries(
    Object.entries(arrays).map(([name, a]) => [name, tf.tensor(a.values as number[], a.shape as number[], 'float32')]),
  )

/** Plain arrays from a tree (reads every tensor back). */
export const toArrays = (tree: Tree): { [name: string]: { shape: number[]; values: number[] } } =>
  Object.fromEntries(
    Object.entries(tree).map(([name, t]) => [name, { shape: [...t.shape], values: Array.from(t.dataSync()) }]),
  )
