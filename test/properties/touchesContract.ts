/**
 * The contract every hook type's `touches` declaration must keep, as a
 * reusable check: run one stage of a hook on a generated state and hold what
 * it did against what its type declares for its arguments.
 *
 * - **Writes.** Every field whose value differs after the stage (by
 *   `changedFields`, tensors compared by value), and every effect the stage
 *   had (log lines, files, checkpoints, cache releases), is covered by the
 *   stage's declared `writes`.
 * - **Reads (non-interference).** For each field the stage does *not* declare
 *   as read, the stage runs again on the same state with only that field
 *   changed. Every other field of the result, the effects and the outcome
 *   (success or the error's message) must be the same: if they differ, the
 *   hook looked at the field.
 *
 * What the read check cannot see: a read whose influence the sampled change
 * does not reveal (a threshold the perturbed value does not cross), a read
 * that only feeds the same field back (`x ← f(x)` of a field declared as
 * written), and reads of `optim.schedulers`, `optim.tensors`, `optim.groups`,
 * the counters and the hook's own state, which are never perturbed (the
 * counters and `own` need no declaration; see `dsl/Touches.ts`). It can
 * neither see a read of a field that no generated state holds: the states
 * below hold every field the built-in hooks use, and absent keys are
 * perturbed by adding them.
 */
import { Context, Effect } from 'effect'
import fc from 'fast-check'
import { pipe } from 'fp-ts/lib/function.js'
import * as Ev from '../../src/dsl/Event.js'
import type * as Hook from '../../src/dsl/Hook.js'
import * as Loop from '../../src/dsl/Loop.js'
import * as Hub from '../../src/dsl/MessageHub.js'
import type { Json } from '../../src/dsl/MessageHub.js'
import * as P from '../../src/dsl/Priority.js'
import * as Program from '../../src/dsl/Program.js'
import {
  Checkpoints,
  Clock,
  Collective,
  Files,
  Logger,
  ModelOps,
  ParamSchedulers,
  Run,
  TensorOps,
} from '../../src/dsl/Services.js'
import type { HookServices } from '../../src/dsl/Services.js'
import * as Stage from '../../src/dsl/Stage.js'
import type { State, TensorTree } from '../../src/dsl/State.js'
import * as S from '../../src/dsl/State.js'
import { covers } from '../../src/dsl/Touches.js'
import type { Field, StageTouches } from '../../src/dsl/Touches.js'
import { touchesOf } from '../../src/hooks/HookType.js'
import type { HookType } from '../../src/hooks/HookType.js'
import { canonical, changedFields, fieldValues, sameValue } from '../../src/hooks/touchedFields.js'
import type { RefValue } from '../../src/hooks/touchedFields.js'
import { paramSchedulers } from '../../src/interpreters/paramSchedulers.js'
import * as Optim from '../../src/optim/OptimState.js'
import { MEMORY, MEMORY_SETTINGS } from '../../src/selfsup/algorithms/ODC.js'
import { facts } from '../support/harness.js'
import { FakeTensors } from '../unit/hooks/support.js'

/** The key the hook under test is registered under. */
export const KEY = 'custom_hooks[0]'

const sizes = { train: 4, val: 2, test: 2 }

/** A state as plain data; `materialize` turns it into a `State` with tensors. */
export interface Recipe {
  readonly epoch: number
  readonly iter: number
  readonly extraEpochs: number
  readonly extraIters: number
  readonly batchIdx: number
  readonly seed: number
  readonly samplerEpoch: number
  readonly params: ReadonlyArray<number>
  readonly buffers: ReadonlyArray<number>
  readonly attributes: { readonly [name: string]: Json }
  readonly training: boolean
  readonly optimizer: boolean
  readonly scalars: ReadonlyArray<readonly [string, ReadonlyArray<number>]>
  readonly info: ReadonlyArray<readonly [string, Json]>
  readonly outputs: { readonly [name: string]: number }
  readonly metrics: { readonly [name: string]: number } | undefined
  readonly lastBatch: 'none' | 'test' | 'val'
  readonly stop: boolean
  readonly otherHook: Json | undefined
  readonly worldSize: 1 | 2
  readonly releases: boolean
  readonly odcMemory: boolean
}

