/**
 * The optimizer-layer parts of a replay: param groups from the config (the
 * constructors), and the lr of every group during every iteration (the
 * schedulers, stepped where ParamSchedulerHook steps them).
 */
import * as E from 'fp-ts/lib/Either.js'
import { buildParamGroups } from '../../src/optim/constructors/index.js'
import type { ModelInfo } from '../../src/optim/constructors/index.js'
import * as OW from '../../src/optim/OptimWrapper.js'
import type { ParamGroup } from '../../src/optim/ParamGroups.js'
import { buildAll, stepAll } from '../../src/optim/schedulers/index.js'
import { hyperMismatch } from './compare.js'
import type { Check, Scenario } from './scenario.js'

/**
 * The modules of the scenarios' TinyRegressor (README: backbone.pos_embed, fc1 Linear, norm LayerNorm, head.fc
 * Linear).
 */
const moduleOf = (name: string): { readonly type: string } =>
  name.startsWith('backbone.fc1.') || name.startsWith('head.fc.')
    ? { type: 'Linear' }
    : name.startsWith('backbone.norm.')
      ? { type: 'LayerNorm' }
      : { type: 'TinyBackbone' }

export const tinyRegressor = (scenario: Scenario): ModelInfo => ({
  params: (scenario.model_param_order ?? Object.keys(scenario.model ?? {})).map((name) => ({
    name,
    shape: scenario.model?.[name]?.shape ?? [],
    requiresGrad: true,
    module: moduleOf(name),
  })),
})

/** The wrapper config with the optimizer as the constructor left it (layer-decay options removed). */
export const wrapperConfigOf = (
  scenario: Scenario,
  optimizerCfg: { readonly [key: string]: unknown },
): OW.WrapperConfig => ({
  ...(scenario.config['optim_wrapper'] as OW.WrapperConfig),
  optimizer: optimizerCfg,
})

/** torch's group keys that select an implementation, with the defaults whose results loopwright reproduces. */
const torchImplementationDefaults: { readonly [key: string]: unknown } = {
  foreach: null,
  differentiable: false,
  capturable: false,
  fused: null,
}

/**
 * Compare groups with the recorded `param_groups` (recorded once the schedulers are built, so
 * their step-0 values and `initial_lr` are in): names, lr, weight_decay and every other recorded
 * key loopwright keeps.
 */
export const checkGroups = (
  scenario: Scenario,
  groups: ReadonlyArray<ParamGroup>,
  defaults: { readonly [key: string]: unknown },
): Check => {
  const recorded = scenario.param_groups ?? []
  if (recorded.length !== groups.length)
    return {
      status: 'FAIL',
      field: 'param_groups',
      detail: `${groups.length} groups built, ${recorded.length} recorded`,
    }
  for (const [i, r] of recorded.entries()) {
    const g = groups[i]!
    if (JSON.stringify(r.param_names) !== JSON.stringify(g.names))
      return {
        status: 'FAIL',
        field: 'param_groups',
        detail: `group ${i}: params ${JSON.stringify(g.names)} ≠ ${JSON.stringify(r.param_names)}`,
      }
    for (const [key, value] of Object.entries(r)) {
      if (key === 'param_names' || key === 'params') continue
      const held = g.hyper[key] ?? defaults[key]
      // Keys only torch fills in choose how torch computes (foreach kernels, autograd through the step, CUDA
      // graphs), not what: loopwright computes as torch does with their defaults, and only those values pass.
      const mine = held === undefined ? torchImplementationDefaults[key] : held
      if (mine === undefined)
        return {
          status: 'FAIL',
          field: 'param_groups',
          detail: `group ${i} ${key}: loopwright's group has no such key (recorded ${JSON.stringify(value)})`,
        }
      const same =
        typeof value === 'number' && typeof mine === 'number'
          ? hyperMismatch(mine, value) === undefined
          : JSON.stringify(mine) === JSON.stringify(value)
      if (!same)
        return {
          status: 'FAIL',
          field: 'param_groups',
          detail: `group ${i} ${key}: ${JSON.stringify(mine)} ≠ ${JSON.stringify(value)}`,
        }
    }
  }
  return { status: 'PASS', field: 'param_groups', detail: '' }
}

/** Param groups for the scenario's model and `optim_wrapper`, and the check of the recorded `param_groups`. */
export const buildGroups = (
  scenario: Scenario,
  model: ModelInfo = tinyRegressor(scenario),
): E.Either<
  string,
  {
    readonly groups: ReadonlyArray<ParamGroup>
    readonly optimizerCfg: { readonly [key: string]: unknown }
    readonly defaults: { readonly [key: string]: unknown }
  }
