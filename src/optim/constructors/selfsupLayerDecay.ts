/**
 * MMSelfSup's `LearningRateDecayOptimWrapperConstructor` (spec §11.1):
 * layer-wise lr decay for vit, swin and mixmim backbones.
 *
 * Its options live in the optimizer cfg (`model_type`, required;
 * `layer_decay_rate`, default 1.0) and are popped before the optimizer is
 * built. `paramwise_cfg` contributes only `custom_keys[k].decay_mult`, and
 * the **last** matching key wins (the shortest; spec §15 item 19). Groups are
 * `layer_{id}_{decay|no_decay}` in first-seen order, each with
 * `lr = lr_scale · base_lr`, `lr_scale = rate^(num_layers − id − 1)`.
 * Unlike the default constructor, it always builds these groups, even
 * without `paramwise_cfg`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue, Json } from '../../schema/codec.js'
import { show } from '../../schema/codec.js'
import { lastMatch, sortKeys, unusedKeyWarnings } from './customKeys.js'
import type { Matched } from './customKeys.js'
import { powInt } from './floatPow.js'
import { tensorOf } from '../../models/ModelInfo.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import { withBackboneFromNames } from './backboneFromNames.js'
import { pyFloat, pyJsonDumps } from './pyRepr.js'
import { baseWdIssues, ignoredKeyWarnings, readInputs } from './readCfg.js'
import { selfsupLayerId, selfsupModelTypes, selfsupNumLayers } from './selfsupLayerId.js'
import type { SelfsupModelType } from './selfsupLayerId.js'
import type { CfgDict, ConstructorOptions, ConstructorResult, GroupRecord } from './types.js'

const name = 'mmselfsup.LearningRateDecayOptimWrapperConstructor'

interface Group {
  readonly weightDecay: number
  readonly params: string[]
  readonly lrScale: number
  readonly groupName: string
  readonly lr: number
}

/**
 * MMSelfSup's layer-decay constructor.
 *
 * @example
 * ```ts
 * selfsupLayerDecayConstructor(
 *   { type: 'AdamW', lr: 1e-3, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 0.75 },
 *   { custom_keys: { '.bias': { decay_mult: 0 }, '.pos_embed': { decay_mult: 0 } } },
 *   model, // backbone: { numLayers: 12 }
 * )
 * // Right: groups layer_0_no_decay (lr 1e-3 · 0.75^13), …; optimizerCfg without model_type/layer_decay_rate
 * ```
 */