const num = fc.double({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true })
const small = fc.integer({ min: 0, max: 5 })

/** Keys the built-in hooks read or write, each present or absent in a generated state. */
export const scalarKeys = [
  'train/lr',
  'train/base_lr',
  'train/loss',
  'train/time',
  'train/data_time',
  'val/accuracy/top1',
  'val/time',
  'val/data_time',
  'test/time',
  'test/data_time',
]
export const infoKeys: ReadonlyArray<readonly [string, fc.Arbitrary<Json>]> = [
  ['loop_stage', fc.constantFrom('train', 'val', 'test')],
  ['epoch', small],
  ['iter', small],
  ['eta', num],
  ['last_ckpt', fc.constantFrom('work/epoch_1.safetensors', 'work/iter_2.safetensors')],
  ['keep_ckpt_ids', fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 3 })],
  ['best_score', num],
  ['best_ckpt', fc.constant('work/best_accuracy_top1_epoch_1.safetensors')],
  ['seed', small],
  // Non-scalar metrics, as RuntimeInfoHook records them.
  ['val/classwise', fc.constant([0.5, 0.25])],
  ['test/classwise', fc.constant([0.75, 0.5])],
]
export const attributeKeys: ReadonlyArray<readonly [string, fc.Arbitrary<Json>]> = [
  ['loss_lambda', fc.double({ min: 0, max: 1, noNaN: true })],
  ['head.loss.queue_length', fc.constantFrom(4, 8)],
  ['frozen_layers', fc.constant(['prototypes'])],
]
const metricKeys = ['accuracy/top1', 'loss']

const present = <A>(entries: ReadonlyArray<readonly [string, fc.Arbitrary<A>]>) =>
  fc
    .tuple(
      ...entries.map(([k, arb]) =>
        fc.option(
          arb.map((v) => [k, v] as const),
          { nil: undefined },
        ),
      ),
    )
    .map((xs) => xs.filter((x): x is readonly [string, A] => x !== undefined))

/** States a hook may meet: every part of `State`, with the keys the built-in hooks use present or not. */
export const recipeArb: fc.Arbitrary<Recipe> = fc.record({
  epoch: small,
  iter: fc.integer({ min: 0, max: 12 }),
  extraEpochs: fc.integer({ min: 0, max: 3 }),
  extraIters: fc.integer({ min: 0, max: 6 }),
  batchIdx: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  samplerEpoch: small,
  params: fc.array(num, { minLength: 3, maxLength: 3 }),
  buffers: fc.array(num, { minLength: 2, maxLength: 2 }),
  attributes: present(attributeKeys).map((xs) => Object.fromEntries(xs)),
  training: fc.boolean(),
  optimizer: fc.boolean(),
  scalars: present(scalarKeys.map((k) => [k, fc.array(num, { minLength: 1, maxLength: 3 })] as const)),
  info: present(infoKeys),
  outputs: fc.dictionary(fc.constantFrom('loss', 'loss_a'), num),
  metrics: fc.option(fc.dictionary(fc.constantFrom(...metricKeys), num, { minKeys: 1 }), { nil: undefined }),
  lastBatch: fc.constantFrom('none', 'test', 'val'),
  stop: fc.boolean(),
  otherHook: fc.option(fc.record({ n: small }), { nil: undefined }),
  worldSize: fc.constantFrom(1 as const, 2 as const),
  releases: fc.boolean(),
  odcMemory: fc.boolean(),
})

const modelInfo = {
  params: [
    { name: 'backbone.w', shape: [2], requiresGrad: true, module: { type: 'Linear' } },
    { name: 'head.predictor.w', shape: [1], requiresGrad: true, module: { type: 'Linear' } },
  ],
}

