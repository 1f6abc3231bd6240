/**
 * The optimizer-layer parts of a replay: param groups from the config, and
 * the lr of every group during every iteration.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ParamGroup } from '../../src/optim/ParamGroups.js'
import type { Check, Scenario } from './scenario.js'

/** Param groups for the scenario's model and `optim_wrapper`, and the check of the recorded `param_groups`. */
export const buildGroups = (scenario: Scenario): E.Either<string, { readonly groups: ReadonlyArray<ParamGroup>; readonly check: Check }> => {
  const order = scenario.model_param_order ?? Object.keys(scenario.model ?? {})
  const wrapper = scenario.config['optim_wrapper'] as { readonly paramwise_cfg?: unknown; readonly constructor?: unknown }
  if ((wrapper.paramwise_cfg !== undefined && Object.keys(wrapper.paramwise_cfg as object).length > 0) || Object.hasOwn(wrapper, 'constructor')) {
    return E.left('needs the param-wise optimizer constructors')
  }
  const groups: ReadonlyArray<ParamGroup> = [{ names: order, hyper: {} }]
  const recorded = scenario.param_groups ?? []
  const same = recorded.length === 1 && JSON.stringify(recorded[0]!.param_names) === JSON.stringify(order)
  return E.right({ groups, check: same ? { status: 'PASS', field: 'param_groups', detail: '' } : { status: 'FAIL', field: 'param_groups', detail: `one group of ${order.length} parameters expected` } })
}

/** The lr of each group during each iteration, and after the run. */
export const scheduleLr = (
  scenario: Scenario,
  groups: ReadonlyArray<ParamGroup>,
): E.Either<string, { readonly perIter: ReadonlyArray<ReadonlyArray<number>>; readonly final: ReadonlyArray<number> }> => {
  const schedulers = scenario.config['param_scheduler']
  if (schedulers !== null && schedulers !== undefined && !(Array.isArray(schedulers) && schedulers.length === 0)) return E.left('needs the parameter schedulers')
  const optimizer = (scenario.config['optim_wrapper'] as { readonly optimizer: { readonly lr: number } }).optimizer
  const lrs = groups.map((g) => (typeof g.hyper['lr'] === 'number' ? g.hyper['lr'] : optimizer.lr))
  return E.right({ perIter: (scenario.per_iter ?? []).map(() => lrs), final: lrs })
}
