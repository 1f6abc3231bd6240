/**
 * The hook-order fields, compared whole in the contract's formats:
 * `registered_hooks` (`[name, priority]` in registration order),
 * `call_sequence` (one entry per `call_hook(stage)`: `{stage, depth, epoch,
 * iter, hooks, overriding_hooks}`) and `trace` (the same calls unfolded, one
 * entry per hook visited: `{stage, hook, overrides, epoch, iter, depth}`).
 *
 * loopwright's side comes from the run's own trace: an `Event` entry for each
 * stage call (nested ones with their depth) and a `HookCall` entry for each
 * hook that acts at that stage. Every registered hook is visited at every
 * call, as MMEngine visits them; a hook overrides a stage when it has a
 * middleware there.
 */
import { Effect } from 'effect'
import { isDict, json, record } from '../../src/schema/codec.js'
import type { Json } from '../../src/dsl/MessageHub.js'
import * as Hook from '../../src/dsl/Hook.js'
import * as P from '../../src/dsl/Priority.js'
import type { State } from '../../src/dsl/State.js'
import * as Stage from '../../src/dsl/Stage.js'
import type { HookType } from '../../src/hooks/HookType.js'
import { erase } from '../../src/hooks/HookType.js'
import type { TraceEntry } from '../../src/interpreters/Trace.js'
import type { Check, Scenario } from './scenario.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })

/** The generator's own recording hook: registered after the config's hooks, never in the config (README). */
export const GOLDEN_RECORDER = 'GoldenRecorderHook'

/**
 * A hook that does nothing at the given stages. `Rec*` hooks act at no stage
 * (they inherit MMEngine's no-op methods); the generator's recorder acts where
 * it records, which only the record can say (it is the generator's, not MMEngine's).
 */
export const inertHook = (name: string, stages: ReadonlyArray<Stage.Stage>): HookType<unknown> =>
  erase<{ readonly [key: string]: Json }>({
    name,
    defaultPriority: P.NORMAL,
    args: record(json),
    touches: {},
    build: (_args, site) =>
      Hook.make({
        name,
        key: site.key,
        priority: site.priority,
        stages: Object.fromEntries(stages.map((s) => [s, (state: State) => Effect.succeed(state)])),
      }),
  })

/** The `Rec*` hook types a config names (in `custom_hooks` or `default_hooks`), without scope. */
export const recordingHookNames = (config: { readonly [key: string]: unknown }): string[] => {
  const names = new Set<string>()
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (isDict(v)) {
      if (typeof v['type'] === 'string' && /^(\w+\.)?Rec/.test(v['type'])) names.add(v['type'].replace(/^\w+\./, ''))
      Object.values(v).forEach(visit)
    }
  }
  visit(config['custom_hooks'])
  visit(config['default_hooks'])
  return [...names]
}

/** The recorded priority of the generator's recorder, when `registered_hooks` lists it. */
export const goldenRecorderPriority = (scenario: Scenario): P.Priority | undefined => {
  const entry = (Array.isArray(scenario['registered_hooks']) ? scenario['registered_hooks'] : []).find(
    (h: unknown) => Array.isArray(h) && h[0] === GOLDEN_RECORDER,
  ) as unknown[] | undefined
  if (entry === undefined) return undefined
  const parsed = P.parse(entry[1])
  return parsed._tag === 'Right' ? parsed.right : P.make(60)
}

/** The stages at which the record shows the generator's recorder acting. */
export const goldenRecorderStages = (scenario: Scenario): Stage.Stage[] => {
  const calls = Array.isArray(scenario['call_sequence']) ? (scenario['call_sequence'] as unknown[]) : []
  const stages = new Set<Stage.Stage>()
  for (const c of calls)
    if (
      isDict(c) &&
      Array.isArray(c['overriding_hooks']) &&
      c['overriding_hooks'].includes(GOLDEN_RECORDER) &&
      Stage.all.includes(c['stage'] as Stage.Stage)
    )
      stages.add(c['stage'] as Stage.Stage)
  return [...stages]
}

/** One `call_hook(stage)` as loopwright made it. */
export interface Call {
  readonly stage: string
  readonly depth: number
  readonly epoch: number
  readonly iter: number
  readonly hooks: ReadonlyArray<string>
  readonly overriding_hooks: ReadonlyArray<string>
}

interface OpenCall {
  readonly call: {
    stage: string
    depth: number
    epoch: number
    iter: number
    hooks: ReadonlyArray<string>
    overriding_hooks: string[]
  }
  /** Calls made from inside this one, after the visit of which hook. */
  readonly nested: Array<{ readonly after: string | undefined; readonly call: OpenCall }>
}

/** The stage calls of a run, as a forest (nested calls under the call and hook that made them). */
const callTree = (
  trace: ReadonlyArray<TraceEntry>,
  registered: ReadonlyArray<string>,
  left: ReadonlySet<string>,
): OpenCall[] => {
  const roots: OpenCall[] = []
  const open: OpenCall[] = []
  for (const entry of trace) {
    if (entry._tag === 'Event') {
      const depth = entry.depth ?? 0
      const node: OpenCall = {
        call: {
          stage: entry.stage,
          depth,
          epoch: entry.epoch,
          iter: entry.iter,
          hooks: registered,
          overriding_hooks: [],
        },
        nested: [],
      }
      open.length = Math.min(open.length, depth)
      const parent = open[depth - 1]
      if (depth > 0 && parent !== undefined)
        parent.nested.push({ after: parent.call.overriding_hooks.at(-1), call: node })
      else roots.push(node)
      open[depth] = node
    } else if (entry._tag === 'HookCall' && !left.has(entry.hook)) {
      open[entry.depth]?.call.overriding_hooks.push(entry.hook)
    }
  }
  return roots
}