/** SGD with a fixed-lr predictor group, an iteration warm-up, an epoch cosine and a plateau scheduler. */
const optimState = (): Optim.OptimState => {
  const built = Optim.build(
    {
      type: 'OptimWrapper',
      optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9, weight_decay: 1e-4 },
      paramwise_cfg: { custom_keys: { predictor: { fix_lr: true } } },
    },
    [
      { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 5 },
      { type: 'CosineAnnealingLR', by_epoch: true, begin: 0, end: 10, T_max: 10 },
      { type: 'ReduceOnPlateauLR', monitor: 'loss', rule: 'less', patience: 0, by_epoch: true },
    ],
    modelInfo,
    { epochLength: sizes.train, maxEpochs: 10, maxIters: 10 * sizes.train },
  )
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right.state
}
const sharedOptim = optimState()

/** An ODC memory as the ODC model keeps it (settings attribute, three buffers), sized like `extractFeatures`. */
const odcSettings = { length: 24, feat_dim: 4, momentum: 0.5, num_classes: 3, min_cluster: 7 }
const odcBuffers = (r: Recipe, tensors: FakeTensors) => {
  const { length, feat_dim, num_classes } = odcSettings
  const row = (i: number) => Array.from({ length: feat_dim }, (_, d) => Math.cos(i * 0.9 + d + r.seed))
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v))
  return {
    [MEMORY.featureBank]: tensors.ref(Array.from({ length }, (_, i) => unit(row(i))).flat(), [length, feat_dim]),
    // Cluster 2 holds fewer than min_cluster samples when the seed is odd: the small-cluster path runs too.
    [MEMORY.labelBank]: tensors.ref(
      Array.from({ length }, (_, i) => (r.seed % 2 === 1 && i < 3 ? 2 : i % 2)),
      [length],
      'int32',
    ),
    [MEMORY.centroids]: tensors.ref(Array.from({ length: num_classes }, (_, k) => unit(row(k))).flat(), [
      num_classes,
      feat_dim,
    ]),
  }
}

/** The `State` a recipe describes; its tensors live in `tensors`. */
export const materialize = (r: Recipe, tensors: FakeTensors): State => {
  const batch = (mode: 'val' | 'test') => ({
    mode,
    indices: [0, 1],
    inputs: tensors.ref([0, 0.5, 1, 0.25, 0.75, 0], [2, 1, 3]),
    targets: tensors.ref([1, 0], [2], 'int32'),
    outputs: tensors.ref([0.2, 0.8, 0.9, 0.1], [2, 2]),
  })
  return {
    ...S.initial({ seed: r.seed, maxEpochs: r.epoch + 1 + r.extraEpochs, maxIters: r.iter + 1 + r.extraIters }),
    counters: {
      epoch: r.epoch,
      iter: r.iter,
      maxEpochs: r.epoch + 1 + r.extraEpochs,
      maxIters: r.iter + 1 + r.extraIters,
    },
    data: { samplerEpoch: r.samplerEpoch },
    model: {
      params: tensors.tree({ 'backbone.w': r.params.slice(0, 2), 'head.predictor.w': r.params.slice(2) }),
      buffers: {
        'bn.running_mean': tensors.ref(r.buffers),
        'bn.num_batches_tracked': tensors.ref([r.iter], [1], 'int32'),
        ...(r.odcMemory ? odcBuffers(r, tensors) : {}),
      },
      attributes: r.odcMemory ? { ...r.attributes, [MEMORY_SETTINGS]: odcSettings } : r.attributes,
      training: r.training,
    },
    optim: r.optimizer ? Optim.write(sharedOptim) : {},
    messageHub: r.scalars.reduce(
      (h, [k, vs]) => vs.reduce((acc, v) => Hub.updateScalar(acc, k, v), h),
      r.info.reduce((h, [k, v]) => Hub.updateInfo(h, k, v), Hub.empty),
    ),
    outputs: r.outputs,
    metrics: r.metrics,
    lastBatch: r.lastBatch === 'none' ? undefined : batch(r.lastBatch),
    stopTraining: r.stop,
    hooks: r.otherHook === undefined ? {} : { other_hook: r.otherHook },
  }
}

