/**
 * `checkpoint_epoch_<n>`: the summary of MMEngine's `epoch_<n>.pth` mapped
 * onto loopwright's own checkpoint after epoch n (a safetensors file whose
 * metadata holds `meta` and the run state). The same information must be
 * there with the same values:
 *
 * - `keys` / `top_level_keys`: the sections present: `meta`; `state_dict` (model
 *   weights); `message_hub`; `optimizer` (optimizer tensors); `param_schedulers`
 *   (scheduler states); `ema_state_dict` (EMAHook state).
 * - `meta.epoch`, `meta.iter`, `meta.seed`: the checkpoint's meta, equal values.
 * - `meta.experiment_name`, `time`, `cfg`, `mmengine_version`, `dataset_meta`:
 *   present in loopwright's meta (`loopwright_version` for the version); the
 *   values are run-specific.
 * - `message_hub.log_scalars` / `runtime_info`: the hub's scalar / info keys (a
 *   list of keys, or key → value); `resumed_keys`: every key saved (only resumed
 *   keys are); loopwright's `loopwright_version` stands for `mmengine_version`.
 * - `optimizer`: `param_groups` (a count or list), `state` (the number of
 *   parameters with state).
 * - `state_dict`, `ema_state_dict` (`steps`, `module.<name>`): the weights (the
 *   average under EMAHook) and the EMAHook state (raw weights).
 * - `state_dict_equals_ema`, `ema_state_dict_equals_raw`: whether the saved
 *   weights are the average and the EMA state the raw weights.
 *
 * A key outside this list is a FAIL: the contract names no other.
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { isDict } from '../../src/schema/codec.js'
import * as Safetensors from '../../src/tensor/safetensors.js'
import { firstTensorMismatch, tensorClose } from './compare.js'
import { proseKeys } from './fields.js'
import type { Check } from './scenario.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })

type Named = { readonly [name: string]: number[] }

/** A loopwright checkpoint file as plain data. */
export interface CheckpointData {
  readonly file: string
  readonly meta: { readonly [key: string]: unknown }
  readonly stateDict: Named
  readonly ema: { readonly steps: number; readonly params: Named; readonly buffers: Named } | undefined
  readonly hub: {
    readonly scalars: ReadonlyArray<readonly [string, number[], number[]]>
    readonly info: ReadonlyArray<readonly [string, unknown]>
  }
  readonly optim: { readonly groups: number; readonly tensors: unknown; readonly schedulers: unknown } | undefined
}

/** Nested lists, `{shape, values}` records or flat lists, as one flat list of numbers; undefined for anything else. */
export const flatNumbers = (value: unknown): number[] | undefined => {
  if (isDict(value) && Array.isArray(value['values'])) return flatNumbers(value['values'])
  if (typeof value === 'number') return [value]
  if (!Array.isArray(value)) return undefined
  const out: number[] = []
  for (const v of value) {
    const inner = flatNumbers(v)
    if (inner === undefined) return undefined
    out.push(...inner)
  }
  return out
}

/** A recorded `{name: tensor}` dict as flat lists, or undefined when some entry is not numeric. */
export const tensorDict = (value: unknown): { [name: string]: number[] } | undefined => {
  if (!isDict(value)) return undefined
  const out: { [name: string]: number[] } = {}
  for (const [name, v] of Object.entries(value)) {
    const flat = flatNumbers(v)
    if (flat === undefined) return undefined
    out[name] = flat
  }
  return out
}

export const stripModule = (name: string): string => name.replace(/^module\./, '')

export const tensorsDiffer = (
  field: string,
  got: { readonly [name: string]: ReadonlyArray<number> },
  want: { readonly [name: string]: ReadonlyArray<number> },
): string | undefined => {
  const m = firstTensorMismatch(got, want)
  return m === undefined
    ? undefined
    : `${field}: max |Δ| ${m.diff === Infinity ? '(missing)' : m.diff.toExponential(1)} at ${m.name}[${m.index}]`
}

