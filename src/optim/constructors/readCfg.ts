/**
 * Reading `optimizer` and `paramwise_cfg` the way the constructors do:
 * `base_lr = optimizer.get('lr')`, `base_wd = optimizer.get('weight_decay')`
 * (absent or `None` → `undefined`), and `DefaultOptimWrapperConstructor`'s
 * `_validate_cfg` checks, which every subclass inherits (spec §10).
 * @module
 */
import type { Issue, Json } from '../../schema/codec.js'
import { isDict, show } from '../../schema/codec.js'
import type { CfgDict } from './types.js'
import { validateModel as validateModelIssues } from '../../models/ModelInfo.js'

/** The multiplier options of `paramwise_cfg` (read with `.get(key, None)`). */
export const multiplierKeys = [
  'bias_lr_mult',
  'bias_decay_mult',
  'norm_decay_mult',
  'dwconv_decay_mult',
  'flat_decay_mult',
  'dcn_offset_lr_mult',
  'layer_decay_rate',
] as const
export type MultiplierKey = (typeof multiplierKeys)[number]

/** One `custom_keys` entry: `lr_mult`, `decay_mult` and any flags to copy into the group. */
export type CustomKeyCfg = { readonly [key: string]: Json }

export interface Base {
  /** `optimizer.get('lr')`; `undefined` for Python `None`. */
  readonly lr: number | undefined
  /** `optimizer.get('weight_decay')`; `undefined` for Python `None`. */
  readonly wd: number | undefined
}

export interface Paramwise {
  /** The dict as given (`{}` for `None`). */
  readonly raw: CfgDict
  /** `not paramwise_cfg`: the default constructor then gives one group with every parameter. */
  readonly empty: boolean
  /** Entries in config order. */
  readonly customKeys: ReadonlyMap<string, CustomKeyCfg>
  /** Set multipliers (a `None` value counts as unset). */
  readonly mult: Readonly<Partial<Record<MultiplierKey, number>>>
  readonly bypassDuplicate: boolean
}

const isNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

/**
 * The optimizer cfg and its base `lr`/`weight_decay`.
 *
 * @example
 * ```ts
 * readOptimizer({ type: 'AdamW', lr: 1e-3 }, 'optim_wrapper').base // { lr: 1e-3, wd: undefined }
 * ```
 */
export const readOptimizer = (
  optimizer: unknown,
  at: string,
): { readonly cfg: CfgDict; readonly base: Base; readonly issues: ReadonlyArray<Issue> } => {
  if (!isDict(optimizer))
    return {
      cfg: {},
      base: { lr: undefined, wd: undefined },
      issues: [
        { path: `${at}.optimizer`, message: `expected an optimizer dict with a \`type\`, got ${show(optimizer)}` },
      ],
    }
  const issues: Issue[] = []
  const read = (key: 'lr' | 'weight_decay'): number | undefined => {
    const v = optimizer[key]
    if (v === undefined || v === null) return undefined
    if (isNumber(v)) return v
    issues.push({ path: `${at}.optimizer.${key}`, message: `expected a number, got ${show(v)}` })
    return undefined
  }
  return { cfg: optimizer, base: { lr: read('lr'), wd: read('weight_decay') }, issues }
}

/**
 * Decode `paramwise_cfg` (types only: which keys a constructor reads is its own business).
 *
 * @example
 * ```ts
 * readParamwise({ bias_lr_mult: 'x' }, 'optim_wrapper').issues
 * // [{ path: 'optim_wrapper.paramwise_cfg.bias_lr_mult', message: 'expected a number, got "x"' }]
 * ```
 */
