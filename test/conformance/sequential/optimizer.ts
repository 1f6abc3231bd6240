/**
 * Sequential replay of an optimizer (MMSelfSup's `LARS`, or any optimizer of
 * loopwright's registry): the scenario's `params`, grouped as
 * `component.config.param_groups` says (`{params: [names], …per-group
 * options such as lars_exclude}`; one group of every parameter without it),
 * the other config keys as the optimizer's arguments, decoded and defaulted
 * by loopwright's `OptimWrapper.build`. Each step sets the recorded `grads`
 * (the step's own, else `inputs.grads[k]` for the k-th step; `null` leaves a
 * parameter without a gradient, which the step skips) and runs the
 * optimizer's own step.
 */
import * as tf from '@tensorflow/tfjs-core'
import { localLr } from '../../../src/optim/optimizers/lars.js'
import * as OW from '../../../src/optim/OptimWrapper.js'
import * as G from '../../../src/optim/ParamGroups.js'
import type { ParamGroup } from '../../../src/optim/ParamGroups.js'
import * as Tree from '../../../src/tensor/tree.js'
import { isTensor, toRecord, toTensor } from '../records.js'
import type { Json, JsonObject, SequentialComponent, SequentialScenario, Session } from '../sequential.js'
import { observed, unobservable } from '../sequential.js'
import { byGroup, byName } from './shape.js'

/** An event that is one optimizer step: none, or a name with `step` in it (`step`, `optimizer.step`, …). */
const isStepEvent = (event: string): boolean => event === '' || /step/i.test(event)
/** Events that change nothing loopwright keeps: the gradients live only in the step's input here. */
const noOpEvents = new Set(['zero_grad', 'optimizer.zero_grad', 'optimizer_zero_grad'])
/** Where `inputs` may hold one gradient record per step. */
const gradInputs = ['grads', 'grads_per_step', 'step_grads', 'per_step_grads', 'grad_sequence', 'grads_sequence']

const isObject = (j: unknown): j is JsonObject => typeof j === 'object' && j !== null && !Array.isArray(j)

/** The groups of `component.config.param_groups`, or one group of every parameter. */
const groupsOf = (config: JsonObject, names: ReadonlyArray<string>): ReadonlyArray<ParamGroup> | string => {
  const listed = config['param_groups']
  if (listed === undefined) return [{ names, hyper: {} }]
  if (!Array.isArray(listed) || !listed.every(isObject)) return 'component.config.param_groups is not a list of dicts'
  const groups: ParamGroup[] = []
  for (const [i, g] of listed.entries()) {
    const { params, param_names, ...hyper } = g as JsonObject
    const members = params ?? param_names
    if (!Array.isArray(members) || !members.every((m) => typeof m === 'string'))
      return `component.config.param_groups[${i}].params is not a list of parameter names`
    const unknown = members.find((m) => !names.includes(m as string))
    if (unknown !== undefined) return `param_groups[${i}] names ${String(unknown)}, which is not in params`
    groups.push({ names: members as string[], hyper: hyper as ParamGroup['hyper'] })
  }
  return groups
}

/** `before − after` as torch subtracts two float32 tensors. */
const differenceOf = (before: tf.Tensor, after: tf.Tensor) => {
  const d = tf.sub(before, after)
  const record = toRecord(d)
  d.dispose()
  return record
}

