/**
 * Sequential replay of an MMSelfSup hook, driven by a minimal runner as the
 * recording drove it with a fake one: loopwright's own hook, built from
 * `component.config` through the hook registry and a program that registers
 * it, called stage by stage with the dry interpreter's services. Each step's
 * `event` is the stage; `epoch` and `iter` are the runner's counters at the
 * call (MMEngine's `runner.epoch` / `runner.iter`, 0-based; where a record
 * leaves them out they advance as MMEngine's loop advances them, after
 * `after_train_iter` and `after_train_epoch`) and `batch_idx` the batch index.
 * A stage the hook does not act at leaves the state as it is (MMEngine's base
 * `Hook` methods do nothing).
 *
 * The runner's state comes from `inputs` (or `inputs.runner`):
 * - `param_groups` (or `optimizer_param_groups`, `optimizer.param_groups`): the optimizer's groups,
 *   each `{lr, fix_lr?, params?|param_names?, …}`;
 * - `model_attributes`, `model` (beside its parameter list) and the
 *   attributes themselves (`loss_lambda`): the model's attributes;
 * - `param_names` (or `named_parameters`, `model.param_names`, the
 *   scenario's `params`): the parameter names, whose `requires_grad` a hook
 *   may change;
 * - `world_size`, `rank`: the processes (`Collective`), 1 and 0 when absent;
 * - `epoch`, `iter`: the counters before the first step (0 when absent);
 * - `max_epochs`, `max_iters`: the run's length;
 * - `work_dir`: read and not used. MMSelfSup's SwAVHook loads `work_dir/queue.pth` if it exists;
 *   loopwright keeps the queue in checkpoints instead, and a record that relied on a loaded queue
 *   shows it in the state after `before_run`, where it fails.
 *
 * What a hook adds of its own (SwAV's queue, DenseCL's remembered λ) is a
 * {@link HookView}: one small entry each.
 */
import { Effect, Layer } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import type { Json as StateJson } from '../../../src/dsl/MessageHub.js'
import * as Ev from '../../../src/dsl/Event.js'
import type { Hook } from '../../../src/dsl/Hook.js'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import { Collective } from '../../../src/dsl/Services.js'
import type { HookServices } from '../../../src/dsl/Services.js'
import * as Stage from '../../../src/dsl/Stage.js'
import * as S from '../../../src/dsl/State.js'
import type { State } from '../../../src/dsl/State.js'
import { defaultHookTypes } from '../../../src/hooks/registry.js'
import { buildHooks } from '../../../src/interpreters/buildHooks.js'
import * as Dry from '../../../src/interpreters/dry/layers.js'
import * as Optim from '../../../src/optim/OptimState.js'
import * as Registry from '../../../src/schema/registry.js'
import { FROZEN_LAYERS } from '../../../src/selfsup/algorithms/Algorithm.js'
import type { Json, JsonObject, Observation, SequentialComponent, SequentialScenario, Session } from '../sequential.js'
import { observed, unobservable } from '../sequential.js'
import type { Quantity } from '../stepFields.js'
import { byGroup, byName } from './shape.js'

/** What the replay knows of the run while a hook is driven. */
export interface HookContext {
  readonly state: State
  /** The hook's registration key (its own state lives under it). */
  readonly key: string
  /** `component.config` without `type` and `priority`. */
  readonly args: JsonObject
  readonly worldSize: number
  readonly paramNames: ReadonlyArray<string>
  /** What the hook logged and wrote so far (the dry services record it). */
  readonly recording: Dry.Recording
}

/**
 * What a hook's view adds to one replay: services in place of the dry ones (features the scenario recorded, tensors
 * with values), the state the runner starts from, calls between stages (a generator's memory update), and the
 * quantities it keeps.
 */
export interface ViewSession {
  readonly services: Layer.Layer<never>
  /** The starting state, given the one the runner's inputs describe. */
  readonly prepare: (state: State) => State | string
  /** Events other than hook stages it performs: the next state, or why not; undefined when it is not one of them. */
  readonly perform?: (event: string, step: JsonObject, state: State) => State | string | undefined
  readonly observe: (quantity: Quantity, expected: Json, context: HookContext) => Observation | undefined
}

