/**
 * `TensorStore`: the tensor interpreter's table of live tensors.
 *
 * The `State` threaded through hooks holds only opaque `TensorRef`s (id,
 * shape, dtype); the store maps them to tensors. Because every tensor a
 * state can reach is found by walking the state for refs, the interpreter
 * can free exactly what a new state no longer references ({@link collect}):
 * hooks and combinators never dispose anything, and nothing leaks.
 *
 * @example
 * ```ts
 * const store = new TensorStore()
 * const params = store.externalize({ w: tf.ones([2]) })   // { w: TensorRef }
 * store.internalize(params).w                              // the tensor
 * store.collect([])                                        // nothing references it: disposed
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { TensorRef } from '../../dsl/State.js'

const isRef = (value: unknown): value is TensorRef =>
  typeof value === 'object' && value !== null && (value as { _tag?: unknown })._tag === 'TensorRef'

/** Every ref inside a nested value. */
export const refsIn = (value: unknown, into: TensorRef[] = []): TensorRef[] => {
  if (isRef(value)) into.push(value)
  else if (Array.isArray(value)) for (const v of value) refsIn(v, into)
  else if (typeof value === 'object' && value !== null && !(value instanceof tf.Tensor) && !ArrayBuffer.isView(value))
    for (const v of Object.values(value)) refsIn(v, into)
  return into
}

export class TensorStore {
  private readonly byId = new Map<number, tf.Tensor>()
  private readonly idOf = new WeakMap<tf.Tensor, number>()
  private nextId = 1

  /** The ref of `tensor`, registering it on first sight (the store owns it from then on). */
  ref(tensor: tf.Tensor): TensorRef {
    let id = this.idOf.get(tensor)
    if (id === undefined) {
      id = this.nextId++
      this.idOf.set(tensor, id)
      this.byId.set(id, tensor)
    }
    return { _tag: 'TensorRef', id, shape: [...tensor.shape], dtype: tensor.dtype as TensorRef['dtype'] }
  }

  /** The tensor behind `ref`; a ref the store does not hold is a bug in the interpreter, reported with its id. */
  get(ref: TensorRef): tf.Tensor {
    const tensor = this.byId.get(ref.id)
    if (tensor === undefined || tensor.isDisposed)
      throw new Error(`TensorStore: tensor #${ref.id} ${JSON.stringify(ref.shape)} is not live`)
    return tensor
  }

  /** `value` with every tensor replaced by its ref (registering new ones). */
  externalize<A>(value: A): Externalized<A> {
    return this.walk(
      value,
      (t) => this.ref(t),
      (r) => r,
    ) as Externalized<A>
  }

  /** `value` with every ref replaced by its tensor. */
  internalize<A>(value: A): Internalized<A> {
    return this.walk(
      value,
      (t) => t,
      (r) => this.get(r),
    ) as Internalized<A>
  }

  private walk(value: unknown, onTensor: (t: tf.Tensor) => unknown, onRef: (r: TensorRef) => unknown): unknown {
    if (value instanceof tf.Tensor) return onTensor(value)
    if (isRef(value)) return onRef(value)
    if (Array.isArray(value)) return value.map((v) => this.walk(v, onTensor, onRef))
    if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
      const out: { [key: string]: unknown } = {}
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v, onTensor, onRef)
      // Keep symbol-keyed markers (e.g. which updates are absolute) on trees.
      for (const s of Object.getOwnPropertySymbols(value))
        (out as Record<symbol, unknown>)[s] = (value as Record<symbol, unknown>)[s]
      return out
    }
    return value
  }

  /** Dispose every held tensor that no ref inside `roots` names. Returns how many were freed. */
  collect(roots: ReadonlyArray<unknown>): number {
    const live = new Set<number>()
    for (const root of roots) for (const r of refsIn(root)) live.add(r.id)
    let freed = 0
    for (const [id, tensor] of this.byId) {
      if (live.has(id)) continue
      if (!tensor.isDisposed) tensor.dispose()
      this.byId.delete(id)
      freed++
    }
    return freed
  }

  /** Tensors held. */
  get size(): number {
    return this.byId.size
  }

  /** Dispose everything (end of run). */
  clear(): void {
    this.collect([])
  }
}

/** A type with tensors replaced by refs (structurally; the type system cannot see inside `unknown`). */
export type Externalized<A> = A extends tf.Tensor
  ? TensorRef
  : A extends ReadonlyArray<infer I>
    ? ReadonlyArray<Externalized<I>>
    : A extends object
      ? { readonly [K in keyof A]: Externalized<A[K]> }
      : A
/** A type with refs replaced by tensors. */
export type Internalized<A> = A extends TensorRef
  ? tf.Tensor
  : A extends ReadonlyArray<infer I>
    ? ReadonlyArray<Internalized<I>>
    : A extends object
      ? { readonly [K in keyof A]: Internalized<A[K]> }
      : A
