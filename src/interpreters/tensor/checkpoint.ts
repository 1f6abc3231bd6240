/**
 * Checkpoints: the whole `State` in one safetensors file.
 *
 * Tensors are stored as safetensors — parameters and buffers under their
 * dotted PyTorch names, so any safetensors reader loads the weights; the
 * optimizer's and hooks' tensors under `optimizer/<i>` and `hooks/<i>`, a
 * data-parallel run's open accumulation window under `optimizer/rank<r>/<slot>/<name>` —
 * and everything else (counters, random streams, param groups, schedulers,
 * message hub, hook states, meta) as JSON in the file's `__metadata__`.
 * The file is data only: loading it runs no code.
 * @module
 */
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs-core'
import * as E from 'fp-ts/lib/Either.js'
import * as Hub from '../../dsl/MessageHub.js'
import type { Json } from '../../dsl/MessageHub.js'
import type { State, TensorRef, TensorTree } from '../../dsl/State.js'
import * as Optim from '../../optim/OptimState.js'
import * as Safetensors from '../../tensor/safetensors.js'
import type { TensorStore } from './TensorStore.js'
import type { RankSums, WindowSums } from './windowSums.js'
import { openSums } from './windowSums.js'

export const FORMAT = 'loopwright.checkpoint'

/**
 * SHA-256 over everything the checkpoint says: meta, state, and every
 * tensor's name, dtype, shape and bytes in name order. Any flipped byte in
 * the data or the JSON changes it.
 */
export const checksumOf = (meta: string, state: string, tensors: Safetensors.Entries): string => {
  const hash = createHash('sha256')
  hash.update(meta)
  hash.update('\u0000')
  hash.update(state)
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!
    hash.update(`\u0000${name}\u0000${t.dtype}\u0000${t.shape.join(',')}\u0000`)
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
  }
  return hash.digest('hex')
}
export const VERSION = 1

/** What a checkpoint says about itself (MMEngine's `meta`). */
export interface CheckpointMeta {
  readonly epoch: number
  readonly iter: number
  readonly seed: number
  readonly experiment_name: string
  readonly loopwright_version: string
  readonly time: string
  readonly cfg: string
  readonly dataset_meta?: Json
}

const isRef = (v: unknown): v is TensorRef =>
  typeof v === 'object' && v !== null && (v as { _tag?: unknown })._tag === 'TensorRef'

// JSON cannot hold NaN, ±Infinity or −0; scalars and scheduler values may.
const encodeNumbers = (_key: string, value: unknown): unknown =>
  typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))
    ? { __float__: Object.is(value, -0) ? '-0' : String(value) }
    : value
const decodeNumbers = (_key: string, value: unknown): unknown =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { __float__?: unknown }).__float__ === 'string' &&
  Object.keys(value).length === 1
    ? Number((value as { __float__: string }).__float__)
    : value

/** Replace refs with `{ __tensor__: name }`, naming new tensors `${prefix}/${i}`. */
const nameRefs = (
  value: unknown,
  prefix: string,
  named: Map<number, string>,
  tensors: Array<readonly [string, TensorRef]>,
): unknown => {
  if (isRef(value)) {
    let name = named.get(value.id)
    if (name === undefined) {
      name = `${prefix}/${tensors.length}`
      named.set(value.id, name)
      tensors.push([name, value])
    }
    return { __tensor__: name }
  }
  if (Array.isArray(value)) return value.map((v) => nameRefs(v, prefix, named, tensors))
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nameRefs(v, prefix, named, tensors)]))
  return value
}

export interface SaveParts {
  readonly saveOptimizer: boolean
  readonly saveParamScheduler: boolean
}

/** Where rank `rank`'s open-window sum of slot `slot` for parameter `name` lies in the file. */
const sumName = (rank: number, slot: number, name: string): string => `optimizer/rank${rank}/${slot}/${name}`

/** The names of every rank's open-window sums, in the state's `windowSums` (rank 0's are the state's own sums). */
const sumNames = (sums: WindowSums): { worldSize: number; ranks: Array<Array<{ [name: string]: string } | null>> } => ({
  worldSize: sums.worldSize,
  ranks: sums.ranks.map((rank, r) =>
    rank.map((slot, s) =>
      slot === null ? null : Object.fromEntries(Object.keys(slot).map((name) => [name, sumName(r, s, name)])),
    ),
  ),
})

/**
 * The checkpoint file for `state`: safetensors bytes (tensors are read back asynchronously, as every backend allows).
 * `windowSums`, every rank's sums of an open accumulation window (a data-parallel run), are stored with the optimizer.
 */