/** A hook's own quantities, beside those every hook shares (lrs, model attributes, `requires_grad`). */
export interface HookView {
  readonly hook: string
  /** Keys of `inputs` it reads. */
  readonly inputs?: ReadonlyArray<string>
  /** Keys of `initial_state` it loads. */
  readonly initialState?: ReadonlyArray<string>
  /** Events other than hook stages it performs (its session's `perform`), `generator_*` ones included. */
  readonly events?: ReadonlyArray<string>
  /** Fields of a step record that are inputs of such an event (a memory update's `idx`, `feature`). */
  readonly stepInputs?: ReadonlyArray<string>
  /** Per replay: a session, or why the hook cannot be replayed. */
  readonly open?: (scenario: SequentialScenario, inputs: JsonObject) => ViewSession | string
  /** loopwright's value of a quantity of this hook's, or undefined when it is not one of them. */
  readonly observe?: (quantity: Quantity, expected: Json, context: HookContext) => Observation | undefined
}

const isObject = (j: unknown): j is JsonObject => typeof j === 'object' && j !== null && !Array.isArray(j)

const facts = {
  workDir: 'work',
  logDir: 'work/replay',
  timestamp: 'replay',
  experimentName: 'replay',
  configText: '{}',
  sizes: {},
  datasetMeta: undefined,
}

/** The inputs every hook replay reads, at the top of `inputs` or inside `inputs.runner`. */
const runnerInputs = [
  'param_groups',
  'optimizer_param_groups',
  'model_attributes',
  'model',
  'loss_lambda',
  'optimizer',
  'param_names',
  'named_parameters',
  'world_size',
  'rank',
  'epoch',
  'iter',
  'work_dir',
  'max_epochs',
  'max_iters',
]
/** Keys of `inputs.model` that list the parameters; its other keys are model attributes. */
const modelNameKeys = ['param_names', 'named_parameters', 'params', 'parameters']

/** `inputs` with `inputs.runner`'s keys lifted beside the others. */
const runnerOf = (inputs: JsonObject): JsonObject => ({
  ...(isObject(inputs['runner']) ? inputs['runner'] : {}),
  ...inputs,
})

/** The names a list or dict of parameters gives. */
const namesIn = (j: Json | undefined): ReadonlyArray<string> | undefined =>
  Array.isArray(j) ? j.map(String) : isObject(j) ? Object.keys(j) : undefined

/** The optimizer state of the runner: one wrapper with the given groups, no schedulers. */
const optimOf = (groups: ReadonlyArray<JsonObject>): Optim.OptimState => ({
  _tag: 'OptimState',
  slots: [
    {
      name: undefined,
      slot: {
        groups: {
          real: groups.map((g, i) => {
            const { params, param_names, ...hyper } = g
            const names = (params ?? param_names ?? [`group${i}`]) as string[]
            return { names, hyper: hyper as { [key: string]: StateJson } }
          }),
          base: undefined,
        },
        schedulers: [],
        tensors: undefined,
      },
    },
  ],
})

const groupsOf = (state: State) => Optim.read(state.optim)?.slots[0]?.slot.groups.real ?? []

/** The quantities every hook shares, read from the run's state. */
const observeShared = (quantity: Quantity, expected: Json, c: HookContext): Observation => {
  const groups = groupsOf(c.state)
  switch (quantity) {
    case 'lr':
      return groups.length === 0
        ? unobservable('the runner has no optimizer (inputs.param_groups)')
        : observed(
            byGroup(
              expected,
              groups.map((g) => g.hyper['lr']),
            ),
          )
    case 'fix_lr':
      return observed(
        byGroup(
          expected,
          groups.map((g) => g.hyper['fix_lr'] === true),
        ),
      )
    case 'param_groups':
      return observed(groups.map((g) => ({ ...g.hyper, params: g.names, param_names: g.names })))
    case 'loss_lambda': {
      const value = c.state.model.attributes['loss_lambda']
      return value === undefined ? unobservable('the model has no attribute loss_lambda') : observed(value)
    }
    case 'requires_grad': {
      const frozen = c.state.model.attributes[FROZEN_LAYERS]
      const layers = Array.isArray(frozen) ? (frozen as string[]) : []
      const flag = (n: string) => !layers.some((l) => n.includes(l))
      // A recorded key that is not a parameter name selects the parameters whose names contain it.
      const ofKey = (key: string) => {
        const selected = c.paramNames.includes(key) ? [key] : c.paramNames.filter((n) => n.includes(key))
        const flags = new Set((selected.length === 0 ? [key] : selected).map(flag))
        return flags.size === 1 ? [...flags][0] : `mixed: ${selected.map((n) => `${n}=${flag(n)}`).join(', ')}`
      }
      const names = isObject(expected) ? Object.keys(expected) : c.paramNames
      return observed(byName(expected, names, ofKey))
    }
    case 'epoch':
      return observed(c.state.counters.epoch)
    case 'iter':
      return observed(c.state.counters.iter)
    default:
      return unobservable(`${quantity} is not part of a hook's runner state`)
  }
}