const start = (scenario: SequentialScenario): Session | string => {
  const config = ((scenario['component'] as JsonObject)['config'] ?? {}) as JsonObject
  const given = (scenario['params'] ?? {}) as JsonObject
  // Lists per parameter follow `param_order` where the record gives it.
  const order = Array.isArray(scenario['param_order']) ? (scenario['param_order'] as string[]) : []
  const names = [...order.filter((n) => n in given), ...Object.keys(given).filter((n) => !order.includes(n))]
  if (!names.every((n) => isTensor(given[n]))) return 'params holds a value that is not a tensor'
  const groups = groupsOf(config, names)
  if (typeof groups === 'string') return groups
  const { param_groups: _groups, ...optimizer } = config
  const built = OW.build({ type: 'OptimWrapper', optimizer }, groups)
  if (built._tag === 'Left') return `component.config: ${built.left.map((i) => `${i.path}: ${i.message}`).join('; ')}`
  const optimizerStep = built.right.wrapper.optimizer.build()
  let wrapperGroups = built.right.groups.real
  let params: Tree.Tree = Object.fromEntries(names.map((n) => [n, toTensor(given[n] as never)]))
  let before: Tree.Tree | undefined
  let state = optimizerStep.init(params)
  let stepped = 0
  /** The gradients of the last step, for what LARS derived from them. */
  let lastGrads: Tree.Tree = {}
  const groupOf = (n: string) => wrapperGroups.find((g) => g.names.includes(n))!.hyper
  const isLars = config['type'] === 'LARS'
  /** LARS's per-parameter numbers at the last step: null where the parameter had no gradient. */
  const larsValue = (n: string, f: (grad: tf.Tensor, param: tf.Tensor, h: G.Hyper) => number | null) =>
    lastGrads[n] === undefined || before === undefined ? null : f(lastGrads[n]!, before[n]!, groupOf(n))
  const norm = (t: tf.Tensor, h: G.Hyper) =>
    G.flag(h, 'lars_exclude', false) ? null : tf.tidy(() => tf.norm(t).dataSync()[0]!)
  const inputs = (scenario['inputs'] ?? {}) as JsonObject
  const gradsOf = (step: JsonObject): JsonObject | string => {
    if (isObject(step['grads'])) return step['grads']
    for (const key of gradInputs) {
      const list = inputs[key]
      if (Array.isArray(list) && isObject(list[stepped])) return list[stepped] as JsonObject
    }
    return `no gradients for optimizer step ${stepped + 1} (the step's grads, or inputs.grads[${stepped}])`
  }
  const slot = (name: string): tf.Tensor | undefined =>
    (state as { [n: string]: { momentum_buffer?: tf.Tensor } | undefined })[name]?.momentum_buffer
  const session: Session = {
    perform: (step) => {
      const event = typeof step['event'] === 'string' ? step['event'] : ''
      if (noOpEvents.has(event)) return undefined
      if (!isStepEvent(event)) return `an optimizer has no call ${JSON.stringify(event)}`
      const recorded = gradsOf(step)
      if (typeof recorded === 'string') return recorded
      const unknown = Object.keys(recorded).find((n) => !names.includes(n))
      if (unknown !== undefined) return `grads name ${unknown}, which is not in params`
      const grads: Tree.Tree = Object.fromEntries(
        Object.entries(recorded)
          .filter(([, g]) => g !== null)
          .map(([n, g]) => [n, toTensor(g as never)]),
      )
      tf.dispose(Object.values(lastGrads))
      lastGrads = Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, g.clone()]))
      const [updates, next] = optimizerStep.update(grads, state, params, wrapperGroups)
      const after = Tree.applyUpdates(params, updates)
      const kept = new Set(Object.values(after))
      tf.dispose([...Object.values(grads), ...Object.values(updates).filter((u) => !kept.has(u))])
      if (before !== undefined) tf.dispose(Object.values(before).filter((t) => !Object.values(params).includes(t)))
      before = params
      params = after
      state = next
      stepped++
      return undefined
    },
    observe: (quantity, expected) => {
      switch (quantity) {
        case 'params':
          return observed(byName(expected, names, (n) => toRecord(params[n]!)))
        case 'update':
          if (before === undefined) return unobservable('no step has run yet')
          return observed(byName(expected, names, (n) => differenceOf(before![n]!, params[n]!)))
        case 'momentum_buffer':
          return observed(byName(expected, names, (n) => (slot(n) === undefined ? null : toRecord(slot(n)!))))
        case 'optimizer_state':
          return observed(
            byName(expected, names, (n) => (slot(n) === undefined ? {} : { momentum_buffer: toRecord(slot(n)!) })),
          )
        case 'lr':
          return observed(
            byGroup(
              expected,
              wrapperGroups.map((g) => g.hyper['lr'] as Json),
            ),
          )
        case 'local_lr':
        case 'actual_lr':
        case 'weight_norm':
        case 'grad_norm': {
          if (!isLars) return unobservable(`${quantity} is LARS's; this optimizer is ${String(config['type'])}`)
          if (before === undefined) return unobservable('no step has run yet')
          const value = (g: tf.Tensor, p: tf.Tensor, h: G.Hyper) =>
            quantity === 'local_lr'
              ? localLr(g, p, h)
              : quantity === 'actual_lr'
                ? localLr(g, p, h) * G.num(h, 'lr', NaN)
                : quantity === 'weight_norm'
                  ? norm(p, h)
                  : norm(g, h)
          return observed(
            byName(expected, names, (n) => larsValue(n, value)),
            { float32: true },
          )
        }
        case 'param_groups': {
          // torch's state_dict numbers the parameters across the groups in order; a record may list those.
          const indices = wrapperGroups.flatMap((g) => g.names)
          const listed = (i: number) => {
            const first = Array.isArray(expected) && isObject(expected[i]) ? (expected[i] as JsonObject)['params'] : []
            return Array.isArray(first) && typeof first[0] === 'number'
          }
          return observed(
            wrapperGroups.map((g, i) => ({
              ...g.hyper,
              params: listed(i) ? g.names.map((n) => indices.indexOf(n)) : g.names,
              param_names: g.names,
            })),
          )
        }
        default:
          return unobservable(`an optimizer has no ${quantity}`)
      }
    },
    set: (quantity, value) => {
      if (quantity !== 'lr') return `an optimizer's ${quantity} is not set by a generator action`
      const values = Array.isArray(value) ? value : wrapperGroups.map(() => value)
      if (values.length !== wrapperGroups.length || !values.every((v) => typeof v === 'number'))
        return `expected one lr, or one per group (${wrapperGroups.length})`
      wrapperGroups = wrapperGroups.map((g, i) => ({ ...g, hyper: { ...g.hyper, lr: values[i] as number } }))
      return undefined
    },
    scaleLr: (factor) => {
      const factors = typeof factor === 'number' ? wrapperGroups.map(() => factor) : factor
      if (factors.length !== wrapperGroups.length) return `expected one factor, or one per group`
      wrapperGroups = wrapperGroups.map((g, i) => ({
        ...g,
        hyper: { ...g.hyper, lr: (g.hyper['lr'] as number) * factors[i]! },
      }))
      return undefined
    },
    dispose: () => {
      tf.dispose(Object.values(lastGrads))
      const live = new Set([...Object.values(params), ...Object.values(before ?? {})])
      tf.dispose([...live])
      for (const n of names) if (slot(n) !== undefined) slot(n)!.dispose()
    },
  }
  return session
}

export const optimizerReplay: SequentialComponent = {
  name: 'optimizer',
  accepts: (type) => type === 'LARS' || OW.build({ optimizer: { type, lr: 0.1 } }, [])._tag === 'Right',
  inputs: gradInputs,
  stepInputs: ['grads'],
  start,
}