export const encode = async (
  state: State,
  store: TensorStore,
  meta: CheckpointMeta,
  parts: SaveParts,
  windowSums?: WindowSums,
): Promise<Uint8Array> => {
  const tensors: Array<readonly [string, TensorRef]> = []
  const named = new Map<number, string>()
  const perRank = parts.saveOptimizer ? windowSums : undefined
  // Rank 0's sums are the state's own tensors: named per rank here, the state refers to them by these names, so a
  // reader that knows nothing of ranks (an earlier loopwright) still finds rank 0's sum where the state says.
  if (perRank !== undefined)
    openSums(state).forEach((tree, s) => {
      for (const [name, ref] of Object.entries(tree ?? {})) {
        named.set(ref.id, sumName(0, s, name))
        tensors.push([sumName(0, s, name), ref])
      }
    })
  const byName = (tree: TensorTree): { [name: string]: string } =>
    Object.fromEntries(
      Object.entries(tree).map(([name, ref]) => {
        named.set(ref.id, name)
        tensors.push([name, ref])
        return [name, name]
      }),
    )
  const model = {
    params: byName(state.model.params),
    buffers: byName(state.model.buffers),
    attributes: state.model.attributes,
    training: state.model.training,
  }
  const optim = Optim.read(state.optim)
  const optimData =
    optim === undefined
      ? null
      : {
          slots: optim.slots.map(({ name, slot }) => ({
            name: name ?? null,
            groups: slot.groups,
            schedulers: parts.saveParamScheduler ? slot.schedulers : null,
            tensors: parts.saveOptimizer ? nameRefs(slot.tensors, 'optimizer', named, tensors) : null,
          })),
        }
  const body = {
    counters: state.counters,
    seed: state.seed,
    rng: state.rng,
    data: state.data,
    messageHub: Hub.toData(state.messageHub),
    model,
    optim: optimData,
    hooks: nameRefs(state.hooks, 'hooks', named, tensors),
    outputs: state.outputs,
    metrics: state.metrics ?? null,
    stopTraining: state.stopTraining,
    ...(perRank === undefined ? {} : { windowSums: sumNames(perRank) }),
  }
  const entries: { [name: string]: Safetensors.TensorEntry } = {}
  perRank?.ranks.forEach((rank, r) => {
    if (r === 0) return
    rank.forEach((slot, s) => {
      for (const [name, { shape, values }] of Object.entries(slot ?? {}))
        entries[sumName(r, s, name)] = { dtype: 'F32', shape, data: values }
    })
  })
  const read = await Promise.all(tensors.map(([, ref]) => store.get(ref).data()))
  tensors.forEach(([name, ref], i) => {
    const t = store.get(ref)
    const shape = [...t.shape]
    const data = read[i]!
    entries[name] =
      t.dtype === 'int32'
        ? { dtype: 'I32', shape, data: data as Int32Array }
        : t.dtype === 'bool'
          ? { dtype: 'BOOL', shape, data: Uint8Array.from(data as Uint8Array) }
          : { dtype: 'F32', shape, data: data as Float32Array }
  })
  const metaText = JSON.stringify(meta, encodeNumbers)
  const stateText = JSON.stringify(body, encodeNumbers)
  return Safetensors.encode(entries, {
    format: FORMAT,
    version: String(VERSION),
    meta: metaText,
    state: stateText,
    checksum: checksumOf(metaText, stateText, entries),
  })
}

/** A checkpoint file that cannot be used, and why. */
export interface CheckpointProblem {
  readonly path: string
  readonly message: string
}

/** A decoded checkpoint: its meta and the state, with tensors registered in `store`. */
export interface Loaded {
  readonly meta: CheckpointMeta
  readonly state: State
  /** Whether the optimizer state and the schedulers were saved. */
  readonly hasOptimizer: boolean
  readonly hasSchedulers: boolean
  /** Every rank's open accumulation window sums, when a data-parallel run saved inside a window. */
  readonly windowSums: WindowSums | undefined
}

/** Read a checkpoint's bytes. Tensors are created only when the whole file checks out. */
export const decode = (bytes: Uint8Array, path: string, store: TensorStore): E.Either<CheckpointProblem, Loaded> => {
  const file = Safetensors.decode(bytes)
  return file._tag === 'Left'
    ? E.left({ path, message: `not a readable safetensors file: ${file.left.message}` })
    : fromFile(file.right, path, store)
}

