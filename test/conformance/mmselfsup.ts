/**
 * Replays MMSelfSup component scenarios (test/fixtures/conformance/mmselfsup/,
 * format in docs/conformance.md): a head or loss built from
 * `component.config` through loopwright's component registry, fed `inputs`
 * with `params` (and `initial_state`), and checked field by field — every
 * entry of `outputs` and `grads`, and every field of `steps[]`.
 *
 * A scenario with `steps[]` (an optimizer, a hook, a memory driven call by
 * call) goes to the sequential replay (`sequential.ts`). A field this replay
 * does not know is a FAIL, never a pass.
 */
import * as tf from '@tensorflow/tfjs-core'
import '../../src/tensor/gradients.js'
import * as Registry from '../../src/schema/registry.js'
import { defaultComponentTypes } from '../../src/selfsup/components.js'
import type { LossComponent } from '../../src/selfsup/Component.js'
import { buildComponent } from '../../src/selfsup/registry.js'
import type { Tree } from '../../src/tensor/tree.js'
import { difference, isTensor, toRecord, toTensor } from './records.js'
import type { TensorRecord } from './records.js'
import type { Check } from './scenario.js'
import type { Json } from './records.js'
import { replaySequential } from './sequential.js'
import { quantityOf } from './stepFields.js'
import { queueName } from '../../src/selfsup/losses/SwAVLoss.js'
import { sequentialComponents } from './sequential/components.js'

type Scenario = { readonly [field: string]: Json }

/** Fields read and never checked (the README's descriptive list). */
export const componentDescriptive = [
  'scenario',
  'description',
  'notes',
  'mmselfsup_commit',
  'mmengine_version',
  'mmengine_tag',
  'mmengine_commit',
  'torch_version',
  'numpy_version',
  'python_version',
  'sklearn_version',
  'aux_sources',
  'torch_num_threads',
  'device',
  'dtype',
  'param_order',
]
const descriptive = new Set(componentDescriptive)
/** Inputs the replay feeds to the component. */
export const componentInputs = ['component', 'inputs', 'params', 'initial_state']
const inputFields = new Set(componentInputs)
/** Check fields. */
const checkFields = new Set(['outputs', 'grads', 'steps'])

/** Does the scenario follow the MMSelfSup component format? */
export const isComponentScenario = (scenario: { readonly [field: string]: unknown }): boolean =>
  typeof scenario['component'] === 'object' && scenario['component'] !== null

const record = (status: Check['status'], field: string, detail = ''): Check => ({ status, field, detail })

/** Every check of the scenario failed for one reason (no replay for its kind, a component that cannot be built). */
const failAll = (scenario: Scenario, reason: string): Check[] => {
  const checks: Check[] = []
  for (const field of checkFields) {
    const value = scenario[field]
    if (value === undefined) continue
    if (field === 'steps' || typeof value !== 'object' || value === null || Array.isArray(value))
      checks.push(record('FAIL', field, reason))
    else for (const key of Object.keys(value)) checks.push(record('FAIL', `${field}.${key}`, reason))
  }
  return checks
}

/**
 * Replay one head/loss call: loss, captured intermediates, buffers and rewritten parameters after it, and gradients.
 */