/** Read a loopwright checkpoint file. */
export const readCheckpoint = (file: string): E.Either<string, CheckpointData> => {
  // max_keep_ckpts may have removed it since.
  if (!fs.existsSync(file)) return E.left(`${nodePath.basename(file)} is no longer on disk`)
  const bytes = fs.readFileSync(file)
  const decoded = Safetensors.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  if (decoded._tag === 'Left') return E.left(`${file}: ${decoded.left.message}`)
  const { tensors, metadata } = decoded.right
  const values = (name: string): number[] => Array.from((tensors[name]?.data ?? []) as ArrayLike<number>)
  const state = JSON.parse(metadata['state'] ?? '{}') as {
    model?: { params?: object; buffers?: object }
    hooks?: { [key: string]: unknown }
    messageHub?: CheckpointData['hub']
    optim?: { slots: Array<{ groups: { real: unknown[] }; tensors: unknown; schedulers: unknown }> } | null
  }
  const resolve = (tree: unknown): Named =>
    Object.fromEntries(
      Object.entries(isDict(tree) ? tree : {}).map(([n, v]) => [
        n,
        isDict(v) && typeof v['__tensor__'] === 'string' ? values(v['__tensor__']) : [],
      ]),
    )
  const emaState = Object.values(state.hooks ?? {}).find((h) => isDict(h) && h['_tag'] === 'EMAHookState') as
    | { steps: number; params: unknown; buffers: unknown }
    | undefined
  const slot = state.optim?.slots[0]
  return E.right({
    file,
    meta: JSON.parse(metadata['meta'] ?? '{}') as CheckpointData['meta'],
    stateDict: Object.fromEntries(
      [...Object.keys(state.model?.params ?? {}), ...Object.keys(state.model?.buffers ?? {})].map((n) => [
        n,
        values(n),
      ]),
    ),
    ema:
      emaState === undefined
        ? undefined
        : { steps: emaState.steps, params: resolve(emaState.params), buffers: resolve(emaState.buffers) },
    hub: state.messageHub ?? { scalars: [], info: [] },
    optim:
      slot === undefined
        ? undefined
        : { groups: slot.groups.real.length, tensors: slot.tensors, schedulers: slot.schedulers },
  })
}

/** A message-hub key under MMEngine's name: loopwright keeps its own version where MMEngine keeps its. */
const asMMEngine = (key: string): string => (key === 'loopwright_version' ? 'mmengine_version' : key)

/** The sections loopwright's checkpoint holds, under MMEngine's names. */
const sectionsOf = (c: CheckpointData): string[] => [
  'meta',
  ...(Object.keys(c.stateDict).length > 0 ? ['state_dict'] : []),
  'message_hub',
  ...(c.optim?.tensors !== null && c.optim?.tensors !== undefined ? ['optimizer'] : []),
  ...(c.optim?.schedulers !== null && c.optim?.schedulers !== undefined && (c.optim.schedulers as unknown[]).length > 0
    ? ['param_schedulers']
    : []),
  ...(c.ema !== undefined ? ['ema_state_dict'] : []),
]

/**
 * Torch optimizer state entries per parameter, as loopwright's optimizer slot holds them (a count of parameters with
 * state).
 */
const paramsWithState = (tensors: unknown): number => {
  const names = new Set<string>()
  const visit = (v: unknown, path: string[]) => {
    if (isDict(v) && typeof v['__tensor__'] === 'string') {
      const name = path.find((p) => p.includes('.'))
      if (name !== undefined) names.add(name)
    } else if (isDict(v)) for (const [k, x] of Object.entries(v)) visit(x, [...path, k])
    else if (Array.isArray(v))
      v.forEach((x, i) => {
        visit(x, [...path, String(i)])
      })
  }
  visit(tensors, [])
  return names.size
}

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')