/** {@link decode} for a file already parsed as safetensors. */
export const fromFile = (
  file: Safetensors.Decoded,
  path: string,
  store: TensorStore,
): E.Either<CheckpointProblem, Loaded> => {
  const { tensors, metadata } = file
  if (metadata['format'] !== FORMAT)
    return E.left({
      path,
      message:
        `a safetensors file, but not a loopwright checkpoint (no '${FORMAT}' format ` +
        `tag); load plain weights with load_from`,
    })
  if (metadata['version'] !== String(VERSION))
    return E.left({
      path,
      message:
        `checkpoint format version ${metadata['version']} is not supported (this ` +
        `loopwright reads version ${VERSION})`,
    })
  if (metadata['checksum'] === undefined)
    return E.left({
      path,
      message: 'the checkpoint carries no checksum; it was not written by loopwright or was altered',
    })
  if (checksumOf(metadata['meta'] ?? '', metadata['state'] ?? '', tensors) !== metadata['checksum'])
    return E.left({
      path,
      message: 'checksum mismatch: the file is corrupted (its bytes differ from what was written)',
    })
  let meta: CheckpointMeta
  let body: { [key: string]: unknown }
  try {
    meta = JSON.parse(metadata['meta'] ?? 'null', decodeNumbers) as CheckpointMeta
    body = JSON.parse(metadata['state'] ?? 'null', decodeNumbers) as { [key: string]: unknown }
  } catch (e) {
    return E.left({
      path,
      message: `the checkpoint's state is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    })
  }
  if (typeof body !== 'object' || body === null || typeof meta !== 'object' || meta === null)
    return E.left({ path, message: 'the checkpoint holds no state' })
  const missing = new Set<string>()
  const refFor = new Map<string, TensorRef>()
  const tensorNamed = (name: string): TensorRef | undefined => {
    const cached = refFor.get(name)
    if (cached !== undefined) return cached
    const entry = tensors[name]
    if (entry === undefined) {
      missing.add(name)
      return undefined
    }
    const dtype = entry.dtype === 'I32' ? 'int32' : entry.dtype === 'BOOL' ? 'bool' : 'float32'
    const ref = store.ref(tf.tensor(entry.data as Float32Array, entry.shape as number[], dtype))
    refFor.set(name, ref)
    return ref
  }
  const withTensors = (value: unknown): unknown => {
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { __tensor__?: unknown }).__tensor__ === 'string' &&
      Object.keys(value).length === 1
    )
      return tensorNamed((value as { __tensor__: string }).__tensor__)
    if (Array.isArray(value)) return value.map(withTensors)
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withTensors(v)]))
    return value
  }
  const treeOf = (names: unknown): TensorTree =>
    Object.fromEntries(
      Object.keys((names ?? {}) as object).flatMap((name) => {
        const ref = tensorNamed(name)
        return ref === undefined ? [] : [[name, ref] as const]
      }),
    )
  try {
    return build(body, meta, path, store, withTensors, treeOf, missing, refFor, tensors)
  } catch (e) {
    // A file with a valid checksum but a state of the wrong shape (written by hand, or by another version).
    for (const ref of refFor.values()) store.get(ref).dispose()
    return E.left({
      path,
      message: `the checkpoint's state is malformed (${e instanceof Error ? e.message : String(e)})`,
    })
  }
}

const build = (
  body: { [key: string]: unknown },
  meta: CheckpointMeta,
  path: string,
  store: TensorStore,
  withTensors: (value: unknown) => unknown,
  treeOf: (names: unknown) => TensorTree,
  missing: Set<string>,
  refFor: Map<string, TensorRef>,
  entries: Safetensors.Entries,
): E.Either<CheckpointProblem, Loaded> => {
  for (const key of ['counters', 'rng', 'data', 'messageHub', 'model'])
    if (typeof body[key] !== 'object' || body[key] === null) throw new Error(`'${key}' is missing`)
  const model = body['model'] as {
    params: unknown
    buffers: unknown
    attributes: { [k: string]: Json }
    training: boolean
  }
  const optimData = body['optim'] as {
    slots: Array<{
      name: string | null
      groups: Optim.WrapperSlot['groups']
      schedulers: Optim.WrapperSlot['schedulers'] | null
      tensors: unknown
    }>
  } | null
  const state: State = {
    counters: body['counters'] as State['counters'],
    seed: body['seed'] as number,
    rng: body['rng'] as State['rng'],
    data: body['data'] as State['data'],
    messageHub: Hub.fromData(body['messageHub'] as Hub.HubData),
    model: {
      params: treeOf(model.params),
      buffers: treeOf(model.buffers),
      attributes: model.attributes,
      training: model.training,
    },
    optim:
      optimData === null
        ? {}
        : Optim.write({
            _tag: 'OptimState',
            slots: optimData.slots.map((s) => ({
              name: s.name ?? undefined,
              slot: {
                groups: s.groups,
                schedulers: s.schedulers ?? [],
                tensors: s.tensors === null ? undefined : withTensors(s.tensors),
              },
            })),
          }),
    hooks: withTensors(body['hooks']) as State['hooks'],
    outputs: body['outputs'] as State['outputs'],
    lastBatch: undefined,
    metrics: (body['metrics'] ?? undefined) as State['metrics'],
    stopTraining: body['stopTraining'] === true,
  }
  if (missing.size > 0) {
    for (const ref of refFor.values()) store.get(ref).dispose()
    return E.left({
      path,
      message: `the state names tensors the file does not hold: ${[...missing].slice(0, 5).join(', ')}`,
    })
  }
  return E.right({
    meta,
    state,
    hasOptimizer: optimData?.slots.every((s) => s.tensors !== null) === true,
    hasSchedulers: optimData?.slots.every((s) => s.schedulers !== null) === true,
    windowSums: body['windowSums'] === undefined ? undefined : windowSumsOf(body['windowSums'], entries, state),
  })
}