export const readParamwise = (
  paramwise: unknown,
  at: string,
): { readonly paramwise: Paramwise; readonly issues: ReadonlyArray<Issue> } => {
  const here = `${at}.paramwise_cfg`
  const raw: CfgDict = paramwise === undefined || paramwise === null ? {} : isDict(paramwise) ? paramwise : {}
  const issues: Issue[] = []
  if (paramwise !== undefined && paramwise !== null && !isDict(paramwise))
    issues.push({ path: here, message: `expected a dict, got ${show(paramwise)} (MMEngine raises TypeError)` })
  const customKeys = new Map<string, CustomKeyCfg>()
  const ck = raw['custom_keys']
  if (ck !== undefined) {
    if (!isDict(ck))
      issues.push({
        path: `${here}.custom_keys`,
        message: `expected a dict of {key: dict(lr_mult=…, decay_mult=…)}, got ${show(ck)} (MMEngine raises TypeError)`,
      })
    else
      for (const [key, entry] of Object.entries(ck)) {
        if (entry === undefined) continue
        if (!isDict(entry)) {
          issues.push({
            path: `${here}.custom_keys.${key}`,
            message: `expected a dict such as dict(lr_mult=0.1), got ${show(entry)}`,
          })
          continue
        }
        for (const m of ['lr_mult', 'decay_mult'] as const)
          if (entry[m] !== undefined && !isNumber(entry[m]))
            issues.push({
              path: `${here}.custom_keys.${key}.${m}`,
              message: `expected a number, got ${show(entry[m])}`,
            })
        if (entry['params'] !== undefined)
          issues.push({
            path: `${here}.custom_keys.${key}.params`,
            message: "'params' would replace the group's parameters; it cannot be a custom key setting",
          })
        customKeys.set(
          key,
          Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as CustomKeyCfg,
        )
      }
  }
  const mult: Partial<Record<MultiplierKey, number>> = {}
  for (const key of multiplierKeys) {
    const v = raw[key]
    if (v === undefined || v === null) continue
    if (isNumber(v)) mult[key] = v
    else issues.push({ path: `${here}.${key}`, message: `expected a number, got ${show(v)}` })
  }
  const bypass = raw['bypass_duplicate']
  if (bypass !== undefined && bypass !== null && typeof bypass !== 'boolean')
    issues.push({ path: `${here}.bypass_duplicate`, message: `expected true or false, got ${show(bypass)}` })
  const empty = Object.values(raw).every((v) => v === undefined)
  return { paramwise: { raw, empty, customKeys, mult, bypassDuplicate: bypass === true }, issues }
}

/**
 * `_validate_cfg`'s weight-decay rule: without `optimizer.weight_decay`, a
 * `decay_mult` in a custom key, or `bias_decay_mult`, `norm_decay_mult` or
 * `dwconv_decay_mult` (present at all, even `None`), is a ValueError.
 * `flat_decay_mult` is not checked: it is then silently unused.
 *
 * @example
 * ```ts
 * baseWdIssues(readParamwise({ norm_decay_mult: 0 }, 'optim_wrapper').paramwise, { lr: 0.1, wd: undefined },
 * 'optim_wrapper')
 * // [{ path: 'optim_wrapper.paramwise_cfg.norm_decay_mult', message: 'needs optimizer.weight_decay (…)' }]
 * ```
 */
export const baseWdIssues = (paramwise: Paramwise, base: Base, at: string): ReadonlyArray<Issue> => {
  if (base.wd !== undefined) return []
  const why = 'needs optimizer.weight_decay (MMEngine: ValueError "base_wd should not be None")'
  const issues: Issue[] = []
  for (const [key, entry] of paramwise.customKeys)
    if (Object.hasOwn(entry, 'decay_mult'))
      issues.push({ path: `${at}.paramwise_cfg.custom_keys.${key}.decay_mult`, message: why })
  for (const key of ['bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult'] as const)
    if (paramwise.raw[key] !== undefined) issues.push({ path: `${at}.paramwise_cfg.${key}`, message: why })
  return issues
}

/**
 * Warnings for `paramwise_cfg` keys a constructor does not read (MMEngine ignores them silently).
 *
 * @example
 * ```ts
 * const { paramwise } = readParamwise({ lr_mult: 2 }, 'optim_wrapper')
 * ignoredKeyWarnings(paramwise, ['custom_keys'], 'DefaultOptimWrapperConstructor')
 * // ['paramwise_cfg.lr_mult has no effect: … reads lr_mult only inside custom_keys entries …']
 * ```
 */
export const ignoredKeyWarnings = (
  paramwise: Paramwise,
  reads: ReadonlyArray<string>,
  constructorName: string,
): ReadonlyArray<string> =>
  Object.keys(paramwise.raw)
    .filter((k) => paramwise.raw[k] !== undefined && !reads.includes(k))
    .map((k) =>
      k === 'lr_mult' || k === 'decay_mult'
        ? `paramwise_cfg.${k} has no effect: ${constructorName} reads ${k} only inside ` +
          `custom_keys entries (the MMEngine docs list it at top level; spec §15 item 4)`
        : `paramwise_cfg.${k} has no effect: ${constructorName} does not read it`,
    )

/**
 * What every constructor reads first: the optimizer dict, `paramwise_cfg` and
 * the model description, with all their problems at once.
 */
export const readInputs = (
  optimizer: unknown,
  paramwiseCfg: unknown,
  model: import('../../models/ModelInfo.js').ModelInfo,
  path: string | undefined,
): {
  readonly at: string
  readonly opt: ReturnType<typeof readOptimizer>
  readonly pw: Paramwise
  readonly issues: Issue[]
} => {
  const at = path ?? 'optim_wrapper'
  const opt = readOptimizer(optimizer, at)
  const { paramwise: pw, issues: pwIssues } = readParamwise(paramwiseCfg, at)
  return { at, opt, pw, issues: [...validateModelIssues(model), ...opt.issues, ...pwIssues] }
}
