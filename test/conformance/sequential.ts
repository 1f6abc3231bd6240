/**
 * The replay of sequential MMSelfSup component scenarios (`steps[]`): an
 * optimizer, a hook or a memory driven call by call. For each step record
 * the replay performs the call the record names (`event`, with `epoch`,
 * `iter`, `batch_idx`, `idx` and the step's input fields), then compares
 * every other field of the record with loopwright's state, read through the
 * mapping table (`stepFields.ts`); a `<name>_before` field is compared with
 * the state the call started from. `generator_*` events are actions the
 * recording script took between calls; `inputs` says what they do, and the
 * replay performs them too. `outputs.final_<name>` is `<name>` after the
 * last step.
 *
 * One check per recorded field name (`steps.params`, `steps.lr`, …), failing
 * at the first step that disagrees. A field in no row of the table, an input
 * nobody feeds, an event the component does not have, or a component
 * loopwright does not provide is a FAIL with its reason, never a pass.
 */
import { difference } from './records.js'
import type { Json } from './records.js'
import { identifyingFields, quantityOf, requiresGradSelector } from './stepFields.js'
import type { Quantity } from './stepFields.js'
import type { Check } from './scenario.js'

export type { Json }
export type JsonObject = { readonly [key: string]: Json }
/** A sequential scenario as read from its file. */
export type SequentialScenario = { readonly [field: string]: Json }

/**
 * loopwright's value of a quantity, or why there is none. `float32`: numbers computed from float32 tensors (a norm's
 * `.item()`, LARS's local lr from those norms) are compared with the float32 tolerance, as the tensors they come from.
 */
export type Observation =
  | { readonly ok: true; readonly value: unknown; readonly float32?: boolean }
  | { readonly ok: false; readonly reason: string; readonly skip?: boolean }

export const observed = (value: unknown, options: { readonly float32?: boolean } = {}): Observation => ({
  ok: true,
  value,
  ...options,
})

/** Every number in a value as a 0-dim float32 tensor record (so that it is compared as one). */
const asFloat32 = (j: unknown): unknown =>
  typeof j === 'number'
    ? { shape: [], dtype: 'float32', values: [j] }
    : Array.isArray(j)
      ? j.map(asFloat32)
      : typeof j === 'object' && j !== null && !('values' in j && 'shape' in j)
        ? Object.fromEntries(Object.entries(j).map(([k, v]) => [k, asFloat32(v)]))
        : j
export const unobservable = (reason: string): Observation => ({ ok: false, reason })
/**
 * A quantity loopwright deliberately does not reproduce (values MMSelfSup draws from numpy's or torch's RNG): the
 * field is a SKIP with this reason, unless another step fails it.
 */
export const skipped = (reason: string): Observation => ({ ok: false, reason, skip: true })

/** A component being replayed: its state lives inside, between calls. */
export interface Session {
  /** Perform the call a step record follows; a string says why it could not be performed. */
  readonly perform: (step: JsonObject) => Promise<string | undefined> | string | undefined
  /** loopwright's value of `quantity` now, shaped like the recorded `expected`. */
  readonly observe: (quantity: Quantity, expected: Json) => Observation
  /** Set a quantity (a generator action); a string says why it cannot be set. */
  readonly set: (quantity: Quantity, value: Json) => string | undefined
  /** Multiply every param group's lr (a generator action such as a scheduler's decay). */
  readonly scaleLr?: (factor: number | ReadonlyArray<number>) => string | undefined
  readonly dispose: () => void
}

/** How loopwright replays one kind of component (an optimizer, the hooks, a memory): one small entry each. */
export interface SequentialComponent {
  readonly name: string
  /** Does this entry replay `component.type`? */
  readonly accepts: (type: string) => boolean
  /** Keys of `inputs` the component is fed (beside the descriptions of generator events). */
  readonly inputs: ReadonlyArray<string>
  /** Fields of a step record that are inputs of its call (an optimizer step's `grads`), not state after it. */
  readonly stepInputs: ReadonlyArray<string>
  /** Paths inside fed inputs that it does not read (`inputs.runner.x`), each a FAIL. */
  readonly unfed?: (inputs: JsonObject) => ReadonlyArray<string>
  /** Keys of `initial_state` it loads. */
  readonly initialState?: ReadonlyArray<string>
  /** `generator_*` events the component performs itself (a memory update between hook calls), not as a setting. */
  readonly handles?: (event: string) => boolean
  /** Start a session; a string says why the component cannot be replayed. */
  readonly start: (scenario: SequentialScenario) => Promise<Session | string> | Session | string
}