const bump = (v: Json | undefined, key = ''): Json | undefined => {
  if (typeof v === 'number') return v * 2 + 0.125
  if (typeof v === 'boolean') return !v
  if (typeof v === 'string') return `${v}x`
  if (Array.isArray(v)) return v.length === 0 ? [1] : v.map((x) => bump(x) ?? null)
  if (v === undefined) return key === 'fix_lr' ? true : undefined
  if (v === null) return 1
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bump(x) ?? null]))
}

const shifted = (tree: TensorTree, tensors: FakeTensors): TensorTree =>
  Object.fromEntries(
    Object.entries(tree).map(([n, ref]) => [
      n,
      tensors.ref(
        tensors.values(ref).map((v) => v + 1),
        ref.shape,
        ref.dtype as 'float32',
      ),
    ]),
  )

const withHyper = (optim: Optim.OptimState, key: string): Optim.OptimState => ({
  ...optim,
  slots: optim.slots.map(({ name, slot }) => ({
    name,
    slot: {
      ...slot,
      groups: {
        real: slot.groups.real.map((g) => ({ ...g, hyper: { ...g.hyper, [key]: bump(g.hyper[key] as Json, key) } })),
        base:
          slot.groups.base === undefined
            ? undefined
            : { ...slot.groups.base, [key]: bump(slot.groups.base[key] as Json, key) },
      },
    },
  })) as Optim.OptimState['slots'],
})

/**
 * `state` with only `field` changed, or `undefined` where the check does not
 * perturb that field (see the module comment). Absent keys are added.
 */
export const perturb = (state: State, field: Field, tensors: FakeTensors): State | undefined => {
  const model = state.model
  const hub = state.messageHub
  if (field === 'seed') return { ...state, seed: state.seed + 1 }
  if (field === 'rng') return { ...state, rng: { ...state.rng, counter: state.rng.counter + 1 } }
  if (field === 'data.sampler.epoch')
    return { ...state, data: { ...state.data, samplerEpoch: state.data.samplerEpoch + 1 } }
  if (field === 'model.params') return { ...state, model: { ...model, params: shifted(model.params, tensors) } }
  if (field === 'model.buffers') return { ...state, model: { ...model, buffers: shifted(model.buffers, tensors) } }
  if (field === 'model.training') return { ...state, model: { ...model, training: !model.training } }
  if (field === 'outputs')
    return {
      ...state,
      outputs: { ...Object.fromEntries(Object.entries(state.outputs).map(([k, v]) => [k, v + 1])), loss_b: 1 },
    }
  if (field === 'metrics')
    return {
      ...state,
      metrics:
        state.metrics === undefined
          ? { 'accuracy/top1': 0.5, loss: 1 }
          : Object.fromEntries(Object.entries(state.metrics).map(([k, v]) => [k, bump(v) ?? null])),
    }
  if (field === 'lastBatch')
    return {
      ...state,
      lastBatch: {
        mode: state.lastBatch?.mode === 'test' ? 'val' : 'test',
        indices: [3, 4],
        inputs: tensors.ref([1, 0.5, 0, 1, 0.25, 0.5], [2, 1, 3]),
        targets: tensors.ref([0, 1], [2], 'int32'),
        outputs: tensors.ref([0.9, 0.1, 0.3, 0.7], [2, 2]),
      },
    }
  if (field === 'stop') return { ...state, stopTraining: !state.stopTraining }
  if (field.startsWith('data.')) {
    const key = field.slice('data.'.length)
    const data = state.data as unknown as { readonly [k: string]: Json }
    return { ...state, data: { ...state.data, [key]: bump(data[key]) ?? 1 } }
  }
  if (field.startsWith('optim.')) {
    const optim = Optim.read(state.optim)
    const key = field.slice('optim.'.length)
    if (optim === undefined || ['schedulers', 'tensors', 'groups'].includes(key)) return undefined
    return { ...state, optim: Optim.write(withHyper(optim, key)) }
  }
  if (field.startsWith('messageHub.scalars.')) {
    const key = field.slice('messageHub.scalars.'.length)
    const current = Hub.current(hub, key)
    return { ...state, messageHub: Hub.updateScalar(hub, key, current === undefined ? 0.75 : current * 2 + 0.5) }
  }
  if (field.startsWith('messageHub.info.')) {
    const key = field.slice('messageHub.info.'.length)
    return { ...state, messageHub: Hub.updateInfo(hub, key, bump(Hub.getInfo(hub, key)) ?? 1) }
  }
  if (field.startsWith('hooks.')) {
    const key = field.slice('hooks.'.length)
    return { ...state, hooks: { ...state.hooks, [key]: bump(state.hooks[key] as Json) ?? { n: 1 } } }
  }
  if (field.startsWith('model.')) {
    const key = field.slice('model.'.length)
    const value = model.attributes[key]
    return { ...state, model: { ...model, attributes: { ...model.attributes, [key]: bump(value) ?? 1 } } }
  }
  return undefined
}