const numberOf = (j: Json | undefined, fallback: number): number => (typeof j === 'number' ? j : fallback)

/** The hook replay, with the views of hooks that keep quantities of their own. */
export const hookReplay = (views: ReadonlyArray<HookView>): SequentialComponent => ({
  name: 'hook',
  accepts: (type) => Registry.resolve(defaultHookTypes, type)._tag === 'Right',
  inputs: ['runner', ...runnerInputs, ...views.flatMap((v) => v.inputs ?? [])],
  unfed: (inputs) => {
    const runner = isObject(inputs['runner']) ? inputs['runner'] : {}
    const known = new Set([...runnerInputs, ...views.flatMap((v) => v.inputs ?? [])])
    const optimizer = runnerOf(inputs)['optimizer']
    return [
      ...Object.keys(runner)
        .filter((k) => !known.has(k))
        .map((k) => `runner.${k}`),
      // Of the runner's optimizer only its groups are read.
      ...(isObject(optimizer) ? Object.keys(optimizer).filter((k) => k !== 'param_groups') : []).map(
        (k) => `optimizer.${k}`,
      ),
    ]
  },
  stepInputs: [...new Set(views.flatMap((v) => v.stepInputs ?? []))],
  initialState: [...new Set(views.flatMap((v) => v.initialState ?? []))],
  handles: (event) => views.some((v) => (v.events ?? []).includes(event)),
  start: (scenario: SequentialScenario): Session | string => {
    const config = ((scenario['component'] as JsonObject)['config'] ?? {}) as JsonObject
    const { type, priority, ...args } = config
    const hookType = Registry.resolve(defaultHookTypes, String(type))
    if (hookType._tag === 'Left') return hookType.left
    if (hookType.right.planOnly !== undefined)
      return `${String(type)} is plan-only in loopwright: ${hookType.right.planOnly}`
    const inputs = runnerOf((scenario['inputs'] ?? {}) as JsonObject)
    const maxEpochs = numberOf(inputs['max_epochs'], 1000)
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: maxEpochs })),
      Program.withCustomHook({
        type: String(type),
        args: args as { [key: string]: StateJson },
        ...(priority === undefined ? {} : { priority: priority as never }),
      }),
    )
    const built = buildHooks(program, defaultHookTypes)
    if (built._tag === 'Left') return `component.config: ${built.left.map((i) => `${i.path}: ${i.message}`).join('; ')}`
    const hooks = built.right
    const hook = hooks.find((h) => h.key === 'custom_hooks[0]') as Hook<HookServices>
    const worldSize = numberOf(inputs['world_size'], 1)
    const optimizer = isObject(inputs['optimizer']) ? inputs['optimizer'] : {}
    const groups = inputs['param_groups'] ?? inputs['optimizer_param_groups'] ?? optimizer['param_groups']
    if (groups !== undefined && !(Array.isArray(groups) && groups.every(isObject)))
      return 'inputs.param_groups is not a list of dicts'
    const model = isObject(inputs['model']) ? inputs['model'] : {}
    const attributes = {
      ...Object.fromEntries(Object.entries(model).filter(([k]) => !modelNameKeys.includes(k))),
      ...(isObject(inputs['model_attributes']) ? inputs['model_attributes'] : {}),
      ...(inputs['loss_lambda'] === undefined ? {} : { loss_lambda: inputs['loss_lambda'] }),
    } as { [name: string]: StateJson }
    const paramNames =
      namesIn(inputs['param_names'] ?? inputs['named_parameters']) ??
      modelNameKeys.map((k) => namesIn(model[k])).find((n) => n !== undefined) ??
      namesIn(scenario['params']) ??
      []
    const s0 = S.atCounters(
      S.initial({ seed: 0, maxEpochs, maxIters: numberOf(inputs['max_iters'], 1_000_000) }),
      numberOf(inputs['epoch'], 0),
      numberOf(inputs['iter'], 0),
    )
    const view = views.find((v) => v.hook === hook.name)
    const opened = view?.open?.(scenario, inputs)
    if (typeof opened === 'string') return opened
    const prepared = opened?.prepare({
      ...s0,
      model: { ...s0.model, attributes },
      optim: groups === undefined ? {} : Optim.write(optimOf(groups as JsonObject[])),
    })
    if (typeof prepared === 'string') return prepared
    let state: State = prepared ?? {
      ...s0,
      model: { ...s0.model, attributes },
      optim: groups === undefined ? {} : Optim.write(optimOf(groups as JsonObject[])),
    }
    const recording = Dry.emptyRecording()
    const services = Layer.mergeAll(
      Dry.layer(recording, facts, () => hooks, { traceLimit: 0 }),
      Layer.succeed(Collective, {
        worldSize,
        rank: numberOf(inputs['rank'], 0),
        allReduceMean: (tree) => Effect.succeed(tree),
      }),
      opened?.services ?? Layer.empty,
    )
    const context = (): HookContext => ({
      state,
      key: hook.key,
      args: args as JsonObject,
      worldSize,
      paramNames,
      recording,
    })
    return {
      perform: async (step) => {
        const event = step['event']
        const other = typeof event === 'string' ? opened?.perform?.(event, step, state) : undefined
        if (typeof other === 'string') return other
        if (other !== undefined) {
          state = other
          return undefined
        }
        if (typeof event !== 'string' || !(Stage.all as ReadonlyArray<string>).includes(event))
          return `${JSON.stringify(event)} is not a hook stage`
        const stage = event as Stage.Stage
        const epoch = numberOf(step['epoch'], state.counters.epoch)
        const iter = numberOf(step['iter'], state.counters.iter)
        state = S.atCounters(state, epoch, iter)
        const middleware = hook.stages[stage]
        if (middleware !== undefined) {
          const batchIdx = typeof step['batch_idx'] === 'number' ? step['batch_idx'] : undefined
          const result = await Effect.runPromise(
            Effect.result(middleware(state, Ev.stage(stage, epoch, iter, batchIdx)).pipe(Effect.provide(services))),
          )
          if (result._tag === 'Failure') return result.failure.message
          state = result.success
        }
        // MMEngine's train loop advances its counters after these stages; a record that leaves out `epoch` or
        // `iter` follows the loop.
        if (stage === 'after_train_iter') state = S.atCounters(state, state.counters.epoch, state.counters.iter + 1)
        if (stage === 'after_train_epoch') state = S.atCounters(state, state.counters.epoch + 1, state.counters.iter)
        return undefined
      },
      observe: (quantity, expected) => {
        const own = opened?.observe(quantity, expected, context()) ?? view?.observe?.(quantity, expected, context())
        return own ?? observeShared(quantity, expected, context())
      },
      set: (quantity, value) => {
        if (quantity === 'lr') {
          const real = groupsOf(state)
          if (real.length === 0) return 'the runner has no optimizer (inputs.param_groups)'
          const values = Array.isArray(value) ? value : real.map(() => value)
          if (values.length !== real.length || !values.every((v) => typeof v === 'number'))
            return `expected one lr, or one per group (${real.length})`
          return void setGroups(real.map((g, i) => ({ ...g, hyper: { ...g.hyper, lr: values[i] as number } })))
        }
        if (quantity === 'loss_lambda') {
          if (typeof value !== 'number') return 'expected a number'
          state = { ...state, model: { ...state.model, attributes: { ...state.model.attributes, loss_lambda: value } } }
          return undefined
        }
        return `a hook replay does not set ${quantity}`
      },
      scaleLr: (factor) => {
        const real = groupsOf(state)
        if (real.length === 0) return 'the runner has no optimizer (inputs.param_groups)'
        const factors = typeof factor === 'number' ? real.map(() => factor) : factor
        if (factors.length !== real.length) return 'expected one factor, or one per group'
        return void setGroups(
          real.map((g, i) => ({ ...g, hyper: { ...g.hyper, lr: (g.hyper['lr'] as number) * factors[i]! } })),
        )
      },
      dispose: () => undefined,
    }

    function setGroups(real: ReturnType<typeof groupsOf>): void {
      const optim = Optim.read(state.optim)!
      const first = optim.slots[0]!
      const slots = [
        { ...first, slot: { ...first.slot, groups: { ...first.slot.groups, real } } },
        ...optim.slots.slice(1),
      ]
      state = { ...state, optim: Optim.write({ ...optim, slots }) }
    }
  },
})