/** Types of MMSelfSup's that loopwright does not provide yet, and why each of their checks fails. */
export const notProvided: { readonly [type: string]: string } = {
  SimpleMemory: 'SimpleMemory not provided',
}

const isObject = (j: unknown): j is JsonObject => typeof j === 'object' && j !== null && !Array.isArray(j)

/** Keys of a generator action that name it or say when it acts, rather than what it sets. */
const actionMeta = new Set([
  ...identifyingFields,
  ...['description', 'note', 'notes', 'action', 'type', 'name', 'when'],
  ...['before_step', 'after_step', 'at_step', 'before_iter', 'after_iter', 'before_call', 'after_call'],
])
/** Keys of a generator action that say which param group it acts on (every group without one). */
const groupKeys = ['group', 'group_idx', 'group_index', 'param_group', 'param_group_idx', 'param_group_index']
/** Keys of a generator action that multiply the lr. */
const lrFactorKeys = new Set(['lr_factor', 'gamma', 'factor', 'lr_mult', 'lr_scale_factor', 'multiply_lr'])

const isNumbers = (j: Json | undefined): j is ReadonlyArray<number> =>
  Array.isArray(j) && j.every((v) => typeof v === 'number')

/**
 * A generator action given as a bare value (`inputs.generator_set_lr: [0.1, 0.05]`): what it sets follows from the
 * event's name without `generator_` and a verb (`set_lr` → `lr`); a scaling verb (`scale_lr`, `decay_lr`) multiplies.
 */
const bareAction = (event: string, value: Json): JsonObject | undefined => {
  const what = event.replace(/^generator_/, '')
  if (/(scale|decay|mult|gamma|factor|scheduler)/.test(what)) return { lr_factor: value }
  const name = what.replace(/^(set|change|update|adjust|assign|write|scripted?)_/, '')
  return quantityOf(name) === undefined ? undefined : { [name]: value }
}

/**
 * What a generator event does, read from `inputs`: `inputs[event]` (or without `generator_`), one entry per
 * occurrence when it is a list; or the entry of `inputs.generator_events` (`…_actions`, `events`, `actions`) with
 * the step's `step` (or the same event, by occurrence).
 */
const actionOf = (inputs: JsonObject, step: JsonObject, occurrence: number): JsonObject | string => {
  const event = String(step['event'])
  const pick = (entry: Json | undefined): JsonObject | undefined => {
    if (isObject(entry)) return entry
    if (typeof entry === 'number' || isNumbers(entry)) return bareAction(event, entry)
    if (!Array.isArray(entry)) return undefined
    const nth = entry[occurrence]
    return isObject(nth) ? nth : typeof nth === 'number' || isNumbers(nth) ? bareAction(event, nth) : undefined
  }
  const direct = pick(inputs[event]) ?? pick(inputs[event.replace(/^generator_/, '')])
  if (direct !== undefined) return direct
  for (const key of ['generator_events', 'generator_actions', 'events', 'actions']) {
    const list = inputs[key]
    if (!Array.isArray(list)) continue
    const entries = list.filter(isObject)
    const byStep = step['step'] === undefined ? undefined : entries.find((e) => e['step'] === step['step'])
    if (byStep !== undefined) return byStep
    const same = entries.filter((e) => e['event'] === event)
    if (same[occurrence] !== undefined) return same[occurrence]!
  }
  return `inputs does not describe what ${event} does (inputs.${event}, or an entry of inputs.generator_events)`
}

