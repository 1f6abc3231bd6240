/**
 * MMPretrain's `LearningRateDecayOptimWrapperConstructor` (spec §11.2).
 *
 * Its options live in `paramwise_cfg`: `layer_decay_rate` (default 1.0),
 * `bias_decay_mult`, `norm_decay_mult`, `flat_decay_mult` and `custom_keys`
 * (weight decay only). One group per parameter, in module order, with
 * `lr = base_lr · rate^(max_id − layer_id − 1)` from the model's
 * `get_layer_depth`, and the keys `lr_scale`, `layer_id`, `param_name`.
 * Weight decay (only when `optimizer.weight_decay` is set), first rule that
 * applies: custom key (longest match; its other keys are copied) > norm >
 * bias > flat (`ndim == 1`) > `base_wd`. An empty `paramwise_cfg` falls back
 * to the inherited single group, without layer decay.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue, Json } from '../../schema/codec.js'
import { firstMatch, sortKeys, unusedKeyWarnings } from './customKeys.js'
import type { Matched } from './customKeys.js'
import { powInt } from './floatPow.js'
import { isNorm, ownNameOf, tensorOf } from '../../models/ModelInfo.js'
import type { ModelInfo, ParamInfo } from '../../models/ModelInfo.js'
import { withBackboneFromNames } from './backboneFromNames.js'
import { pretrainLayerDepth } from './pretrainLayerDepth.js'
import { pyFloat } from './pyRepr.js'
import { baseWdIssues, ignoredKeyWarnings, readInputs } from './readCfg.js'
import type { Base, Paramwise } from './readCfg.js'
import type { ConstructorOptions, ConstructorResult, GroupRecord } from './types.js'

const name = 'mmpretrain.LearningRateDecayOptimWrapperConstructor'
const reads = ['custom_keys', 'layer_decay_rate', 'bias_decay_mult', 'norm_decay_mult', 'flat_decay_mult']

/** `weight_decay` and the copied custom-key settings of one parameter (empty without `base_wd`). */
const decayOf = (p: ParamInfo, key: string | undefined, pw: Paramwise, base: Base): { [key: string]: Json } => {
  if (base.wd === undefined) return {}
  if (key !== undefined) {
    // `decay_mult` is popped; the entry's other keys are copied (an `lr` among them is overwritten below).
    const { decay_mult: decayMult, ...rest } = pw.customKeys.get(key)!
    return { weight_decay: base.wd * ((decayMult as number | undefined) ?? 1.0), ...rest }
  }
  const { norm_decay_mult, bias_decay_mult, flat_decay_mult } = pw.mult
  if (isNorm(p.module) && norm_decay_mult !== undefined) return { weight_decay: base.wd * norm_decay_mult }
  if (ownNameOf(p.name) === 'bias' && bias_decay_mult !== undefined) return { weight_decay: base.wd * bias_decay_mult }
  if (p.shape.length === 1 && flat_decay_mult !== undefined) return { weight_decay: base.wd * flat_decay_mult }
  return { weight_decay: base.wd }
}

/**
 * MMPretrain's layer-decay constructor.
 *
 * @example
 * ```ts
 * pretrainLayerDecayConstructor(
 *   { type: 'AdamW', lr: 4e-3, weight_decay: 0.05 },
 *   { layer_decay_rate: 0.75, norm_decay_mult: 0, flat_decay_mult: 0, custom_keys: { '.cls_token': { decay_mult: 0 } }
 * },
 *   model, // backbone: { kind: 'vit', numLayers: 12 }
 * )
 // Right: one group per parameter, e.g. { params: ['backbone.cls_token'], weight_decay: 0, lr: 4e-3 * 0.75 ** 13,
 // lr_scale: …, layer_id: 0, param_name: 'backbone.cls_token' }
 *
 * ```
 */