const replayLoss = async (scenario: Scenario, component: LossComponent): Promise<Check[]> => {
  const inputs = (scenario['inputs'] ?? {}) as { readonly [name: string]: Json }
  const given = (scenario['params'] ?? {}) as { readonly [name: string]: Json }
  const initialState = (scenario['initial_state'] ?? {}) as { readonly [name: string]: Json }
  const init = component.init('', { seed: 0, counter: 0 })
  const expectedNames = Object.keys(init.params).sort()
  const givenNames = Object.keys(given).sort()
  if (expectedNames.join() !== givenNames.join()) {
    tf.dispose([...Object.values(init.params), ...Object.values(init.buffers)])
    return failAll(
      scenario,
      `parameters differ: loopwright's ${component.type} has ` +
        `[${expectedNames.join(', ')}], the scenario [${givenNames.join(', ')}]`,
    )
  }
  tf.dispose(Object.values(init.params))
  let params: Tree = Object.fromEntries(givenNames.map((n) => [n, toTensor(given[n] as unknown as TensorRecord)]))
  // State handed to the component before the call (SwAVLoss's `queue`) is a buffer, whether the record puts it in
  // `initial_state` or in `inputs`; it is never differentiated (MMSelfSup uses it under no_grad).
  const stateInputs = Object.keys(inputs).filter((n) => isTensor(inputs[n]) && quantityOf(n) === 'queue')
  // SwAVHead holds its SwAVLoss at `loss`, as MMSelfSup's `head.loss`.
  const queue = queueName(component.type === 'SwAVHead' ? 'loss' : '')
  const checks: Check[] = []
  for (const [n, v] of Object.entries(inputs))
    if (!stateInputs.includes(n) && (!isTensor(v) || !component.inputs.includes(n)))
      checks.push(record('FAIL', `inputs.${n}`, `not an input of loopwright's ${component.type}`))
  for (const [n, v] of Object.entries(initialState))
    if (!isTensor(v)) checks.push(record('FAIL', `initial_state.${n}`, 'state this replay does not load'))
  const buffers: Tree = {
    ...init.buffers,
    ...Object.fromEntries(
      Object.entries(initialState)
        .filter(([, v]) => isTensor(v))
        .map(([n, v]) => [quantityOf(n) === 'queue' ? queue : n, toTensor(v as unknown as TensorRecord)]),
    ),
    ...Object.fromEntries(stateInputs.map((n) => [queue, toTensor(inputs[n] as unknown as TensorRecord)])),
  }
  if (component.prepare !== undefined) {
    const rewritten = component.prepare(params, '')
    tf.dispose(Object.keys(rewritten).map((n) => params[n]!))
    params = { ...params, ...rewritten }
  }
  const tensorInputs = Object.entries(inputs).filter(([n, v]) => isTensor(v) && component.inputs.includes(n)) as Array<
    [string, Json]
  >
  const inputTensors: { [name: string]: tf.Tensor } = Object.fromEntries(
    tensorInputs.map(([n, v]) => [n, toTensor(v as unknown as TensorRecord)]),
  )
  const differentiable = [
    ...Object.keys(inputTensors)
      .filter((n) => inputTensors[n]!.dtype === 'float32' && !(component.detached ?? []).includes(n))
      .map((n) => ({ kind: 'input' as const, name: n })),
    ...givenNames.map((n) => ({ kind: 'param' as const, name: n })),
  ]
  const captured: { [name: string]: tf.Tensor | Array<{ [key: string]: tf.Tensor }> } = {}
  let bufferUpdates: Tree = {}
  const capture = (name: string, value: tf.Tensor | { readonly [key: string]: tf.Tensor }): void => {
    if (value instanceof tf.Tensor) captured[name] = tf.keep(value.clone())
    else {
      captured[name] ??= []
      const list = captured[name] as Array<{ [key: string]: tf.Tensor }>
      list.push(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tf.keep(v.clone())])))
    }
  }
  const { value: loss, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    const ins = { ...inputTensors }
    const ps = { ...params }
    differentiable.forEach((d, i) => {
      if (d.kind === 'input') ins[d.name] = xs[i]!
      else ps[d.name] = xs[i]!
    })
    const out = component.forward(ps, buffers, '', ins, { training: true, capture })
    bufferUpdates = out.buffers
    for (const b of Object.values(bufferUpdates)) tf.keep(b)
    return out.value
  })(differentiable.map((d) => (d.kind === 'input' ? inputTensors[d.name]! : params[d.name]!)))
  const actualOutputs: { [key: string]: unknown } = { loss: toRecord(loss) }
  for (const [name, value] of Object.entries(captured)) {
    actualOutputs[name] =
      value instanceof tf.Tensor
        ? toRecord(value)
        : await Promise.all(
            value.map(async (call) =>
              Object.fromEntries(
                await Promise.all(Object.entries(call).map(async ([k, v]) => [k, toRecord(v)] as const)),
              ),
            ),
          )
  }
  const after = { ...buffers, ...bufferUpdates }
  actualOutputs['buffers_after'] = Object.fromEntries(
    await Promise.all(Object.entries(after).map(async ([n, t]) => [n, toRecord(t)] as const)),
  )
  for (const [n, t] of Object.entries(params)) actualOutputs[`${n.replace(/\./g, '_')}_after`] = toRecord(t)
  const actualGrads: { [key: string]: unknown } = {}
  for (const [n, t] of Object.entries(inputTensors))
    if (t.dtype === 'float32') actualGrads[n] = toRecord(tf.zerosLike(t))
  for (let i = 0; i < differentiable.length; i++) actualGrads[differentiable[i]!.name] = toRecord(grads[i]!)
  for (const n of stateInputs) actualGrads[n] = toRecord(tf.zerosLike(buffers[queue]!))
  // Outputs the record names after the state they hold (`queue_after`, `use_queue`: MMSelfSup's one flag, on once
  // any crop used the queue), through the mapping table.
  const useQueue = Object.keys(captured).filter((k) => k.startsWith('use_queue_'))
  const stateOutput = (key: string): unknown => {
    const quantity = quantityOf(key)
    if (quantity === 'queue') return (actualOutputs['buffers_after'] as { [n: string]: unknown })[queue]
    if (quantity === 'use_queue') return useQueue.some((k) => (captured[k] as tf.Tensor).dataSync()[0] === 1)
    return undefined
  }
  for (const field of ['outputs', 'grads'] as const) {
    const expected = scenario[field]
    if (expected === undefined) continue
    const actual = field === 'outputs' ? actualOutputs : actualGrads
    for (const [key, value] of Object.entries(expected as { readonly [key: string]: Json })) {
      const d = difference(value, key in actual || field === 'grads' ? actual[key] : stateOutput(key))
      checks.push(d === undefined ? record('PASS', `${field}.${key}`) : record('FAIL', `${field}.${key}`, d))
    }
  }
  if (scenario['steps'] !== undefined)
    checks.push(
      record('FAIL', 'steps', `${component.type} is replayed as one call; this scenario has sequential steps`),
    )
  tf.dispose([loss, ...grads, ...Object.values(params), ...Object.values(after), ...Object.values(inputTensors)])
  for (const v of Object.values(captured)) tf.dispose(v instanceof tf.Tensor ? v : v.flatMap((c) => Object.values(c)))
  return checks
}