/** Fields every generated state could hold: what it holds, and the absent keys of the pools. */
const candidates = (state: State): ReadonlyArray<Field> => [
  ...new Set([
    ...fieldValues(state, KEY).keys(),
    ...scalarKeys.map((k) => `messageHub.scalars.${k}`),
    ...infoKeys.map(([k]) => `messageHub.info.${k}`),
    ...attributeKeys.map(([k]) => `model.${k}`),
    'metrics',
    'lastBatch',
    'hooks.other_hook',
    ...(Optim.read(state.optim) === undefined ? [] : ['optim.fix_lr']),
  ]),
]

/** What one stage of one hook did: its result, and its effects in order. */
interface Outcome {
  readonly state: State | undefined
  readonly error: string | undefined
  readonly effects: ReadonlyArray<string>
  readonly effectFields: ReadonlySet<Field>
}

const services = (tensors: FakeTensors, worldSize: 1 | 2, effects: string[], effectFields: Set<Field>) => {
  let t = 0
  const note = (field: Field, what: string) =>
    Effect.sync(() => {
      effectFields.add(field)
      effects.push(`${field}: ${what}`)
    })
  const bytes = (b: Uint8Array) => `${b.length} bytes, sum ${b.reduce((a, x) => (a * 31 + x) % 1_000_003, 0)}`
  // A Context, not Layers: it is built for every run of a stage, thousands of times per test.
  return Context.make(Clock, { now: Effect.sync(() => ++t) }).pipe(
    Context.add(Logger, { log: (level, message) => note('log', `${level} ${message}`) }),
    Context.add(Files, {
      writeText: (path, text) => note('files', `write ${path} ${text}`),
      appendText: (path, text) => note('files', `append ${path} ${text}`),
      remove: (path) => note('files', `remove ${path}`),
      writeBytes: (path, b) => note('files', `write ${path} ${bytes(b)}`),
      appendBytes: (path, b) => note('files', `append ${path} ${bytes(b)}`),
      copyOut: (from, to, suffixes, keep) =>
        Effect.as(note('files', `copy ${from} ${to} ${suffixes.join(',')} ${keep}`), []),
    }),
    Context.add(Checkpoints, {
      save: (state, request) =>
        note(
          'checkpoint.files',
          `save ${canonical(request)} ${canonical([...fieldValues(state, KEY)], byValues(tensors))}`,
        ),
      publish: (path, keys) => Effect.as(note('checkpoint.files', `publish ${path} ${keys.join(',')}`), `${path}.pub`),
    }),
    Context.add(Run, facts(sizes)),
    Context.add(ParamSchedulers, paramSchedulers),
    Context.add(TensorOps, {
      ...tensors.ops,
      releaseMemory: Effect.flatMap(note('backend.cache', 'release'), () => tensors.ops.releaseMemory),
    }),
    // Clustering hooks extract features of the whole data set; these depend on the parameters, so a
    // declaration that omits `model.params` from a hook's reads is caught.
    Context.add(ModelOps, {
      extractFeatures: (state) =>
        Effect.sync(() => {
          const seed = Object.values(state.model.params).reduce((a, ref) => a + tensors.values(ref)[0]!, 0)
          const count = 24
          const dim = 4
          const values = Float32Array.from({ length: count * dim }, (_, i) => Math.sin(i * 1.7 + seed) + (i % 3))
          return { values, count, dim }
        }),
      reinitialise: (state, prefix) =>
        Effect.sync(() => ({
          ...state,
          model: {
            ...state.model,
            params: Object.fromEntries(
              Object.entries(state.model.params).map(([n, ref]) => [
                n,
                n.startsWith(`${prefix}.`)
                  ? tensors.ref(
                      tensors.values(ref).map((v) => v / 2 + 0.25),
                      ref.shape,
                    )
                  : ref,
              ]),
            ),
          },
        })),
      fromValues: (values) =>
        Effect.sync(() =>
          Object.fromEntries(
            Object.entries(values).map(([n, v]) => [
              n,
              tensors.ref(Array.from(v.values), v.shape, v.dtype as 'float32'),
            ]),
          ),
        ),
    }),
    Context.add(Collective, {
      worldSize,
      rank: 0,
      // The other worker's tensors are ones: the mean moves every value.
      allReduceMean: (tree) =>
        Effect.sync(() =>
          Object.fromEntries(
            Object.entries(tree).map(([n, ref]) => [
              n,
              tensors.ref(
                tensors.values(ref).map((v) => (v + 1) / 2),
                ref.shape,
                ref.dtype as 'float32',
              ),
            ]),
          ),
        ),
    }),
  )
}

