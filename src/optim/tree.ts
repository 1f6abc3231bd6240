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

/** `params + updates` for the names that have an update; other parameters are returned as they are. */
export const applyUpdates = (params: Tree, updates: Tree): Tree =>
  Object.fromEntries(Object.entries(params).map(([name, p]) => [name, updates[name] === undefined ? p : tf.add(p, updates[name]!)]))

/** Every tensor of a tree (for disposal and counting). */
export const tensors = (tree: Tree): ReadonlyArray<tf.Tensor> => Object.values(tree)

/** The subset of `tree` with these names (absent names are skipped). */
export const pick = (tree: Tree, keep: ReadonlyArray<string>): Tree =>
  Object.fromEntries(keep.flatMap((name) => (tree[name] === undefined ? [] : [[name, tree[name]!]])))

/** A tree from plain arrays: `{ name: { shape, values } }` (float32). */
export const fromArrays = (arrays: { readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: ReadonlyArray<number> } }): Tree =>
  Object.fromEntries(Object.entries(arrays).map(([name, a]) => [name, tf.tensor(a.values as number[], a.shape as number[], 'float32')]))

/** Plain arrays from a tree (reads every tensor back). */
export const toArrays = (tree: Tree): { [name: string]: { shape: number[]; values: number[] } } =>
  Object.fromEntries(Object.entries(tree).map(([name, t]) => [name, { shape: [...t.shape], values: Array.from(t.dataSync()) }]))