/**
 * The per-rank sums a checkpoint names, read from its tensors; each rank's must have the names and shapes of the
 * state's own open sums (throws, as a malformed state, otherwise).
 */
const windowSumsOf = (value: unknown, entries: Safetensors.Entries, state: State): WindowSums => {
  const { worldSize, ranks } = value as { worldSize: unknown; ranks: unknown }
  if (typeof worldSize !== 'number' || !Array.isArray(ranks) || ranks.length !== worldSize || worldSize < 2)
    throw new Error(`'windowSums' must list the sums of every one of at least 2 ranks`)
  const own = openSums(state)
  return {
    worldSize,
    ranks: ranks.map((rank: unknown, r): RankSums => {
      if (!Array.isArray(rank) || rank.length !== own.length)
        throw new Error(`'windowSums' of rank ${r} must have one entry per optimizer slot (${own.length})`)
      return rank.map((slot: unknown, s) => {
        const names = own[s]
        if (slot === null && names === undefined) return null
        if (slot === null || names === undefined || typeof slot !== 'object')
          throw new Error(`'windowSums' of rank ${r}, slot ${s} disagrees with the state's open window`)
        const byName = slot as { [name: string]: unknown }
        if (Object.keys(byName).sort().join('\n') !== Object.keys(names).sort().join('\n'))
          throw new Error(`'windowSums' of rank ${r}, slot ${s} names other parameters than the state's open window`)
        return Object.fromEntries(
          Object.entries(names).map(([name, ref]) => {
            const entry = entries[String(byName[name])]
            if (entry === undefined || entry.dtype !== 'F32' || entry.shape.join(',') !== ref.shape.join(','))
              throw new Error(`'windowSums' of rank ${r}: no float32 tensor ${String(byName[name])} [${ref.shape}]`)
            return [name, { shape: [...entry.shape], values: entry.data as Float32Array }]
          }),
        )
      })
    }),
  }
}

/** The format tag of a published weights file (`published_keys` without optimizer or state keys). */
export const WEIGHTS_FORMAT = 'loopwright.weights'

/** Keys a published file may keep; MMEngine's checkpoint dict keys. */
const weightKeys: ReadonlySet<string> = new Set(['meta', 'state_dict'])

/**
 * `CheckpointHook(published_keys=...)`: the bytes of a checkpoint keeping
 * only `keys`. With `meta` and/or `state_dict` only, the result is a weights
 * file: the parameters and buffers under their names, and the meta. Any other
 * key (`optimizer`, `message_hub`, `param_schedulers`, …) keeps the whole,
 * resumable checkpoint.
 */
export const publish = (
  bytes: Uint8Array,
  path: string,
  keys: ReadonlyArray<string>,
): E.Either<CheckpointProblem, Uint8Array> => {
  if (keys.some((k) => !weightKeys.has(k))) return E.right(bytes)
  const file = Safetensors.decode(bytes)
  if (file._tag === 'Left') return E.left({ path, message: `not a readable safetensors file: ${file.left.message}` })
  const { tensors, metadata } = file.right
  const entries: { [name: string]: Safetensors.TensorEntry } = {}
  if (keys.includes('state_dict'))
    for (const [name, entry] of Object.entries(tensors))
      if (!name.startsWith('optimizer/') && !name.startsWith('hooks/')) entries[name] = entry
  return E.right(
    Safetensors.encode(entries, {
      format: WEIGHTS_FORMAT,
      version: String(VERSION),
      ...(keys.includes('meta') && metadata['meta'] !== undefined ? { meta: metadata['meta'] } : {}),
    }),
  )
}

/** `<stem>-<first 8 hex digits of the SHA-256 of the bytes>.safetensors`, as MMEngine names published files. */
export const publishedName = (path: string, bytes: Uint8Array): string =>
  `${path.replace(/\.safetensors$/, '')}-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}.safetensors`
