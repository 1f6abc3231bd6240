/**
 * `build_optim_wrapper`'s constructor step (spec §6.1) for a single wrapper:
 * read `constructor` (default `'DefaultOptimWrapperConstructor'`) and
 * `paramwise_cfg`, and run that constructor on the model.
 *
 * Which `LearningRateDecayOptimWrapperConstructor`? MMSelfSup and MMPretrain
 * both register one under that name, with different options:
 * 1. a scope decides: `mmselfsup.` → MMSelfSup; `mmpretrain.` or `mmcls.` →
 *    MMPretrain. `LayerDecayOptimWrapperConstructor` is MMPretrain's.
 * 2. unscoped, where its options are decides: `model_type` or
 *    `layer_decay_rate` in `optimizer` → MMSelfSup; `layer_decay_rate` in
 *    `paramwise_cfg` → MMPretrain; both → an issue (add a scope).
 * 3. otherwise MMSelfSup (the default scope of the configs this runtime
 *    follows), which then asks for `optimizer.model_type`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import { isDict, show } from '../../schema/codec.js'
import { suggestion } from '../../schema/didYouMean.js'
import { defaultConstructor } from './defaultConstructor.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import { pretrainLayerDecayConstructor } from './pretrainLayerDecay.js'
import { selfsupLayerDecayConstructor } from './selfsupLayerDecay.js'
import type { CfgDict, ConstructorOptions, ConstructorResult } from './types.js'

/** The constructors loopwright provides, by the name a result reports. */
export type ConstructorName =
  | 'DefaultOptimWrapperConstructor'
  | 'mmselfsup.LearningRateDecayOptimWrapperConstructor'
  | 'mmpretrain.LearningRateDecayOptimWrapperConstructor'

export interface BuildResult extends ConstructorResult {
  /** The constructor that ran (scoped where the name is ambiguous). */
  readonly constructor: ConstructorName
}

const known = [
  'DefaultOptimWrapperConstructor',
  'LearningRateDecayOptimWrapperConstructor',
  'LayerDecayOptimWrapperConstructor',
]
const pretrainScopes = ['mmpretrain', 'mmcls']

const has = (d: unknown, key: string): boolean => isDict(d) && d[key] !== undefined && d[key] !== null

/**
 * Which constructor a `constructor` string (and where the options sit) names.
 *
 * @example
 * ```ts
 * resolveConstructor('LearningRateDecayOptimWrapperConstructor', { type: 'AdamW' }, { layer_decay_rate: 0.75 },
 * 'optim_wrapper')
 * // Right('mmpretrain.LearningRateDecayOptimWrapperConstructor')
 * ```
 */
export const resolveConstructor = (
  constructorName: string,
  optimizer: unknown,
  paramwiseCfg: unknown,
  at: string,
): E.Either<Issue, ConstructorName> => {
  const dot = constructorName.lastIndexOf('.')
  const scope = dot < 0 ? undefined : constructorName.slice(0, dot)
  const type = constructorName.slice(dot + 1)
  const path = `${at}.constructor`
  if (type === 'DefaultOptimWrapperConstructor') return E.right('DefaultOptimWrapperConstructor')
  if (type === 'LayerDecayOptimWrapperConstructor')
    return E.right('mmpretrain.LearningRateDecayOptimWrapperConstructor')
  if (type !== 'LearningRateDecayOptimWrapperConstructor')
    return E.left({
      path,
      message:
        `unknown optimizer wrapper constructorName ` +
        `${show(constructorName)}${suggestion(type, known)}; known: ${known.join(', ')}`,
    })
  if (scope === 'mmselfsup') return E.right('mmselfsup.LearningRateDecayOptimWrapperConstructor')
  if (scope !== undefined && pretrainScopes.includes(scope))
    return E.right('mmpretrain.LearningRateDecayOptimWrapperConstructor')
  if (scope !== undefined)
    return E.left({
      path,
      message:
        `no LearningRateDecayOptimWrapperConstructor in scope '${scope}': use ` +
        `'mmselfsup.' (options in optimizer) or 'mmpretrain.' (options in paramwise_cfg)`,
    })
  const selfsup = has(optimizer, 'model_type') || has(optimizer, 'layer_decay_rate')
  const pretrain = has(paramwiseCfg, 'layer_decay_rate')
  if (selfsup && pretrain)
    return E.left({
      path,
      message:
        "ambiguous: layer-decay options are in both optimizer (MMSelfSup's constructor) " +
        "and paramwise_cfg (MMPretrain's); name " +
        "'mmselfsup.LearningRateDecayOptimWrapperConstructor' or " +
        "'mmpretrain.LearningRateDecayOptimWrapperConstructor'",
    })
  return E.right(
    pretrain
      ? 'mmpretrain.LearningRateDecayOptimWrapperConstructor'
      : 'mmselfsup.LearningRateDecayOptimWrapperConstructor',
  )
}

/**
 * The param groups a single `optim_wrapper` cfg gives on `model`, by its
 * `constructor`.
 *
 * @example
 * ```ts
 * buildParamGroups({
 *   optimizer: { type: 'AdamW', lr: 1e-3, weight_decay: 0.05, model_type: 'vit', layer_decay_rate: 0.65 },
 *   constructor: 'mmselfsup.LearningRateDecayOptimWrapperConstructor',
 *   paramwise_cfg: { custom_keys: { '.bias': { decay_mult: 0 } } },
 * }, model)
 // Right: { constructor: 'mmselfsup.…', groups: [layer_0_no_decay, …], optimizerCfg: { type: 'AdamW', lr: 1e-3,
 // weight_decay: 0.05 }, … }
 *
 * ```
 */
export const buildParamGroups = (
  optimWrapperCfg: CfgDict,
  model: ModelInfo,
  options: ConstructorOptions = {},
): E.Either<ReadonlyArray<Issue>, BuildResult> => {
  const at = options.path ?? 'optim_wrapper'
  if (!isDict(optimWrapperCfg))
    return E.left([{ path: at, message: `expected an optim_wrapper dict, got ${show(optimWrapperCfg)}` }])
  const constructorName = Object.hasOwn(optimWrapperCfg, 'constructor') ? optimWrapperCfg['constructor'] : undefined
  const name = constructorName ?? 'DefaultOptimWrapperConstructor'
  if (typeof name !== 'string' || name === '')
    return E.left([
      { path: `${at}.constructor`, message: `expected a constructorName name, got ${show(constructorName)}` },
    ])
  const optimizer = optimWrapperCfg['optimizer']
  if (optimizer === undefined)
    return E.left([
      {
        path: `${at}.optimizer`,
        message: 'required key missing: the optimizer dict the constructor builds param groups for',
      },
    ])
  const paramwise = optimWrapperCfg['paramwise_cfg']
  const resolved = resolveConstructor(name, optimizer, paramwise, at)
  if (resolved._tag === 'Left') return E.left([resolved.left])
  const run =
    resolved.right === 'DefaultOptimWrapperConstructor'
      ? defaultConstructor
      : resolved.right === 'mmselfsup.LearningRateDecayOptimWrapperConstructor'
        ? selfsupLayerDecayConstructor
        : pretrainLayerDecayConstructor
  return E.map((r: ConstructorResult): BuildResult => ({ ...r, constructor: resolved.right }))(
    run(optimizer, paramwise, model, { path: at }),
  )
}