/** Replay one MMSelfSup component scenario; one check per field of `outputs`, `grads` and `steps`. */
export const replayComponent = async (scenario: { readonly [field: string]: unknown }): Promise<Check[]> => {
  const s = scenario as Scenario
  // The shared replay hands a scenario without a config an empty one.
  const emptyConfig = (f: string) => f === 'config' && JSON.stringify(s[f]) === '{}'
  const unknown = Object.keys(s).filter(
    (f) => !descriptive.has(f) && !inputFields.has(f) && !checkFields.has(f) && !emptyConfig(f),
  )
  const checks: Check[] = unknown.map((f) => record('FAIL', f, 'a field this replay does not know'))
  if (s['steps'] !== undefined) return [...checks, ...(await replaySequential(s, sequentialComponents))]
  const component = s['component'] as { readonly type?: Json; readonly config?: Json }
  const config = component.config
  if (
    typeof config !== 'object' ||
    config === null ||
    Array.isArray(config) ||
    typeof (config as { type?: unknown }).type !== 'string'
  ) {
    return [...checks, ...failAll(s, 'component.config is not a dict with a type')]
  }
  const type = (config as { type: string }).type
  const resolved = Registry.resolve(defaultComponentTypes, type)
  if (resolved._tag === 'Left') return [...checks, ...failAll(s, resolved.left)]
  const decoded = resolved.right.args.decode(Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'type')))
  if (decoded._tag === 'Left')
    return [...checks, ...failAll(s, `component.config does not decode as ${type} arguments`)]
  let built: ReturnType<typeof buildComponent>
  try {
    built = buildComponent(defaultComponentTypes, config as { type: string }, 'component.config')
  } catch (e) {
    return [...checks, ...failAll(s, (e as Error).message)]
  }
  if (built.kind !== 'loss') return [...checks, ...failAll(s, `${type} is a neck; only heads and losses are replayed`)]
  return [...checks, ...(await replayLoss(s, built))]
}