/** Perform a generator action on the session: set the quantities it names, or scale the lr (of one group). */
const performAction = (session: Session, action: JsonObject, event: string): string | undefined => {
  const groupKey = groupKeys.find((k) => typeof action[k] === 'number')
  const group = groupKey === undefined ? undefined : (action[groupKey] as number)
  /** Every group's value: `value` for the one group named, `keep(current)` for the others. */
  const inGroup = (value: number, keep: (current: number) => number): ReadonlyArray<number> | string => {
    const lrs = session.observe('lr', [])
    if (!lrs.ok || !isNumbers(lrs.value as Json)) return 'the action names a group, and the component has no lrs'
    const current = lrs.value as ReadonlyArray<number>
    if (group! < 0 || group! >= current.length) return `${groupKey} ${group} is not a group (${current.length})`
    return current.map((c, i) => (i === group ? value : keep(c)))
  }
  for (const [given, value] of Object.entries(action)) {
    // `{value: …}` stands for what the event's name says (`generator_set_lr` → `lr`, `…scale…` → a factor).
    const key = given === 'value' ? (Object.keys(bareAction(event, value) ?? {})[0] ?? given) : given
    if (actionMeta.has(key) || key === groupKey) continue
    if (lrFactorKeys.has(key)) {
      if (session.scaleLr === undefined) return `${key}: this component has no lr to scale`
      if (typeof value !== 'number' && !isNumbers(value)) return `${key}: expected a number or one per group`
      const factors = group !== undefined && typeof value === 'number' ? inGroup(value, () => 1) : value
      if (typeof factors === 'string') return factors
      const why = session.scaleLr(factors as number | ReadonlyArray<number>)
      if (why !== undefined) return why
      continue
    }
    const quantity = quantityOf(key)
    if (quantity === undefined) return `${key}: no row of the mapping table (stepFields.ts) names it`
    const set = quantity === 'lr' && group !== undefined && typeof value === 'number' ? inGroup(value, (c) => c) : value
    if (typeof set === 'string') return set
    const why = session.set(quantity, set as Json)
    if (why !== undefined) return `${key}: ${why}`
  }
  return undefined
}

/** The inputs a generator event reads (so that the input guard counts them as fed). */
const actionInputKeys = (inputs: JsonObject, steps: ReadonlyArray<JsonObject>): Set<string> => {
  const keys = new Set<string>()
  for (const step of steps) {
    const event = step['event']
    if (typeof event !== 'string' || !event.startsWith('generator_')) continue
    for (const k of [event, event.replace(/^generator_/, '')]) if (k in inputs) keys.add(k)
  }
  if (keys.size > 0 || steps.some((s) => String(s['event']).startsWith('generator_')))
    for (const k of ['generator_events', 'generator_actions', 'events', 'actions']) if (k in inputs) keys.add(k)
  return keys
}

/** Every check of one field, failing at its first disagreement. */
/** A comparison's outcome: agreement (undefined), a failure, or a skip with its reason. */
type Verdict = string | undefined | { readonly skip: string }

class Ledger {
  private readonly order: string[] = []
  private readonly failures = new Map<string, string>()
  private readonly skips = new Map<string, string>()
  note(field: string, verdict: Verdict): void {
    if (!this.order.includes(field)) this.order.push(field)
    if (typeof verdict === 'object') {
      if (!this.skips.has(field)) this.skips.set(field, verdict.skip)
    } else if (verdict !== undefined && !this.failures.has(field)) this.failures.set(field, verdict)
  }
  checks(): Check[] {
    return this.order.map((field) => {
      const failure = this.failures.get(field)
      const skip = this.skips.get(field)
      if (failure !== undefined) return { status: 'FAIL', field, detail: failure }
      return skip === undefined ? { status: 'PASS', field, detail: '' } : { status: 'SKIP', field, detail: skip }
    })
  }
}

/** Compare one recorded state value with loopwright's. */
const compare = (session: Session, name: string, expected: Json): Verdict => {
  const quantity = quantityOf(name)
  const selector = quantity === undefined ? requiresGradSelector(name) : undefined
  if (selector !== undefined) {
    const selected = session.observe('requires_grad', { [selector]: expected })
    return selected.ok ? difference({ [selector]: expected }, selected.value) : selected.reason
  }
  if (quantity === undefined)
    return `no row of the mapping table (test/conformance/stepFields.ts) names ${JSON.stringify(name)}`
  const seen = session.observe(quantity, expected)
  if (!seen.ok) return seen.skip === true ? { skip: seen.reason } : seen.reason
  return seen.float32 === true
    ? difference(asFloat32(expected), asFloat32(seen.value))
    : difference(expected, seen.value)
}

/** Every field a scenario's steps and outputs record, each failed for one reason. */
const failEverything = (scenario: SequentialScenario, reason: string, stepInputs: ReadonlySet<string>): Check[] => {
  const ledger = new Ledger()
  for (const step of (scenario['steps'] as ReadonlyArray<Json>).filter(isObject))
    for (const field of Object.keys(step))
      if (!identifyingFields.has(field) && !stepInputs.has(field)) ledger.note(`steps.${field}`, reason)
  const outputs = scenario['outputs']
  if (isObject(outputs)) for (const key of Object.keys(outputs)) ledger.note(`outputs.${key}`, reason)
  else if (outputs !== undefined) ledger.note('outputs', reason)
  if (scenario['grads'] !== undefined) ledger.note('grads', reason)
  return ledger.checks()
}