/** Tensors compare by their values (two runs make different refs for equal tensors). */
const byValues =
  (tensors: FakeTensors): RefValue =>
  (ref) => ({ shape: ref.shape, dtype: ref.dtype, values: tensors.values(ref) })

const runStage = async (
  hook: Hook.Hook<HookServices>,
  stage: Stage.Stage,
  state: State,
  batchIdx: number,
  tensors: FakeTensors,
  worldSize: 1 | 2,
): Promise<Outcome> => {
  const effects: string[] = []
  const effectFields = new Set<Field>()
  const middleware = hook.stages[stage]
  if (middleware === undefined) return { state, error: undefined, effects, effectFields }
  const event = Ev.stage(
    stage,
    state.counters.epoch,
    state.counters.iter,
    Stage.levelOf(stage) === 'iter' ? batchIdx : undefined,
  )
  const exit = Effect.runSyncExit(
    middleware(state, event).pipe(Effect.provideContext(services(tensors, worldSize, effects, effectFields))),
  )
  if (exit._tag === 'Success') return { state: exit.value, error: undefined, effects, effectFields }
  return { state: undefined, error: String(exit.cause), effects, effectFields }
}

/** The stages a hook runs before `stage` in a real run, to set up its own state. */
const preludeOf = (stage: Stage.Stage): ReadonlyArray<Stage.Stage> => {
  const opening = stage.startsWith('after_') ? (stage.replace('after_', 'before_') as Stage.Stage) : undefined
  return [
    ...(stage === 'before_run' ? [] : ['before_run' as const]),
    ...(Stage.indexOf(stage) > Stage.indexOf('before_train') && Stage.modeOf(stage) !== 'test'
      ? ['before_train' as const]
      : []),
    ...(opening !== undefined && Stage.isStage(opening) ? [opening] : []),
  ]
}

/** Build `hookType`'s hook for `args` (decoded), registered as a custom hook at its class priority. */
export const buildHook = (hookType: HookType<unknown>, args: unknown): Hook.Hook<HookServices> => {
  const decoded = hookType.args.decode(args)
  if (decoded._tag === 'Left')
    throw new Error(`${hookType.name}: example arguments ${JSON.stringify(args)} do not decode`)
  const priority = P.decode(hookType.defaultPriority)
  if (priority._tag === 'Left') throw new Error(`${hookType.name}: ${priority.left.message}`)
  const program = pipe(Program.empty, Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 3 })))
  return {
    ...hookType.build(decoded.right, { key: KEY, priority: priority.right }, program),
    touches: touchesOf(hookType, decoded.right),
  }
}