> => {
  const built = buildParamGroups(scenario.config['optim_wrapper'] as never, model)
  if (built._tag === 'Left') return E.left(built.left.map((i) => `${i.path}: ${i.message}`).join('; '))
  const groups: ReadonlyArray<ParamGroup> = built.right.groups.map(({ params, ...hyper }) => ({ names: params, hyper }))
  const wrapper = OW.build(wrapperConfigOf(scenario, built.right.optimizerCfg), groups)
  if (wrapper._tag === 'Left')
    return E.left(wrapper.left.map((i) => `optim_wrapper.${i.path}: ${i.message}`).join('; '))
  return E.right({ groups, optimizerCfg: built.right.optimizerCfg, defaults: wrapper.right.wrapper.defaults })
}

/** Batches per epoch: counted from the record for epoch-based runs, else from the dataset slice `[:N]` or `data.x`. */
const epochLengthOf = (scenario: Scenario): number => {
  const perIter = scenario.per_iter ?? []
  const train = scenario.config['train_cfg'] as { readonly type?: string; readonly max_epochs?: number }
  if (train.max_epochs !== undefined && perIter.length > 0)
    return perIter.filter((p) => p.epoch === perIter[0]!.epoch).length
  const loader = scenario.config['train_dataloader'] as { readonly batch_size: number; readonly dataset?: unknown }
  const slice = typeof loader.dataset === 'string' ? /\[:(\d+)\]/.exec(loader.dataset) : null
  const samples =
    slice !== null ? Number(slice[1]) : ((scenario.data?.['x'] as ReadonlyArray<unknown> | undefined)?.length ?? 0)
  return Math.ceil(samples / loader.batch_size)
}

/** The lr of each real group during each iteration, and after the run. */
export const scheduleLr = (
  scenario: Scenario,
  groups: ReadonlyArray<ParamGroup>,
  optimizerCfg: { readonly [key: string]: unknown },
): E.Either<
  string,
  {
    readonly constructed: ReadonlyArray<ParamGroup>
    readonly perIter: ReadonlyArray<ReadonlyArray<number>>
    readonly final: ReadonlyArray<number>
  }
> => {
  const built = OW.build(wrapperConfigOf(scenario, optimizerCfg), groups)
  if (built._tag === 'Left') return E.left(built.left.map((i) => i.message).join('; '))
  const wrapperGroups = built.right.groups
  const train = scenario.config['train_cfg'] as {
    readonly max_epochs?: number
    readonly max_iters?: number
    readonly by_epoch?: boolean
  }
  const epochLength = epochLengthOf(scenario)
  const epochBased = train.max_epochs !== undefined
  const maxEpochs = epochBased ? train.max_epochs! : 1
  const maxIters = epochBased ? maxEpochs * epochLength : train.max_iters!
  const real = wrapperGroups.real.length
  let current = OW.scheduledGroups(wrapperGroups)
  const cfg = scenario.config['param_scheduler']
  const list = cfg === null || cfg === undefined ? [] : Array.isArray(cfg) ? cfg : [cfg]
  const schedulers = buildAll(list, current, {
    epochLength,
    maxEpochs,
    maxIters,
    realGroups: real,
    defaults: built.right.wrapper.defaults,
  })
  if (schedulers._tag === 'Left')
    return E.left(schedulers.left.map((i) => `param_scheduler${i.path}: ${i.message}`).join('; '))
  let active = schedulers.right.schedulers
  current = schedulers.right.groups
  const constructed = wrapperGroups.real.map((g, i) => ({ names: g.names, hyper: current[i]! }))
  const lrs = () => current.slice(0, real).map((g) => g['lr'] as number)
  const perIter: Array<ReadonlyArray<number>> = []
  for (let i = 0; i < maxIters; i++) {
    perIter.push(lrs())
    const afterIter = stepAll(active, current, { _tag: 'AfterTrainIter' })
    if (afterIter._tag === 'Left') return E.left(afterIter.left.message)
    ;({ schedulers: active, groups: current } = afterIter.right)
    const endOfEpoch = epochBased ? (i + 1) % epochLength === 0 : i + 1 === maxIters
    if (endOfEpoch) {
      const afterEpoch = stepAll(active, current, { _tag: 'AfterTrainEpoch' })
      if (afterEpoch._tag === 'Left') return E.left(afterEpoch.left.message)
      ;({ schedulers: active, groups: current } = afterEpoch.right)
    }
  }
  return E.right({ constructed, perIter, final: lrs() })
}