/** Keys of a recorded list of names or of a `key → value` dict. */
const keysOf = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((k) => typeof k === 'string') ? (v as string[]) : isDict(v) ? Object.keys(v) : undefined

/**
 * Check one `checkpoint_epoch_<n>` summary against loopwright's checkpoint
 * after epoch n. `raw` are the raw (never averaged) weights the run held
 * after that epoch, for the EMA equalities.
 */
export const checkCheckpointSummary = (
  field: string,
  recorded: unknown,
  c: CheckpointData,
  raw: Named | undefined,
): Check => {
  if (!isDict(recorded)) return fail(field, 'expected a dict summarising the checkpoint')
  const problems: string[] = []
  const compared: string[] = []
  const sections = sectionsOf(c)
  for (const [key, want] of Object.entries(recorded)) {
    if (proseKeys.has(key)) continue
    compared.push(key)
    if (key === 'keys' || key === 'top_level_keys') {
      const listed = keysOf(want)
      if (listed === undefined || !sameSet(listed, sections))
        problems.push(`${key}: loopwright's checkpoint holds ${sections.join(', ')}; recorded ${JSON.stringify(want)}`)
    } else if (key === 'meta') {
      if (!isDict(want)) problems.push('meta: expected a dict')
      else
        for (const [k, v] of Object.entries(want)) {
          if (k === 'epoch' || k === 'iter' || k === 'seed') {
            if (c.meta[k] !== v) problems.push(`meta.${k}: ${String(c.meta[k])} ≠ ${JSON.stringify(v)}`)
          } else if (k === 'mmengine_version') {
            if (typeof c.meta['loopwright_version'] !== 'string')
              problems.push('meta.mmengine_version: loopwright keeps no version in meta')
          } else if (['experiment_name', 'time', 'cfg', 'dataset_meta'].includes(k)) {
            if (!(k in c.meta) && !(k === 'dataset_meta' && v === null))
              problems.push(`meta.${k}: not in loopwright's meta`)
          } else
            problems.push(
              `meta.${k}: not a meta entry loopwright maps (epoch, iter, seed, experiment_name, time, cfg, ` +
                `mmengine_version, dataset_meta)`,
            )
        }
    } else if (key === 'message_hub') {
      if (!isDict(want)) problems.push('message_hub: expected {log_scalars, runtime_info}')
      else
        for (const [k, v] of Object.entries(want)) {
          const ours =
            k === 'log_scalars'
              ? c.hub.scalars.map(([s]) => s)
              : k === 'runtime_info'
                ? c.hub.info.map(([s]) => asMMEngine(s))
                : k === 'resumed_keys'
                  ? // Only resumed keys are saved, so every key the checkpoint holds is one.
                    [...c.hub.scalars.map(([s]) => s), ...c.hub.info.map(([s]) => asMMEngine(s))]
                  : undefined
          // `resumed_keys` may be recorded as MMEngine keeps it: key → whether it is resumed.
          const listed = k === 'resumed_keys' && isDict(v) ? Object.keys(v).filter((key) => v[key] === true) : keysOf(v)
          if (ours === undefined)
            problems.push(`message_hub.${k}: not a message-hub part (log_scalars, runtime_info, resumed_keys)`)
          else if (listed === undefined || !sameSet(listed, ours))
            problems.push(
              `message_hub.${k}: loopwright holds ${ours.join(', ')}; recorded ` +
                `${listed?.join(', ') ?? JSON.stringify(v)}`,
            )
          else if (k === 'log_scalars' && isDict(v))
            for (const [s, value] of Object.entries(v)) {
              const last = c.hub.scalars.find(([n]) => n === s)?.[1].at(-1)
              if (typeof value === 'number' && !/time|eta/.test(s) && (last === undefined || !tensorClose(last, value)))
                problems.push(`message_hub.log_scalars.${s}: ${String(last)} ≠ ${value}`)
            }
        }
    } else if (key === 'optimizer') {
      const groups = c.optim?.groups
      const state = c.optim === undefined ? 0 : paramsWithState(c.optim.tensors)
      const parts = isDict(want)
        ? want
        : keysOf(want) !== undefined
          ? Object.fromEntries(keysOf(want)!.map((k) => [k, undefined]))
          : undefined
      if (parts === undefined) problems.push('optimizer: expected its entries (state, param_groups)')
      else
        for (const [k, v] of Object.entries(parts)) {
          if (k === 'param_groups') {
            const n = Array.isArray(v) ? v.length : typeof v === 'number' ? v : undefined
            if (groups === undefined || (n !== undefined && n !== groups))
              problems.push(`optimizer.param_groups: loopwright ${String(groups)} ≠ ${JSON.stringify(v)}`)
          } else if (k === 'state') {
            const n = isDict(v) ? Object.keys(v).length : typeof v === 'number' ? v : undefined
            if (c.optim?.tensors === null || c.optim?.tensors === undefined || (n !== undefined && n !== state))
              problems.push(
                `optimizer.state: loopwright holds state for ${state} parameters, recorded ${JSON.stringify(v)}`,
              )
          } else problems.push(`optimizer.${k}: not an optimizer entry (state, param_groups)`)
        }
    } else if (key === 'state_dict') {
      const w = tensorDict(want)
      const bad =
        w === undefined
          ? 'state_dict: not a {name: values} dict'
          : tensorsDiffer(
              'state_dict',
              c.stateDict,
              Object.fromEntries(Object.entries(w).map(([n, v]) => [stripModule(n), v])),
            )
      if (bad !== undefined) problems.push(bad)
    } else if (key === 'ema_state_dict') {
      if (c.ema === undefined) problems.push('ema_state_dict: the checkpoint holds no EMAHook state')
      else if (!isDict(want)) problems.push('ema_state_dict: expected a dict')
      else {
        // With update_buffers=False MMEngine's average holds copies of the model's buffers, which the checkpoint keeps
        // as the model's.
        const held = {
          ...Object.fromEntries(Object.entries(c.stateDict).filter(([n]) => !(n in c.ema!.params))),
          ...c.ema.params,
          ...c.ema.buffers,
        }
        for (const [k, v] of Object.entries(want)) {
          if (k === 'steps') {
            if (flatNumbers(v)?.[0] !== c.ema.steps)
              problems.push(`ema_state_dict.steps: ${c.ema.steps} ≠ ${JSON.stringify(v)}`)
          } else if (k.startsWith('module.') && flatNumbers(v) !== undefined) {
            const name = stripModule(k)
            const bad =
              held[name] === undefined
                ? `ema_state_dict.${k}: not in the checkpoint`
                : tensorsDiffer(`ema_state_dict.${k}`, { [name]: held[name]! }, { [name]: flatNumbers(v)! })
            if (bad !== undefined) problems.push(bad)
          } else problems.push(`ema_state_dict.${k}: neither steps nor module.<name>`)
        }
      }
    } else if (key === 'steps' || key === 'ema_steps') {
      if (c.ema?.steps !== want) problems.push(`${key}: ${String(c.ema?.steps)} ≠ ${JSON.stringify(want)}`)
    } else if (key === 'state_dict_equals_ema' || key === 'ema_state_dict_equals_raw') {
      // Under EMAHook the saved weights are the average and the EMA state the raw weights: both hold exactly when
      // the EMA state equals the weights the run trained (and never when there is no EMAHook).
      const ours = c.ema !== undefined && raw !== undefined && firstTensorMismatch(c.ema.params, raw) === undefined
      if (ours !== want) problems.push(`${key}: ${ours} ≠ ${JSON.stringify(want)}`)
    } else problems.push(`${key}: not a checkpoint summary entry the contract defines`)
  }
  const note = `(${nodePath.basename(c.file)}; ${compared.join(', ')})`
  return problems.length === 0 ? pass(field, note) : fail(field, `${problems[0]} ${note}`)
}
