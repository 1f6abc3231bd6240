/**
 * Loading weights from a decoded safetensors file into a model's parameter
 * tree, with PyTorch's and MMEngine's rules:
 *
 * - key revision first: `prefix` keeps only the keys under a prefix and
 *   strips it (MMEngine's `_load_checkpoint_with_prefix`, which adds the
 *   trailing dot when missing), then `reviseKeys` applies regex
 *   substitutions in order (`load_checkpoint(revise_keys=[(r'^module\.', '')])`,
 *   also the default);
 * - `strict: true` (default, `load_state_dict(strict=True)`): a parameter
 *   the file lacks (missing) or a tensor the model lacks (unexpected) is a
 *   problem; `strict: false` reports both as warnings and loads the rest;
 * - a shape mismatch is always a problem, as in PyTorch (MMEngine's own
 *   `load_state_dict` only logs it when not strict; loopwright refuses it).
 *
 * No tensor is created unless the whole load succeeds.
 *
 * @example
 * ```ts
 * const file = Safetensors.decode(bytes)   // right(Decoded)
 * loadWeights({ 'fc.weight': [2, 4], 'fc.bias': [2] }, file.right, { prefix: 'backbone' })
 * // right({ tree: { 'fc.weight': Tensor, 'fc.bias': Tensor }, warnings: [], notes: [], … })
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as E from 'fp-ts/lib/Either.js'
import type { Tree } from './tree.js'
import { conversionNotes, toTfData } from './safetensors.js'
import type { Decoded, TensorEntry, TfData } from './safetensors.js'

/**
 * A regex substitution on keys: a JS `RegExp`, or a Python-style pattern string (with `\1` group references in the
 * replacement).
 */
export type ReviseKey = readonly [pattern: RegExp | string, replacement: string]

export interface LoadOptions {
  /** PyTorch's `strict` (default `true`). */
  readonly strict?: boolean
  /** Keep only the keys starting with this prefix (a `.` is appended when missing), and strip it. */
  readonly prefix?: string
  /**
   * Substitutions applied to every key, in order (all matches, like Python's `re.sub`). Default: `[[/^module\./, '']]`.
   */
  readonly reviseKeys?: ReadonlyArray<ReviseKey>
}

/** Why weights cannot be loaded. */
export interface WeightProblem {
  readonly kind: 'missing' | 'unexpected' | 'shape' | 'duplicate' | 'dtype' | 'prefix'
  /** The tensor concerned (the model's name after revision; the prefix for `'prefix'`). */
  readonly name: string
  readonly message: string
}

export interface LoadedWeights {
  /** The loaded tensors in the model's parameter order (only those found, when not strict). The caller owns them. */
  readonly tree: Tree
  /** Missing and unexpected keys when `strict: false`, in MMEngine's wording. */
  readonly warnings: ReadonlyArray<string>
  /** Dtype conversions made while loading (F16 → float32, …). */
  readonly notes: ReadonlyArray<string>
  readonly missing: ReadonlyArray<string>
  readonly unexpected: ReadonlyArray<string>
}

/** MMEngine's default `revise_keys`: strip a `module.` prefix left by DataParallel wrappers. */
export const DEFAULT_REVISE_KEYS: ReadonlyArray<ReviseKey> = [[/^module\./, '']]

const globalRegex = (pattern: RegExp | string): RegExp =>
  typeof pattern === 'string'
    ? new RegExp(pattern, 'g')
    : pattern.flags.includes('g')
      ? pattern
      : new RegExp(pattern.source, `${pattern.flags}g`)

/** A Python `re.sub` replacement as a JS one: `$` is literal, `\1` and `\g<1>` are group references. */
const jsReplacement = (pattern: RegExp | string, replacement: string): string =>
  typeof pattern === 'string'
    ? replacement
        .replace(/\$/g, '$$$$')
        .replace(/\\g<(\d+)>|\\(\d+)/g, (_m, a: string | undefined, b: string | undefined) => `$${a ?? b}`)
    : replacement

/**
 * The model-side name of a file key under `options`, or `undefined` when
 * `prefix` excludes it.
 *
 * @example
 * ```ts
 * reviseKey('module.backbone.fc.weight', { prefix: 'backbone' })  // undefined (the prefix applies first)
 * reviseKey('module.fc.weight', {})                               // 'fc.weight'
 * reviseKey('backbone.fc.weight', { prefix: 'backbone' })         // 'fc.weight'
 * ```
 */
