/**
 * MMEngine's `DefaultOptimWrapperConstructor` (spec §10): param groups from
 * `paramwise_cfg`.
 *
 * - Empty (or absent) `paramwise_cfg`: one group with every parameter,
 *   frozen ones included (`model.parameters()`, shared tensors once).
 * - Otherwise one group per parameter, in module order. Per parameter:
 *   duplicate check (with `bypass_duplicate`), frozen check, then the first
 *   matching `custom_keys` entry (which excludes every other rule), else the
 *   type rules (bias, dcn offset lr; norm > bias > dwconv > flat decay).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue, Json } from '../../schema/codec.js'
import { firstMatch, sortKeys, unusedKeyWarnings } from './customKeys.js'
import type { Matched } from './customKeys.js'
import { isConv2d, isDwConv, isNorm, matchNameOf, ownNameOf, prefixOf, tensorOf } from '../../models/ModelInfo.js'
import type { ModelInfo, ParamInfo } from '../../models/ModelInfo.js'
import { pyStr } from './pyRepr.js'
import { baseWdIssues, ignoredKeyWarnings, multiplierKeys, readInputs } from './readCfg.js'
import type { Base, Paramwise } from './readCfg.js'
import type { CfgDict, ConstructorOptions, ConstructorResult, GroupRecord } from './types.js'

/** The `paramwise_cfg` keys this constructor honours: every multiplier but `layer_decay_rate` (LearningRateDecay's). */
const reads = ['custom_keys', ...multiplierKeys.filter((k) => k !== 'layer_decay_rate'), 'bypass_duplicate']

/** The keys one parameter's group sets besides `params`. */
type Overrides = { [key: string]: Json }

/**
 * The overrides of one trainable parameter: a custom key's, else the type rules'. `needLr` reports a missing `base_lr`.
 */
const overridesOf = (
  p: ParamInfo,
  key: string | undefined,
  pw: Paramwise,
  base: Base,
  needLr: (why: string) => number,
): Overrides => {
  const group: Overrides = {}
  if (key !== undefined) {
    const entry = pw.customKeys.get(key)!
    group['lr'] =
      needLr(`custom_keys '${key}' matches '${matchNameOf(p.name)}'`) * ((entry['lr_mult'] as number | undefined) ?? 1)
    if (base.wd !== undefined) group['weight_decay'] = base.wd * ((entry['decay_mult'] as number | undefined) ?? 1)
    // Every key of the entry is copied, multipliers and flags (lars_exclude, fix_lr, …) alike
    // (defined, not assigned, so that even a key named `__proto__` is just a key).
    for (const [k, v] of Object.entries(entry))
      Object.defineProperty(group, k, { value: v, enumerable: true, writable: true, configurable: true })
    return group
  }
  const name = ownNameOf(p.name)
  const prefix = prefixOf(p.name)
  const norm = isNorm(p.module)
  const dcn = p.inDcn === true
  const { bias_lr_mult, dcn_offset_lr_mult, norm_decay_mult, bias_decay_mult, dwconv_decay_mult, flat_decay_mult } =
    pw.mult
  if (name === 'bias' && !(norm || dcn) && bias_lr_mult !== undefined)
    group['lr'] = needLr('bias_lr_mult is set') * bias_lr_mult
  // The offset conv of a DCN: overrides bias_lr_mult for its bias.
  if (prefix.includes('conv_offset') && dcn && dcn_offset_lr_mult !== undefined && isConv2d(p.module))
    group['lr'] = needLr('dcn_offset_lr_mult is set') * dcn_offset_lr_mult
  if (base.wd !== undefined) {
    if (norm && norm_decay_mult !== undefined) group['weight_decay'] = base.wd * norm_decay_mult
    else if (name === 'bias' && !dcn && bias_decay_mult !== undefined) group['weight_decay'] = base.wd * bias_decay_mult
    else if (isDwConv(p.module) && dwconv_decay_mult !== undefined) group['weight_decay'] = base.wd * dwconv_decay_mult
    else if (p.shape.length === 1 && !dcn && flat_decay_mult !== undefined)
      group['weight_decay'] = base.wd * flat_decay_mult
  }
  return group
}