export const selfsupLayerDecayConstructor = (
  optimizer: unknown,
  paramwiseCfg: unknown,
  declared: ModelInfo,
  options: ConstructorOptions = {},
): E.Either<ReadonlyArray<Issue>, ConstructorResult> => {
  // Backbone facts the model does not declare (num_layers, depths) follow from its parameter names.
  const model = withBackboneFromNames(declared)
  const { at, opt, pw, issues } = readInputs(optimizer, paramwiseCfg, model, options.path)
  if (issues.length > 0) return E.left(issues)

  const { model_type: modelType, layer_decay_rate: rateCfg, ...optimizerCfg } = opt.cfg
  if (modelType === undefined || modelType === null)
    issues.push({
      path: `${at}.optimizer.model_type`,
      message: `required by ${name}: one of 'vit', 'swin', 'mixmim' (MMSelfSup asserts it)`,
    })
  else if (!selfsupModelTypes.includes(modelType as SelfsupModelType))
    issues.push({
      path: `${at}.optimizer.model_type`,
      message: `expected one of 'vit', 'swin', 'mixmim', got ${show(modelType)}`,
    })
  const rate = rateCfg === undefined || rateCfg === null ? 1.0 : rateCfg
  if (typeof rate !== 'number' || !Number.isFinite(rate))
    issues.push({ path: `${at}.optimizer.layer_decay_rate`, message: `expected a number, got ${show(rateCfg)}` })
  if (opt.base.lr === undefined)
    issues.push({ path: `${at}.optimizer.lr`, message: `required by ${name}: every group's lr is lr_scale * base_lr` })
  if (opt.base.wd === undefined)
    issues.push({
      path: `${at}.optimizer.weight_decay`,
      message: `required by ${name}: groups are split by their weight decay`,
    })
  issues.push(...baseWdIssues(pw, opt.base, at))
  if (issues.length > 0) return E.left(issues)
  const type = modelType as SelfsupModelType
  const numLayers = selfsupNumLayers(type, model.backbone)
  if (numLayers._tag === 'Left') return E.left([numLayers.left])
  const baseLr = opt.base.lr!
  const baseWd = opt.base.wd!

  const warnings: string[] = [...ignoredKeyWarnings(pw, ['custom_keys'], name)]
  for (const [key, entry] of pw.customKeys)
    for (const k of Object.keys(entry))
      if (k !== 'decay_mult')
        warnings.push(`paramwise_cfg.custom_keys.${key}.${k} has no effect: ${name} reads only decay_mult`)
  const sorted = sortKeys(pw.customKeys.keys())
  const tensor = tensorOf(model)
  const seen = new Set<string>()
  const matched: Matched[] = []
  const groups = new Map<string, Group>()
  for (const p of model.params) {
    const t = tensor(p)
    // `named_parameters()` yields a shared tensor once.
    if (seen.has(t)) {
      warnings.push(`${p.name} is skipped: it is the same tensor as '${t}' (named_parameters() yields it once)`)
      continue
    }
    seen.add(t)
    if (!p.requiresGrad) {
      warnings.push(`${p.name} is skipped since its requires_grad=False`)
      matched.push({ matchName: p.name, eligible: false, winner: undefined })
      continue
    }
    // No `break` in MMSelfSup's loop: every matching key overwrites, so the last (shortest) wins.
    const key = lastMatch(sorted, p.name)
    matched.push({ matchName: p.name, eligible: true, winner: key })
    const weightDecay =
      key === undefined ? baseWd : baseWd * ((pw.customKeys.get(key)!['decay_mult'] as number | undefined) ?? 1.0)
    const layerId = selfsupLayerId(type, p.name, numLayers.right, model.backbone?.depths)
    if (layerId._tag === 'Left') {
      issues.push({ path: `${at}.optimizer.model_type`, message: `${type}: ${layerId.left}` })
      continue
    }
    const groupName = `layer_${layerId.right}_${weightDecay === 0 ? 'no_decay' : 'decay'}`
    const existing = groups.get(groupName)
    if (existing !== undefined) {
      existing.params.push(p.name)
      // Groups are keyed by layer and decay/no_decay only: the first parameter's weight decay holds for all.
      if (existing.weightDecay !== weightDecay)
        warnings.push(
          `${p.name} has weight decay ${pyFloat(weightDecay)} but joins ${groupName}, ` +
            `whose weight_decay is ${pyFloat(existing.weightDecay)} (groups are keyed by ` +
            `layer and decay/no_decay only)`,
        )
    } else {
      const lrScale = powInt(rate as number, numLayers.right - layerId.right - 1)
      groups.set(groupName, { weightDecay, params: [p.name], lrScale, groupName, lr: lrScale * baseLr })
    }
  }
  if (issues.length > 0) return E.left(issues)

  // Keys in MMSelfSup's order: weight_decay, params, param_names, lr_scale, group_name, lr.
  const records: GroupRecord[] = [...groups.values()].map((g) => ({
    weight_decay: g.weightDecay,
    params: [...g.params],
    param_names: [...g.params],
    lr_scale: g.lrScale,
    group_name: g.groupName,
    lr: g.lr,
  }))
  const display: { [key: string]: Json } = {}
  for (const g of groups.values())
    display[g.groupName] = { param_names: [...g.params], lr_scale: g.lrScale, lr: g.lr, weight_decay: g.weightDecay }
  const result: ConstructorResult = {
    groups: records,
    log: [`Param groups = ${pyJsonDumps(display, 2)}`],
    warnings: [...warnings, ...unusedKeyWarnings(sorted, matched, 'shorter')],
    optimizerCfg: optimizerCfg as CfgDict,
  }
  return E.right(result)
}