export const reviseKey = (key: string, options: LoadOptions): string | undefined => {
  let name = key
  if (options.prefix !== undefined && options.prefix !== '') {
    const prefix = options.prefix.endsWith('.') ? options.prefix : `${options.prefix}.`
    if (!name.startsWith(prefix)) return undefined
    name = name.slice(prefix.length)
  }
  for (const [pattern, replacement] of options.reviseKeys ?? DEFAULT_REVISE_KEYS)
    name = name.replace(globalRegex(pattern), jsReplacement(pattern, replacement))
  return name
}

const showShape = (shape: ReadonlyArray<number>): string => `[${shape.join(', ')}]`

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/**
 * Match a decoded file against the model's expected parameters (name →
 * shape) and build the tree, or list every problem.
 *
 * @example
 * ```ts
 * loadWeights({ w: [2, 3] }, decoded)  // file has w: [3, 2]
 // left([{ kind: 'shape', name: 'w', message: 'size mismatch for w: copying a param with shape [3, 2] from the file,
 // the shape in the current model is [2, 3]' }])
 *
 * loadWeights({ w: [2, 3], b: [2] }, decoded, { strict: false })  // file has only w
 * // right({ tree: { w }, warnings: ['missing keys in source state_dict: b'], missing: ['b'], … })
 * ```
 */
export const loadWeights = (
  expected: { readonly [name: string]: ReadonlyArray<number> },
  decoded: Decoded,
  options: LoadOptions = {},
): E.Either<ReadonlyArray<WeightProblem>, LoadedWeights> => {
  const strict = options.strict ?? true
  const problems: WeightProblem[] = []
  const byName = new Map<string, readonly [string, TensorEntry]>()
  for (const key of decoded.order) {
    const name = reviseKey(key, options)
    if (name === undefined) continue
    const previous = byName.get(name)
    if (previous !== undefined) {
      problems.push({
        kind: 'duplicate',
        name,
        message:
          `keys ${JSON.stringify(previous[0])} and ${JSON.stringify(key)} both become ` +
          `${JSON.stringify(name)} after revising the keys`,
      })
      continue
    }
    byName.set(name, [key, decoded.tensors[key]!])
  }
  if (options.prefix !== undefined && options.prefix !== '' && byName.size === 0 && decoded.order.length > 0) {
    problems.push({
      kind: 'prefix',
      name: options.prefix,
      message:
        `no key in the file starts with the prefix ` +
        `'${options.prefix.endsWith('.') ? options.prefix : `${options.prefix}.`}'`,
    })
  }
  const missing = Object.keys(expected).filter((name) => !byName.has(name))
  const unexpected = [...byName.keys()].filter((name) => !Object.hasOwn(expected, name))
  if (strict) {
    for (const name of missing)
      problems.push({
        kind: 'missing',
        name,
        message: `missing key in source state_dict: ${name} (shape ${showShape(expected[name]!)})`,
      })
    for (const name of unexpected)
      problems.push({
        kind: 'unexpected',
        name,
        message: `unexpected key in source state_dict: ${name} (shape ${showShape(byName.get(name)![1].shape)})`,
      })
  }
  const converted: Array<readonly [string, TfData, ReadonlyArray<number>]> = []
  for (const [name, shape] of Object.entries(expected)) {
    const found = byName.get(name)
    if (found === undefined) continue
    const [key, entry] = found
    if (!sameShape(entry.shape, shape)) {
      problems.push({
        kind: 'shape',
        name,
        message:
          `size mismatch for ${name}: copying a param with shape ${showShape(entry.shape)} ` +
          `from the file${key === name ? '' : ` (key ${key})`}, the shape in the current ` +
          `model is ${showShape(shape)}`,
      })
      continue
    }
    const data = toTfData(key, entry)
    if (data._tag === 'Left') {
      problems.push({ kind: 'dtype', name, message: data.left.message })
      continue
    }
    converted.push([name, data.right, shape])
  }
  if (problems.length > 0) return E.left(problems)
  const warnings = [
    ...(unexpected.length > 0 ? [`unexpected key in source state_dict: ${unexpected.join(', ')}`] : []),
    ...(missing.length > 0 ? [`missing keys in source state_dict: ${missing.join(', ')}`] : []),
  ]
  const tree: Tree = Object.fromEntries(
    converted.map(([name, data, shape]) => [name, tf.tensor(data.values, [...shape], data.dtype)]),
  )
  return E.right({
    tree,
    warnings,
    notes: conversionNotes(converted.map(([name, data]) => [name, data.conversion])),
    missing,
    unexpected,
  })
}