/**
 * MMEngine's `DefaultOptimWrapperConstructor`: the param groups for
 * `optimizer` and `paramwise_cfg` on `model`.
 *
 * @example
 * ```ts
 * const model = { params: [
 *   { name: 'conv.weight', shape: [4, 3, 1, 1], requiresGrad: true, module: { type: 'Conv2d', inChannels: 3 } },
 *   { name: 'conv.bias', shape: [4], requiresGrad: true, module: { type: 'Conv2d', inChannels: 3 } },
 * ] }
 * defaultConstructor({ type: 'SGD', lr: 0.1, weight_decay: 1e-4 }, { bias_lr_mult: 2, bias_decay_mult: 0 }, model)
 * // Right: groups [{ params: ['conv.weight'] }, { params: ['conv.bias'], lr: 0.2, weight_decay: 0 }]
 * ```
 */
export const defaultConstructor = (
  optimizer: unknown,
  paramwiseCfg: unknown,
  model: ModelInfo,
  options: ConstructorOptions = {},
): E.Either<ReadonlyArray<Issue>, ConstructorResult> => {
  const { at, opt, pw, issues } = readInputs(optimizer, paramwiseCfg, model, options.path)
  if (issues.length > 0) return E.left(issues)
  const tensor = tensorOf(model)
  const optimizerCfg: CfgDict = opt.cfg
  if (pw.empty) {
    // `model.parameters()`: every tensor once, frozen ones included.
    return E.right({
      groups: [{ params: model.params.filter((p) => tensor(p) === p.name).map((p) => p.name) }],
      log: [],
      warnings: [],
      optimizerCfg,
    })
  }
  const wdIssues = baseWdIssues(pw, opt.base, at)
  if (wdIssues.length > 0) return E.left(wdIssues)

  const sorted = sortKeys(pw.customKeys.keys())
  const groups: GroupRecord[] = []
  const log: string[] = []
  const warnings: string[] = [...ignoredKeyWarnings(pw, reads, 'DefaultOptimWrapperConstructor')]
  const matched: Matched[] = []
  const grouped = new Map<string, string>() // tensor → the name it was grouped under
  const needLr =
    (p: ParamInfo) =>
    (why: string): number => {
      if (opt.base.lr !== undefined) return opt.base.lr
      // One report is enough: every later rule needs the same missing value.
      if (!issues.some((i) => i.path === `${at}.optimizer.lr`))
        issues.push({
          path: `${at}.optimizer.lr`,
          message: `required: ${why} for '${p.name}', and MMEngine computes base_lr * mult (None * mult fails)`,
        })
      return NaN
    }
  for (const p of model.params) {
    const prefix = prefixOf(p.name)
    const matchName = matchNameOf(p.name)
    const holder = grouped.get(tensor(p))
    if (pw.bypassDuplicate && holder !== undefined) {
      warnings.push(
        `${prefix} is duplicate. It is skipped since bypass_duplicate=True ('${p.name}' ` +
          `is the same tensor as '${holder}')`,
      )
      matched.push({ matchName, eligible: false, winner: undefined })
      continue
    }
    if (!p.requiresGrad) {
      warnings.push(`${matchName} is skipped since its requires_grad=False`)
      matched.push({ matchName, eligible: false, winner: undefined })
      continue
    }
    if (holder !== undefined) {
      issues.push({
        path: `${at}.paramwise_cfg.bypass_duplicate`,
        message:
          `'${p.name}' is the same tensor as '${holder}': torch raises "some parameters ` +
          `appear in more than one parameter group"; set bypass_duplicate=True to skip it`,
      })
      continue
    }
    const key = firstMatch(sorted, matchName)
    matched.push({ matchName, eligible: true, winner: key })
    const group: GroupRecord = { params: [p.name], ...overridesOf(p, key, pw, opt.base, needLr(p)) }
    grouped.set(tensor(p), p.name)
    groups.push(group)
    for (const [k, v] of Object.entries(group))
      if (k !== 'params') log.push(`paramwise_options -- ${p.name}:${k}=${pyStr(v)}`)
  }
  if (issues.length > 0) return E.left(dedupe(issues))
  return E.right({
    groups,
    log,
    warnings: [...warnings, ...unusedKeyWarnings(sorted, matched, 'longer')],
    optimizerCfg,
  })
}

const dedupe = (issues: ReadonlyArray<Issue>): ReadonlyArray<Issue> => {
  const seen = new Set<string>()
  return issues.filter((i) => {
    const id = `${i.path}\u0000${i.message}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}