const where = (step: JsonObject, index: number): string =>
  `step ${step['step'] ?? index}${typeof step['event'] === 'string' ? ` (${step['event']})` : ''}`

/** Replay a sequential scenario with the entry of `components` that takes its `component.type`. */
export const replaySequential = async (
  scenario: SequentialScenario,
  components: ReadonlyArray<SequentialComponent>,
): Promise<Check[]> => {
  const component = scenario['component'] as JsonObject
  const config = isObject(component['config']) ? component['config'] : {}
  const type = String(config['type'] ?? component['type'])
  const steps = scenario['steps']
  if (!Array.isArray(steps) || !steps.every(isObject))
    return [{ status: 'FAIL', field: 'steps', detail: 'steps is not a list of records' }]
  const entry = components.find((c) => c.accepts(type))
  const reason =
    notProvided[type] ?? (entry === undefined ? `no sequential replay for ${type} (loopwright has no such part)` : '')
  if (entry === undefined || reason !== '') return failEverything(scenario, reason, new Set())
  const stepInputs = new Set(entry.stepInputs)
  const inputs = isObject(scenario['inputs']) ? scenario['inputs'] : {}
  const checks: Check[] = []
  // Inputs and initial state nobody feeds to the component would leave its behaviour unchecked: fail them.
  const fed = new Set([...entry.inputs, ...actionInputKeys(inputs, steps)])
  for (const key of [...Object.keys(inputs).filter((k) => !fed.has(k)), ...(entry.unfed?.(inputs) ?? [])])
    checks.push({ status: 'FAIL', field: `inputs.${key}`, detail: `an input the ${entry.name} replay does not feed` })
  const initial = scenario['initial_state']
  if (isObject(initial))
    for (const key of Object.keys(initial))
      if (!(entry.initialState ?? []).includes(key))
        checks.push({
          status: 'FAIL',
          field: `initial_state.${key}`,
          detail: `state the ${entry.name} replay does not load`,
        })
  const started = await entry.start(scenario)
  if (typeof started === 'string') return [...checks, ...failEverything(scenario, started, stepInputs)]
  const session = started
  const ledger = new Ledger()
  const occurrences = new Map<string, number>()
  try {
    for (const [index, step] of steps.entries()) {
      const event = typeof step['event'] === 'string' ? step['event'] : ''
      const occurrence = occurrences.get(event) ?? 0
      occurrences.set(event, occurrence + 1)
      // `<name>_before` is the state the call started from: compared before performing it.
      const before = new Map(
        Object.entries(step)
          .filter(([field]) => field.endsWith('_before') && !stepInputs.has(field))
          .map(([field, expected]) => [field, compare(session, field.slice(0, -'_before'.length), expected)]),
      )
      let failure: string | undefined
      if (event.startsWith('generator_') && entry.handles?.(event) !== true) {
        const action = actionOf(inputs, step, occurrence)
        failure = typeof action === 'string' ? action : performAction(session, action, event)
      } else failure = await session.perform(step)
      for (const [field, expected] of Object.entries(step)) {
        if (identifyingFields.has(field) || stepInputs.has(field)) continue
        const d =
          failure !== undefined
            ? `could not be performed: ${failure}`
            : before.has(field)
              ? before.get(field)
              : compare(session, field, expected)
        ledger.note(`steps.${field}`, typeof d === 'string' ? `${where(step, index)}: ${d}` : d)
      }
      if (failure !== undefined && Object.keys(step).every((f) => identifyingFields.has(f) || stepInputs.has(f)))
        ledger.note('steps', `${where(step, index)} could not be performed: ${failure}`)
    }
    const outputs = scenario['outputs']
    if (isObject(outputs))
      for (const [key, expected] of Object.entries(outputs))
        ledger.note(`outputs.${key}`, compare(session, key.replace(/^final_/, ''), expected))
    else if (outputs !== undefined) ledger.note('outputs', 'outputs is not a record of named values')
    if (scenario['grads'] !== undefined)
      ledger.note('grads', 'a sequential scenario records its gradients per step; a top-level grads is not replayed')
  } finally {
    session.dispose()
  }
  return [...checks, ...ledger.checks()]
}