const list = (fields: Iterable<Field>): string => [...fields].join(', ')

/** What checking one stage on one state found: the first violation, and whether the stage ran to a new state. */
export interface Finding {
  readonly violation: string | undefined
  /** False when the hook failed there (or in its prelude): a stage that never runs is never checked. */
  readonly ran: boolean
}

/**
 * The first way `hook` (built with its declaration) breaks its declaration at
 * `stage` on the state `recipe` describes, or `undefined` when it keeps it.
 */
export const findViolation = async (
  hook: Hook.Hook<HookServices>,
  stage: Stage.Stage,
  recipe: Recipe,
): Promise<string | undefined> => (await check(hook, stage, recipe)).violation

/** {@link findViolation}, and whether the stage ran. */
export const check = async (hook: Hook.Hook<HookServices>, stage: Stage.Stage, recipe: Recipe): Promise<Finding> => {
  const violation = (v: string | undefined, ran: boolean): Finding => ({ violation: v, ran })
  const tensors = new FakeTensors()
  tensors.release = recipe.releases ? { before: 4096, after: 1024 } : undefined
  let state = materialize(recipe, tensors)
  for (const earlier of preludeOf(stage)) {
    const done = await runStage(hook, earlier, state, recipe.batchIdx, tensors, recipe.worldSize)
    // A state the hook refuses to start from is no state it can meet at `stage`.
    if (done.state === undefined) return violation(undefined, false)
    state = done.state
  }
  const declared: StageTouches = hook.touches?.[stage] ?? { reads: [], writes: [] }
  const where = `${hook.name} at ${stage}`
  const refValue = byValues(tensors)
  const base = await runStage(hook, stage, state, recipe.batchIdx, tensors, recipe.worldSize)

  const written = [
    ...(base.state === undefined ? [] : changedFields(state, base.state, KEY, refValue)),
    ...base.effectFields,
  ]
  const undeclared = written.filter((f) => !declared.writes.some((d) => covers(d, f)))
  if (undeclared.length > 0)
    return violation(
      `${where} writes ${list(undeclared)}, which it does not declare (declared writes: ${list(declared.writes)})`,
      true,
    )

  const valuesOf = (o: Outcome): ReadonlyMap<Field, unknown> | undefined =>
    o.state === undefined ? undefined : fieldValues(o.state, KEY)
  const baseValues = valuesOf(base)
  const baseEffects = base.effects.join('\n')
  for (const field of candidates(state)) {
    if (declared.reads.some((d) => covers(d, field))) continue
    const changed = perturb(state, field, tensors)
    if (changed === undefined) continue
    const other = await runStage(hook, stage, changed, recipe.batchIdx, tensors, recipe.worldSize)
    const otherValues = valuesOf(other)
    // The perturbed field itself may differ: it was changed in the input.
    const differingFields =
      baseValues === undefined || otherValues === undefined
        ? []
        : [...new Set([...baseValues.keys(), ...otherValues.keys()])].filter(
            (f) =>
              f !== field &&
              !(baseValues.has(f) && otherValues.has(f) && sameValue(baseValues.get(f), otherValues.get(f), refValue)),
          )
    const differing =
      base.error !== other.error || (baseValues === undefined) !== (otherValues === undefined)
        ? 'its outcome'
        : baseEffects !== other.effects.join('\n')
          ? 'its effects'
          : differingFields.length > 0
            ? list(differingFields)
            : undefined
    if (differing !== undefined)
      return violation(
        `${where} reads ${field}, which it does not declare: changing it changed ${differing} ` +
          `(declared reads: ${list(declared.reads)})`,
        true,
      )
  }
  return violation(undefined, base.state !== undefined)
}