const flattenCalls = (nodes: ReadonlyArray<OpenCall>): Call[] =>
  nodes.flatMap((n) => [n.call, ...flattenCalls(n.nested.map((x) => x.call))])

interface Visit {
  readonly stage: string
  readonly hook: string
  readonly overrides: boolean
  readonly epoch: number
  readonly iter: number
  readonly depth: number
}

/** One entry per hook visited; a nested call's visits follow the visit of the hook that made it. */
const unfold = (nodes: ReadonlyArray<OpenCall>): Visit[] =>
  nodes.flatMap((n) =>
    n.call.hooks.flatMap((hook) => [
      {
        stage: n.call.stage,
        hook,
        overrides: n.call.overriding_hooks.includes(hook),
        epoch: n.call.epoch,
        iter: n.call.iter,
        depth: n.call.depth,
      },
      ...unfold(n.nested.filter((x) => x.after === hook).map((x) => x.call)),
    ]),
  )

const show = (v: unknown): string => (v === undefined ? 'none' : JSON.stringify(v))
const showPair = (h: unknown): string => (Array.isArray(h) ? `${h[0]}(${h[1]})` : show(h))

/** Compare two lists of records key by key (the recorded keys, every one of them); the first difference, if any. */
const firstDifference = (
  ours: ReadonlyArray<object>,
  recorded: ReadonlyArray<unknown>,
  what: string,
): string | undefined => {
  for (let i = 0; i < Math.max(ours.length, recorded.length); i++) {
    const r = recorded[i]
    const o = ours[i] as { readonly [key: string]: unknown } | undefined
    if (r === undefined || o === undefined) {
      const counts = `(${ours.length} vs ${recorded.length} entries)`
      return `${what} ${i}: loopwright ${show(o)} ≠ recorded ${show(r)} ${counts}`
    }
    if (!isDict(r)) return `${what} ${i}: recorded entry is not a dict`
    const keys = new Set([...Object.keys(r), ...Object.keys(o)])
    for (const key of keys) {
      if (JSON.stringify(o[key]) !== JSON.stringify(r[key])) {
        const where = `${what} ${i} (${String(r['stage'] ?? '')}) ${key}`
        return `${where}: loopwright ${show(o[key])} ≠ recorded ${show(r[key])}`
      }
    }
  }
  return undefined
}

/**
 * `registered_hooks`, `call_sequence`, `trace`: loopwright's registration
 * (`registered`, names and priorities in order) and the run's trace, with
 * the replay's own probe hooks (`left`) left out.
 */
export const compareHookOrder = (
  scenario: Scenario,
  registered: ReadonlyArray<{ readonly name: string; readonly priority: number }>,
  trace: ReadonlyArray<TraceEntry>,
  left: ReadonlySet<string>,
): Check[] => {
  const checks: Check[] = []
  const ours = registered.filter((h) => !left.has(h.name))
  if (scenario['registered_hooks'] !== undefined) {
    const recorded = Array.isArray(scenario['registered_hooks']) ? (scenario['registered_hooks'] as unknown[]) : []
    const parsed = recorded.map((h) => (Array.isArray(h) ? { name: String(h[0]), priority: P.parse(h[1]) } : undefined))
    const bad =
      !Array.isArray(scenario['registered_hooks']) || parsed.some((p) => p === undefined || p.priority._tag === 'Left')
        ? 'expected a list of [name, priority] pairs'
        : parsed.length !== ours.length ||
            parsed.some(
              (p, i) =>
                p!.name !== ours[i]!.name || (p!.priority as { right: P.Priority }).right.value !== ours[i]!.priority,
            )
          ? `${ours.map((h) => `${h.name}(${h.priority})`).join(' ')} ≠ recorded ${recorded.map(showPair).join(' ')}`
          : undefined
    checks.push(bad === undefined ? pass('registered_hooks', `${ours.length} hooks`) : fail('registered_hooks', bad))
  }
  const tree = callTree(
    trace,
    ours.map((h) => h.name),
    left,
  )
  if (scenario['call_sequence'] !== undefined) {
    const recorded = scenario['call_sequence']
    const calls = flattenCalls(tree)
    const bad = Array.isArray(recorded) ? firstDifference(calls, recorded, 'call') : 'expected a list of calls'
    checks.push(bad === undefined ? pass('call_sequence', `${calls.length} calls`) : fail('call_sequence', bad))
  }
  if (scenario['trace'] !== undefined) {
    const recorded = scenario['trace']
    const visits = unfold(tree)
    const bad = Array.isArray(recorded) ? firstDifference(visits, recorded, 'visit') : 'expected a list of hook visits'
    checks.push(bad === undefined ? pass('trace', `${visits.length} hook visits`) : fail('trace', bad))
  }
  return checks
}
