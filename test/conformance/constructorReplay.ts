/**
 * Constructor-only scenarios (`model_kind`): the layer-decay param-group
 * constructor alone, on a model given only by its named parameters. The
 * constructor derives the layer count from the names (`backbone.layers.<i>`,
 * `backbone.stages.<s>.blocks.<b>`), as it does for any model that does not
 * declare it; nothing here tells it the count.
 */
import { resolveConstructor } from '../../src/optim/constructors/index.js'
import { backboneFromNames } from '../../src/optim/constructors/backboneFromNames.js'
import type { ModelInfo } from '../../src/optim/constructors/index.js'
import type { ParamGroup } from '../../src/optim/ParamGroups.js'
import { hyperMismatch } from './compare.js'
import { proseKeys } from './fields.js'
import { buildGroups, checkGroups } from './optimParts.js'
import type { Check, Scenario } from './scenario.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })

/** The owning module's class, as far as a parameter name tells it: norm layers by their usual names, else Linear. */
const moduleOf = (name: string): { readonly type: string } => {
  const owner = name.split('.').at(-2) ?? ''
  return /^(norm|ln|bn|gn)\d*$|_norm\d*$|^norm_/.test(owner) ? { type: 'LayerNorm' } : { type: 'Linear' }
}

/** A recorded parameter's shape: `{shape, values?}`, or the shape itself as a list. */
const shapeOf = (entry: unknown): ReadonlyArray<number> =>
  Array.isArray(entry)
    ? (entry as number[])
    : ((entry as { readonly shape?: ReadonlyArray<number> } | undefined)?.shape ?? [])

/** The model as the constructor sees it: names in `model_param_order`, shapes from `model`; no backbone facts. */
export const modelFromNames = (scenario: Scenario): ModelInfo => ({
  params: (scenario.model_param_order ?? Object.keys(scenario.model ?? {})).map((name) => ({
    name,
    shape: shapeOf(scenario.model?.[name]),
    requiresGrad: true,
    module: moduleOf(name),
  })),
})

/** Is this a constructor-only scenario? */
export const isConstructorOnly = (scenario: Scenario): boolean => scenario['model_kind'] !== undefined

/** `per_param`: each parameter's layer id, lr scale, lr and weight decay, looked up in the group that holds it. */
const checkPerParam = (
  recorded: unknown,
  groups: ReadonlyArray<ParamGroup>,
  defaults: { readonly [key: string]: unknown },
): Check => {
  if (!Array.isArray(recorded))
    return fail('per_param', 'expected a list of {name, layer_id, lr_scale, lr, weight_decay}')
  for (const [i, entry] of recorded.entries()) {
    if (typeof entry !== 'object' || entry === null || typeof entry['name'] !== 'string')
      return fail('per_param', `entry ${i} has no name`)
    const name = entry['name'] as string
    const group = groups.find((g) => g.names.includes(name))
    if (group === undefined) return fail('per_param', `${name}: in no param group`)
    const hyper = { ...defaults, ...group.hyper }
    const layerFromName = /^layer_(\d+)_/.exec(String(hyper['group_name'] ?? ''))?.[1]
    const ours: { readonly [key: string]: unknown } = {
      ...hyper,
      layer_id: hyper['layer_id'] ?? (layerFromName === undefined ? undefined : Number(layerFromName)),
    }
    for (const [key, want] of Object.entries(entry)) {
      if (key === 'name' || proseKeys.has(key)) continue
      const got = ours[key]
      if (got === undefined)
        return fail(
          'per_param',
          `${name}.${key}: loopwright's constructor has no such value (recorded ${JSON.stringify(want)})`,
        )
      const same =
        typeof got === 'number' && typeof want === 'number'
          ? hyperMismatch(got, want) === undefined
          : JSON.stringify(got) === JSON.stringify(want)
      if (!same) return fail('per_param', `${name}.${key}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`)
    }
  }
  return pass('per_param', `${recorded.length} parameters`)
}

/** `optimizer_type`: which constructor variant ran (MMSelfSup's or MMPretrain's), or the optimizer class it built. */
const checkOptimizerType = (recorded: unknown, scenario: Scenario): Check => {
  const wrapper = (scenario.config['optim_wrapper'] ?? {}) as {
    readonly constructor?: unknown
    readonly optimizer?: { readonly type?: unknown }
    readonly paramwise_cfg?: unknown
  }
  const resolved = resolveConstructor(
    typeof wrapper.constructor === 'string' ? wrapper.constructor : 'LearningRateDecayOptimWrapperConstructor',
    wrapper.optimizer,
    wrapper.paramwise_cfg,
    'optim_wrapper',
  )
  if (resolved._tag === 'Left') return fail('optimizer_type', resolved.left.message)
  const value = String(recorded)
  const family = /selfsup/i.test(value) ? 'mmselfsup' : /pretrain|mmcls/i.test(value) ? 'mmpretrain' : undefined
  if (family !== undefined)
    return resolved.right.startsWith(family)
      ? pass('optimizer_type', resolved.right)
      : fail('optimizer_type', `${resolved.right} ran, ${value} recorded`)
  if (value === wrapper.optimizer?.type) return pass('optimizer_type', `optimizer ${value}`)
  return fail(
    'optimizer_type',
    `${JSON.stringify(recorded)} names neither a constructor variant (mmselfsup / mmpretrain) nor the optimizer`,
  )
}

/** Every check of a constructor-only scenario. */
export const replayConstructor = (scenario: Scenario): Check[] => {
  const model = modelFromNames(scenario)
  const checks: Check[] = []
  const names = model.params.map((p) => p.name)
  const inModel = Object.keys(scenario.model ?? {})
  checks.push(
    inModel.length === names.length && names.every((n) => inModel.includes(n))
      ? pass('model', `${names.length} named parameters`)
      : fail('model', `model has ${inModel.length} parameters, model_param_order ${names.length}`),
  )
  if (scenario.model_param_order !== undefined)
    checks.push(pass('model_param_order', 'the order the constructor visits'))
  const implied = backboneFromNames(names)
  checks.push(
    implied.kind === scenario['model_kind']
      ? pass('model_kind', JSON.stringify(implied))
      : fail(
          'model_kind',
          `the names imply ${implied.kind ?? 'neither vit nor swin'}, ${String(scenario['model_kind'])} recorded`,
        ),
  )
  const built = buildGroups(scenario, model)
  if (built._tag === 'Left') {
    checks.push(fail('config', built.left))
    return checks
  }
  checks.push(pass('config', 'optim_wrapper built as is'))
  const { groups, defaults } = built.right
  if (scenario.param_groups !== undefined) checks.push(checkGroups(scenario, groups, defaults))
  if (scenario.per_param !== undefined) checks.push(checkPerParam(scenario.per_param, groups, defaults))
  if (scenario['optimizer_type'] !== undefined) checks.push(checkOptimizerType(scenario['optimizer_type'], scenario))
  return checks
}