export const pretrainLayerDecayConstructor = (
  optimizer: unknown,
  paramwiseCfg: unknown,
  declared: ModelInfo,
  options: ConstructorOptions = {},
): E.Either<ReadonlyArray<Issue>, ConstructorResult> => {
  // Backbone facts the model does not declare (num_layers, depths) follow from its parameter names.
  const model = withBackboneFromNames(declared)
  const { at, opt, pw, issues } = readInputs(optimizer, paramwiseCfg, model, options.path)
  if (issues.length > 0) return E.left(issues)
  const tensor = tensorOf(model)
  if (pw.empty) {
    const warning =
      `paramwise_cfg is empty: ${name} then builds one group with every parameter and ` +
      `no layer decay (set paramwise_cfg.layer_decay_rate)`
    return E.right({
      groups: [{ params: model.params.filter((p) => tensor(p) === p.name).map((p) => p.name) }],
      log: [],
      warnings: [warning],
      optimizerCfg: opt.cfg,
    })
  }
  issues.push(...baseWdIssues(pw, opt.base, at))
  if (opt.base.lr === undefined)
    issues.push({ path: `${at}.optimizer.lr`, message: `required by ${name}: every group's lr is base_lr * lr_scale` })
  if (issues.length > 0) return E.left(issues)
  const baseLr = opt.base.lr!
  const rate = pw.mult.layer_decay_rate ?? 1.0

  const warnings: string[] = [...ignoredKeyWarnings(pw, reads, name)]
  for (const [key, entry] of pw.customKeys)
    if (entry['lr_mult'] !== undefined)
      warnings.push(
        `paramwise_cfg.custom_keys.${key}.lr_mult has no effect: ${name} copies it into ` +
          `the group but sets lr from the layer depth`,
      )
  if (opt.base.wd === undefined) {
    if (pw.customKeys.size > 0)
      warnings.push(
        `custom_keys have no effect without optimizer.weight_decay: ${name} applies them only to weight decay`,
      )
    warnings.push(
      `optimizer.weight_decay is not set: groups carry no weight_decay (MMPretrain's ` +
        `own group log then fails with KeyError 'weight_decay')`,
    )
  }
  const sorted = sortKeys(pw.customKeys.keys())
  const groups: GroupRecord[] = []
  const matched: Matched[] = []
  const grouped = new Map<string, string>()
  for (const p of model.params) {
    if (!p.requiresGrad) {
      warnings.push(`${p.name} is skipped since its requires_grad=False`)
      matched.push({ matchName: p.name, eligible: false, winner: undefined })
      continue
    }
    const holder = grouped.get(tensor(p))
    if (holder !== undefined) {
      issues.push({
        path: 'model.params',
        message:
          `'${p.name}' is the same tensor as '${holder}': ${name} gives each its own group ` +
          `and torch raises "some parameters appear in more than one parameter group" ` +
          `(bypass_duplicate is not read)`,
      })
      continue
    }
    grouped.set(tensor(p), p.name)
    // Custom keys are only consulted under a base weight decay.
    const key = opt.base.wd === undefined ? undefined : firstMatch(sorted, p.name)
    matched.push({ matchName: p.name, eligible: opt.base.wd !== undefined, winner: key })
    const depth = pretrainLayerDepth(p, model.backbone)
    if (depth._tag === 'Left') {
      if (!issues.some((i) => i.path === depth.left.path)) issues.push(depth.left)
      continue
    }
    const [layerId, maxId] = depth.right
    const lrScale = powInt(rate, maxId - layerId - 1)
    groups.push({
      params: [p.name],
      ...decayOf(p, key, pw, opt.base),
      lr: baseLr * lrScale,
      lr_scale: lrScale,
      layer_id: layerId,
      param_name: p.name,
    })
  }
  if (issues.length > 0) return E.left(issues)

  // MMPretrain logs the groups layer by layer, layers in first-seen order.
  const byLayer = new Map<Json, GroupRecord[]>()
  for (const g of groups) byLayer.set(g['layer_id'] ?? null, [...(byLayer.get(g['layer_id'] ?? null) ?? []), g])
  const log = [...byLayer].map(([layerId, gs]) =>
    [
      `layer ${String(layerId)} params:`,
      ...gs.map(
        (g) =>
          `\t${String(g['param_name'])}: lr=${pyFloat(g['lr'] as number)}, ` +
          `weight_decay=${typeof g['weight_decay'] === 'number' ? pyFloat(g['weight_decay']) : 'None'}`,
      ),
    ].join('\n'),
  )
  return E.right({
    groups,
    log,
    warnings: [...warnings, ...(opt.base.wd === undefined ? [] : unusedKeyWarnings(sorted, matched, 'longer'))],
    optimizerCfg: opt.cfg,
  })
}
