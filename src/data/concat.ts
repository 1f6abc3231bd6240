/**
 * MMEngine's `ConcatDataset(datasets=[...])`: the samples of several datasets
 * one after another, in the order given. The members must agree on the
 * sample shape and the kind of targets (class labels take the largest class
 * count). Used, for instance, to feed the `KNN` metric a bank (the training
 * split) followed by queries (the test split).
 *
 * @example
 * ```ts
 * concat([train, test], 'val_dataloader.dataset')  // right(Dataset of train.length + test.length samples)
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Dataset, Targets } from './Dataset.js'
import { DataError } from './idx.js'

/** The members as one dataset, or a {@link DataError} naming what does not fit together. */
export const concat = (members: ReadonlyArray<Dataset>, path: string): E.Either<DataError, Dataset> => {
  const first = members[0]
  if (first === undefined)
    return E.left(new DataError({ path, message: `${path}: ConcatDataset needs at least one dataset` }))
  for (const [i, m] of members.entries()) {
    const at = `${path}.datasets[${i}]`
    if (m.sampleShape.join() !== first.sampleShape.join())
      return E.left(
        new DataError({
          path: at,
          message:
            `${at}: ${m.name} has samples of shape [${m.sampleShape.join(', ')}], the first ` +
            `dataset [${first.sampleShape.join(', ')}]`,
        }),
      )
    if (m.targets.kind !== first.targets.kind)
      return E.left(
        new DataError({
          path: at,
          message: `${at}: ${m.name} has ${m.targets.kind} targets, the first dataset ${first.targets.kind} targets`,
        }),
      )
    if (m.pipeline !== undefined)
      return E.left(
        new DataError({
          path: at,
          message:
            `${at}: a pipeline inside a ConcatDataset member is not supported yet (its ` +
            `samples are concatenated as stored)`,
        }),
      )
  }
  const length = members.reduce((s, m) => s + m.length, 0)
  const bytes = members.every((m) => m.inputs instanceof Uint8Array)
  const inputs = bytes
    ? new Uint8Array(members.reduce((s, m) => s + m.inputs.length, 0))
    : new Float32Array(members.reduce((s, m) => s + m.inputs.length, 0))
  let at = 0
  for (const m of members) {
    inputs.set(m.inputs, at)
    at += m.inputs.length
  }
  const targets: Targets =
    first.targets.kind === 'class'
      ? {
          kind: 'class',
          labels: joinInt(members.map((m) => (m.targets as Extract<Targets, { kind: 'class' }>).labels)),
          numClasses: Math.max(...members.map((m) => (m.targets as Extract<Targets, { kind: 'class' }>).numClasses)),
        }
      : {
          kind: 'values',
          values: joinFloat(members.map((m) => (m.targets as Extract<Targets, { kind: 'values' }>).values)),
          shape: first.targets.shape,
        }
  return E.right({
    name: `ConcatDataset(${members.map((m) => m.name).join(', ')})`,
    length,
    sampleShape: first.sampleShape,
    inputs,
    targets,
    ...(first.metainfo === undefined ? {} : { metainfo: first.metainfo }),
  })
}

/** The arrays one after another, in a new array made by `make`. */
const joinArrays = <A extends Int32Array | Float32Array>(parts: ReadonlyArray<A>, make: (length: number) => A): A => {
  const out = make(parts.reduce((s, p) => s + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const joinInt = (parts: ReadonlyArray<Int32Array>): Int32Array => joinArrays(parts, (n) => new Int32Array(n))

const joinFloat = (parts: ReadonlyArray<Float32Array>): Float32Array => joinArrays(parts, (n) => new Float32Array(n))
