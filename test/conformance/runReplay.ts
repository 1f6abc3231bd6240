/**
 * The end-to-end replay: a recorded scenario run as a whole by the tensor
 * interpreter (the TinyRegressor from loopwright's model registry, the
 * scenario's data and config, MMEngine's hooks), and every field of the
 * record compared with what the run did: per-iteration counters, batch
 * sizes, losses, lrs, gradients and parameters; the log; the hook order;
 * checkpoints, EMA, validation; resume; whole-set summaries.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import { decode, toProgram } from '../../src/config/index.js'
import { defaultRegistries } from '../../src/interpreters/registries.js'
import type { Registries } from '../../src/config/index.js'
import * as Registry from '../../src/schema/registry.js'
import { isDict, struct } from '../../src/schema/codec.js'
import { fromDescription } from '../../src/data/ArrayDataset.js'
import type { Dataset } from '../../src/data/Dataset.js'
import * as Hook from '../../src/dsl/Hook.js'
import * as P from '../../src/dsl/Priority.js'
import type { Program } from '../../src/dsl/Program.js'
import { withCustomHook } from '../../src/dsl/Program.js'
import type { TensorTree } from '../../src/dsl/State.js'
import { TensorOps } from '../../src/dsl/Services.js'
import type { HookServices } from '../../src/dsl/Services.js'
import type { HookType } from '../../src/hooks/HookType.js'
import { erase } from '../../src/hooks/HookType.js'
import { buildHooks } from '../../src/interpreters/buildHooks.js'
import type { TraceEntry } from '../../src/interpreters/Trace.js'
import { train } from '../../src/interpreters/tensor/train.js'
import type { TrainResult } from '../../src/interpreters/tensor/train.js'
import type { Model, ModelType } from '../../src/models/Model.js'
import * as Models from '../../src/models/registry.js'
import * as Optim from '../../src/optim/OptimState.js'
import * as OW from '../../src/optim/OptimWrapper.js'
import { checkCheckpointSummary, readCheckpoint, stripModule, tensorDict, tensorsDiffer } from './checkpoints.js'
import type { CheckpointData } from './checkpoints.js'
import { firstTensorMismatch, hyperMismatch, tensorClose } from './compare.js'
import { proseKeys } from './fields.js'
import { checkGrads } from './grads.js'
import {
  compareHookOrder,
  GOLDEN_RECORDER,
  goldenRecorderPriority,
  goldenRecorderStages,
  inertHook,
  recordingHookNames,
} from './hookOrder.js'
import { checkCrosscheck, checkSummary, compareScalars, fullSetMse } from './logs.js'
import type { IterSeen, ScalarRow } from './logs.js'
import { wrapperConfigOf } from './optimParts.js'
import type { Check, PerIter, Scenario } from './scenario.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })

type Named = { readonly [name: string]: number[] }

/** What a replay of a set of scenarios shares: other scenarios' final parameters (`equivalence_vs_<name>`). */
export interface ReplayContext {
  readonly finalParamsOf: (name: string) => Promise<E.Either<string, Named>>
}

/** Does this scenario hold a training run to replay? */
export const isTrainingRun = (scenario: Scenario): boolean =>
  scenario.config['train_cfg'] !== undefined &&
  scenario.model !== undefined &&
  scenario.data !== undefined &&
  scenario['model_kind'] === undefined

/** The scenario's TinyRegressor as a model config (its sizes read off the recorded weights). */
const modelConfig = (scenario: Scenario) => {
  const fc1 = scenario.model?.['backbone.fc1.weight']?.shape ?? [8, 4]
  const head = scenario.model?.['head.fc.weight']?.shape ?? [2, 8]
  return { type: 'TinyRegressor', in_features: fc1[1]!, hidden: fc1[0]!, out_features: head[0]! }
}

/** The generator's names (README) in loopwright's terms: `GoldenMSEMetric` is `MSE` (logged as `mse`). */
const asLoopwrightConfig = (scenario: Scenario): { readonly [key: string]: unknown } => {
  const config: { [key: string]: unknown } = { ...scenario.config, model: modelConfig(scenario) }
  for (const key of ['val_evaluator', 'test_evaluator']) {
    const e = config[key]
    if (isDict(e) && e['type'] === 'GoldenMSEMetric') config[key] = { ...e, type: 'MSE' }
  }
  return config
}

/** The replay's probe: a hook of its own, left out of every hook-order comparison. */
const PROBE = 'ReplayProbe'

interface ValSeen {
  readonly epoch: number
  readonly iter: number
  /** The weights validation runs with. */
  readonly params: Named
  /** The EMAHook's average and the raw weights at that moment (whichever side of the swap each is on). */
  readonly average: Named | undefined
  readonly raw: Named | undefined
}

interface Probed {
  beforeTrain: Named | undefined
  readonly vals: ValSeen[]
  /** The batch size of every training forward pass. */
  readonly batchSizes: number[]
}

const readTree = (tree: TensorTree) =>
  Effect.gen(function* () {
    const ops = yield* TensorOps
    const out: { [name: string]: number[] } = {}
    for (const [name, ref] of Object.entries(tree)) out[name] = Array.from(yield* ops.read(ref))
    return out
  })

/**
 * At the end of `before_train` it keeps the weights; at each validation (after every other hook's `before_val_epoch`)
 * the weights validation runs with.
 */
const probeHook = (sink: Probed): HookType<unknown> =>
  erase<Record<never, never>>({
    name: PROBE,
    defaultPriority: P.LOWEST,
    args: struct(`${PROBE} arguments`, {}),
    touches: {
      before_train: { reads: ['model.params'], writes: [] },
      before_val_epoch: { reads: ['model.params', 'hooks'], writes: [] },
    },
    build: (_args, site) =>
      Hook.make<HookServices>({
        name: PROBE,
        key: site.key,
        priority: site.priority,
        stages: {
          before_train: (state) =>
            Effect.gen(function* () {
              sink.beforeTrain = yield* readTree(state.model.params)
              return state
            }),
          before_val_epoch: (state) =>
            Effect.gen(function* () {
              const params = yield* readTree(state.model.params)
              const ema = Object.values(state.hooks).find((h) => isDict(h) && h['_tag'] === 'EMAHookState') as
                | { readonly params: TensorTree; readonly swapped: boolean }
                | undefined
              const other = ema === undefined ? undefined : { ...params, ...(yield* readTree(ema.params)) }
              sink.vals.push({
                epoch: state.counters.epoch,
                iter: state.counters.iter,
                params,
                average: ema === undefined ? undefined : ema.swapped ? params : other,
                raw: ema === undefined ? undefined : ema.swapped ? other : params,
              })
              return state
            }),
        },
      }),
  })

/** loopwright's TinyRegressor, unchanged, except that it notes the batch size of every training forward pass. */
const observedModel = (sink: Probed): Registry.Registry<ModelType<unknown>> => {
  const base = Registry.resolve(Models.defaultModelTypes, 'TinyRegressor')
  if (base._tag === 'Left') throw new Error(base.left)
  const type = base.right
  return Registry.register(Models.defaultModelTypes, {
    ...type,
    build: (args: unknown) => {
      const model = type.build(args)
      return {
        ...model,
        forward: (params, buffers, inputs, ctx) => {
          if (ctx.training) sink.batchSizes.push(inputs.shape[0]!)
          return model.forward(params, buffers, inputs, ctx)
        },
      } satisfies Model
    },
  })
}

interface Setup {
  readonly program: Program
  readonly registries: Registries
  readonly datasets: { train?: Dataset; val?: Dataset; test?: Dataset }
  readonly model: Model
}

const setUp = (scenario: Scenario): E.Either<string, Setup> => {
  const config = asLoopwrightConfig(scenario)
  let registries: Registries = defaultRegistries
  for (const name of recordingHookNames(config))
    registries = { ...registries, hooks: Registry.register(registries.hooks, inertHook(name, [])) }
  const decoded = decode(config, registries)
  if (decoded._tag === 'Left') return E.left(decoded.left.message)
  let program = toProgram(decoded.right)
  // The generator registers its recorder after the config's hooks (README).
  const golden = goldenRecorderPriority(scenario)
  if (golden !== undefined) {
    registries = {
      ...registries,
      hooks: Registry.register(registries.hooks, inertHook(GOLDEN_RECORDER, goldenRecorderStages(scenario))),
    }
    program = withCustomHook({ type: GOLDEN_RECORDER, priority: golden, args: {} })(program)
  }
  const datasets: { train?: Dataset; val?: Dataset; test?: Dataset } = {}
  for (const mode of ['train', 'val', 'test'] as const) {
    const loader = scenario.config[`${mode}_dataloader`]
    if (!isDict(loader) || typeof loader['dataset'] !== 'string') continue
    const built = fromDescription(loader['dataset'], scenario.data ?? {})
    if (built._tag === 'Left') return E.left(`${mode}_dataloader.dataset: ${built.left.message}`)
    datasets[mode] = built.right
  }
  const model = Models.build(config['model'])
  if (model._tag === 'Left') return E.left(model.left.map((i) => `${i.path}: ${i.message}`).join('; '))
  return E.right({ program, registries, datasets, model: model.right })
}

interface Observed {
  readonly iter: number
  readonly epoch: number
  readonly batchIdx: number
  readonly batchSize: number | undefined
  readonly loss: number | undefined
  readonly lr: ReadonlyArray<number>
  readonly stepped: boolean | undefined
  readonly gradNorm: number | undefined
  readonly params: Named
}

interface Run {
  readonly result: TrainResult
  readonly perIter: ReadonlyArray<Observed>
  readonly trace: ReadonlyArray<TraceEntry>
  readonly probed: Probed
  readonly scalars: ReadonlyArray<ScalarRow>
}

const runOnce = async (
  scenario: Scenario,
  setup: Setup,
  workDir: string,
  resume?: string,
): Promise<E.Either<string, Run>> => {
  const probed: Probed = { beforeTrain: undefined, vals: [], batchSizes: [] }
  const registries = { ...setup.registries, hooks: Registry.register(setup.registries.hooks, probeHook(probed)) }
  const program = withCustomHook({ type: PROBE, args: {} })(setup.program)
  const perIter: Observed[] = []
  const trace: TraceEntry[] = []
  const outcome = await Effect.runPromise(
    Effect.result(
      train(program, {
        registries,
        modelTypes: observedModel(probed),
        datasets: setup.datasets,
        workDir,
        timestamp: 'replay',
        testAfterTrain: false,
        print: () => {},
        trace: (entry) => void trace.push(entry),
        ...(resume === undefined ? { initialParams: scenario.model! } : { resume }),
        afterTrainStep: (state, read) => {
          const step = trace.findLast((t) => t._tag === 'Step' && t.mode === 'train')
          const slot = Optim.read(state.optim)!.slots[0]!.slot
          perIter.push({
            iter: (step?.iter ?? -1) + 1,
            epoch: (step?.epoch ?? -1) + 1,
            batchIdx: step?._tag === 'Step' ? step.batchIdx : -1,
            batchSize: probed.batchSizes.at(-1),
            loss: state.outputs['loss'],
            lr: slot.groups.real.map((g) => g.hyper['lr'] as number),
            stepped: (slot.tensors as { readonly stepped?: boolean }).stepped,
            gradNorm: state.outputs['grad_norm'],
            params: Object.fromEntries(Object.entries(read(state.model.params)).map(([n, v]) => [n, Array.from(v)])),
          })
        },
      }),
    ),
  )
  if (outcome._tag === 'Failure') return E.left(outcome.failure.message)
  const file = nodePath.join(outcome.success.logDir, 'vis_data', 'scalars.json')
  const scalars = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ScalarRow)
    : []
  return E.right({ result: outcome.success, perIter, trace, probed, scalars })
}

/** Compare recorded per-iteration entries with what the run observed; `prefix` names the field group. */
const comparePerIter = (
  recorded: ReadonlyArray<PerIter>,
  observed: ReadonlyArray<Observed>,
  prefix: string,
): Check[] => {
  const checks: Check[] = []
  if (recorded.length !== observed.length)
    checks.push(fail(prefix, `${observed.length} iterations ran, ${recorded.length} recorded`))
  const n = Math.min(recorded.length, observed.length)
  const field = (name: string, bad: (r: PerIter, o: Observed) => string | undefined) => {
    const has = (r: PerIter) => (r as unknown as { readonly [key: string]: unknown })[name] !== undefined
    if (!recorded.some(has)) return
    for (let i = 0; i < n; i++) {
      const r = recorded[i]!
      if (!has(r)) continue
      const why = bad(r, observed[i]!)
      if (why !== undefined) return void checks.push(fail(`${prefix}.${name}`, `iter ${r.iter}: ${why}`))
    }
    checks.push(pass(`${prefix}.${name}`))
  }
  const exact = (got: unknown, want: unknown) => (got === want ? undefined : `${String(got)} ≠ ${String(want)}`)
  field('iter', (r, o) => exact(o.iter, r.iter))
  field('epoch', (r, o) => exact(o.epoch, r.epoch))
  field('batch_idx', (r, o) => exact(o.batchIdx, r.batch_idx))
  field('batch_size', (r, o) => exact(o.batchSize, r.batch_size))
  field('loss', (r, o) => (o.loss !== undefined && tensorClose(o.loss, r.loss!) ? undefined : `${o.loss} ≠ ${r.loss}`))
  field('lr', (r, o) => {
    if (r.lr!.length !== o.lr.length) return `${o.lr.length} groups ≠ ${r.lr!.length}`
    const g = r.lr!.findIndex((v, k) => hyperMismatch(o.lr[k] ?? NaN, v) !== undefined)
    return g < 0 ? undefined : `group ${g}: ${o.lr[g]} ≠ ${r.lr![g]}`
  })
  field('stepped', (r, o) => exact(o.stepped, r.stepped))
  field('grad_norm', (r, o) =>
    o.gradNorm !== undefined && tensorClose(o.gradNorm, r.grad_norm!) ? undefined : `${o.gradNorm} ≠ ${r.grad_norm}`,
  )
  field('params', (r, o) => {
    const m = firstTensorMismatch(o.params, r.params!)
    return m === undefined ? undefined : `max |Δ| ${m.diff.toExponential(1)} at ${m.name}[${m.index}]`
  })
  return checks
}

/** `per_iter.loss_factor`: the divisor the wrapper's accumulation rule gives each iteration. */
const checkLossFactor = (
  scenario: Scenario,
  perIter: ReadonlyArray<PerIter>,
  prefix: string,
  firstCount: number,
): Check[] => {
  if (!perIter.some((p) => p.loss_factor !== undefined)) return []
  const built = OW.build(
    wrapperConfigOf(
      scenario,
      (scenario.config['optim_wrapper'] as { readonly optimizer: { readonly [key: string]: unknown } }).optimizer,
    ),
    [{ names: Object.keys(scenario.model ?? {}), hyper: {} }],
  )
  if (built._tag === 'Left') return [fail(`${prefix}.loss_factor`, built.left.map((i) => i.message).join('; '))]
  const acc = built.right.wrapper.accumulation
  const maxIters = perIter.at(-1)!.iter
  let state = acc.initializeCountStatus(
    { inner: undefined, sum: undefined, count: 0, maxCounts: -1, stepped: false },
    firstCount,
    maxIters,
  )
  for (const it of perIter) {
    const factor = acc.lossFactor(state)
    if (it.loss_factor !== undefined && hyperMismatch(factor, it.loss_factor) !== undefined)
      return [fail(`${prefix}.loss_factor`, `iter ${it.iter}: ${factor} ≠ ${it.loss_factor}`)]
    state = { ...state, count: state.count + 1 }
  }
  return [pass(`${prefix}.loss_factor`)]
}

const asNamed = (params: TrainResult['params']): Named =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.from(v.values)]))

const compareFinal = (field: string, got: Named, want: { readonly [name: string]: ReadonlyArray<number> }): Check => {
  const m = firstTensorMismatch(got, want)
  return m === undefined ? pass(field) : fail(field, `max |Δ| ${m.diff.toExponential(1)} at ${m.name}[${m.index}]`)
}

/** The checkpoint the run wrote after `epoch` epochs: the last regular (not `best_*`) file whose meta says so. */
const checkpointAfterEpoch = (run: Run, epoch: number): E.Either<string, CheckpointData> => {
  const regular = run.result.checkpoints.filter((p) => !nodePath.basename(p).startsWith('best_'))
  for (const file of [...new Set(regular)].reverse()) {
    const c = readCheckpoint(file)
    if (c._tag === 'Right' && c.right.meta['epoch'] === epoch) return c
  }
  return E.left(
    `the run wrote no checkpoint after epoch ${epoch} (it wrote ` +
      `${run.result.checkpoints.map((p) => nodePath.basename(p)).join(', ') || 'none'})`,
  )
}

/** The checkpoint saved after the last iteration, if any. */
const lastCheckpoint = (run: Run): CheckpointData | undefined => {
  for (const file of [...new Set(run.result.checkpoints)].reverse()) {
    const c = readCheckpoint(file)
    if (c._tag === 'Right' && c.right.meta['iter'] === run.result.iterations) return c.right
  }
  return undefined
}

/** `model`, `model_param_order`, `data`: the inputs as loopwright's model and datasets take them. */
const checkInputs = (scenario: Scenario, setup: Setup): Check[] => {
  const checks: Check[] = []
  const ours = setup.model.info.params
  const recorded = Object.entries(scenario.model ?? {})
  const shapeBad = recorded.find(([n, r]) => {
    const p = ours.find((q) => q.name === n)
    return (
      p === undefined ||
      JSON.stringify(p.shape) !== JSON.stringify(r.shape) ||
      r.values.length !== r.shape.reduce((a, b) => a * b, 1)
    )
  })
  checks.push(
    shapeBad === undefined && recorded.length === ours.length
      ? pass('model', `${ours.length} parameters, names and shapes as loopwright's ${setup.model.type}`)
      : fail(
          'model',
          shapeBad === undefined
            ? `${recorded.length} recorded parameters, loopwright's model has ${ours.length}`
            : `${shapeBad[0]}: not a parameter of loopwright's model with shape ${JSON.stringify(shapeBad[1].shape)}`,
        ),
  )
  if (scenario.model_param_order !== undefined) {
    const order = ours.map((p) => p.name)
    checks.push(
      JSON.stringify(order) === JSON.stringify(scenario.model_param_order)
        ? pass('model_param_order')
        : fail('model_param_order', `loopwright's order ${order.join(', ')}`),
    )
  }
  const used = (['train', 'val', 'test'] as const).flatMap((m) =>
    setup.datasets[m] === undefined ? [] : [`${m} ${setup.datasets[m]!.length} rows`],
  )
  checks.push(pass('data', used.join(', ')))
  return checks
}

/**
 * `init_params_unchanged_at_before_train`: the weights after every `before_train` hook, bit for bit the recorded
 * initial ones.
 */
const checkInitUnchanged = (scenario: Scenario, run: Run): Check => {
  const want = scenario['init_params_unchanged_at_before_train']
  const seen = run.probed.beforeTrain
  if (seen === undefined) return fail('init_params_unchanged_at_before_train', 'before_train did not run')
  const same = Object.entries(scenario.model ?? {}).every(
    ([n, r]) => seen[n] !== undefined && seen[n]!.every((v, i) => v === Math.fround(r.values[i]!)),
  )
  return same === want
    ? pass('init_params_unchanged_at_before_train', String(same))
    : fail('init_params_unchanged_at_before_train', `${same} ≠ ${JSON.stringify(want)}`)
}

/** `val_checks`: each recorded validation against the run's, in order. */
const checkValChecks = (recorded: unknown, run: Run, model: Model, val: Dataset | undefined): Check => {
  if (!Array.isArray(recorded)) return fail('val_checks', 'expected a list of per-validation dicts')
  const vals = run.result.evaluations.filter((e) => e.mode === 'val')
  if (recorded.length !== run.probed.vals.length)
    return fail('val_checks', `the run validated ${run.probed.vals.length} times, ${recorded.length} recorded`)
  const mseOf = (params: Named | undefined) =>
    params === undefined || val === undefined
      ? undefined
      : fullSetMse(
          model,
          val,
          Object.fromEntries(
            Object.entries(params).map(([n, v]) => [
              n,
              { shape: model.info.params.find((p) => p.name === n)!.shape, values: v },
            ]),
          ),
        )
  const keys = new Set<string>()
  for (const [i, entry] of recorded.entries()) {
    const ours = run.probed.vals[i]!
    if (!isDict(entry)) return fail('val_checks', `[${i}]: not a dict`)
    for (const [key, value] of Object.entries(entry)) {
      if (proseKeys.has(key)) continue
      keys.add(key)
      const where = `[${i}].${key}`
      if (key === 'epoch' || key === 'iter') {
        const counter = key === 'epoch' ? ours.epoch : ours.iter
        if (value !== counter && !(key === 'epoch' && value === counter + 1))
          return fail('val_checks', `${where}: ${counter} ≠ ${JSON.stringify(value)}`)
      } else if (typeof value === 'boolean' && /ema/i.test(key)) {
        if (ours.average === undefined || ours.raw === undefined) {
          if (value) return fail('val_checks', `${where}: recorded true, but the run has no EMAHook`)
          continue
        }
        const usedAverage = firstTensorMismatch(ours.params, ours.average) === undefined
        // An average equal to the raw weights (before it starts, or right after a copy) answers both ways.
        const same = firstTensorMismatch(ours.average, ours.raw) === undefined
        if (value && !usedAverage)
          return fail('val_checks', `${where}: recorded true, but validation ran on the raw weights`)
        if (!value && usedAverage && !same)
          return fail('val_checks', `${where}: recorded false, but validation ran on the average`)
      } else if (key === 'logged_val_mse' || key === 'mse_with_ema_params' || key === 'mse_with_raw_params') {
        const got =
          key === 'logged_val_mse'
            ? (vals[i]?.metrics['mse'] as number | undefined)
            : mseOf(key === 'mse_with_ema_params' ? ours.average : ours.raw)
        if (typeof value !== 'number' || got === undefined || !tensorClose(got, value))
          return fail('val_checks', `${where}: ${String(got)} ≠ ${JSON.stringify(value)}`)
      } else if (['params', 'ema_params', 'raw_params'].includes(key) && tensorDict(value) !== undefined) {
        const bad = tensorsDiffer(where, (key === 'raw_params' ? ours.raw : ours.params) ?? {}, tensorDict(value)!)
        if (bad !== undefined) return fail('val_checks', bad)
      } else return fail('val_checks', `${where}: not a validation entry the contract defines`)
    }
  }
  return pass('val_checks', `(${recorded.length} validations; compared ${[...keys].join(', ')})`)
}

/**
 * The EMA fields: the final average and its update count (from the last checkpoint), and the raw weights left in the
 * model.
 */
const checkEma = (scenario: Scenario, run: Run): Check[] => {
  const checks: Check[] = []
  const last = lastCheckpoint(run)
  if (scenario['ema_final_params'] !== undefined) {
    const want = tensorDict(scenario['ema_final_params'])
    if (want === undefined) checks.push(fail('ema_final_params', 'not a {name: values} dict of numbers'))
    else if (last === undefined)
      checks.push(
        fail(
          'ema_final_params',
          `no checkpoint was saved after the last iteration (${run.result.iterations}) to read the average from`,
        ),
      )
    else if (last.ema === undefined)
      checks.push(
        fail('ema_final_params', `${nodePath.basename(last.file)} holds no EMAHook state: is EMAHook in the config?`),
      )
    else {
      const bad = tensorsDiffer(
        'average',
        last.stateDict,
        Object.fromEntries(Object.entries(want).map(([n, v]) => [stripModule(n), v])),
      )
      checks.push(
        bad === undefined
          ? pass('ema_final_params', `(${nodePath.basename(last.file)}, ${last.ema.steps} updates)`)
          : fail('ema_final_params', bad),
      )
    }
  }
  if (scenario['ema_final_steps'] !== undefined) {
    const steps = last?.ema?.steps
    checks.push(
      steps === scenario['ema_final_steps']
        ? pass('ema_final_steps', String(steps))
        : fail('ema_final_steps', `${String(steps)} ≠ ${JSON.stringify(scenario['ema_final_steps'])}`),
    )
  }
  if (scenario['model_params_after_train_are_raw'] !== undefined) {
    const raw = run.perIter.at(-1)?.params
    const ours = raw !== undefined && firstTensorMismatch(asNamed(run.result.params), raw) === undefined
    checks.push(
      ours === scenario['model_params_after_train_are_raw']
        ? pass('model_params_after_train_are_raw', String(ours))
        : fail(
            'model_params_after_train_are_raw',
            `${ours} ≠ ${JSON.stringify(scenario['model_params_after_train_are_raw'])}`,
          ),
    )
  }
  return checks
}

/** `comparison`: how the resumed run compares with the uninterrupted one, recomputed for loopwright's two runs. */
const checkComparison = (recorded: unknown, first: Run, second: Run): Check => {
  if (!isDict(recorded)) return fail('comparison', 'expected a dict')
  const after = first.perIter.filter((o) => o.iter >= (second.perIter[0]?.iter ?? Infinity))
  const bitwise = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>) => JSON.stringify(a) === JSON.stringify(b)
  const ours = (key: string): unknown => {
    if (key === 'resumed_first_iter') return second.perIter[0]?.iter
    const part = /param/.test(key)
      ? 'params'
      : /loss/.test(key)
        ? 'loss'
        : /lr/.test(key)
          ? 'lr'
          : /grad_norm/.test(key)
            ? 'gradNorm'
            : undefined
    if (part === undefined) return undefined
    if (part === 'params' && /final/.test(key))
      return bitwise([asNamed(second.result.params)], [asNamed(first.result.params)])
    return bitwise(
      second.perIter.map((o) => o[part]),
      after.map((o) => o[part]),
    )
  }
  for (const [key, want] of Object.entries(recorded)) {
    if (proseKeys.has(key)) continue
    const got = ours(key)
    if (got === undefined)
      return fail(
        'comparison',
        `${key}: not a comparison loopwright can make (resumed_first_iter, or a bitwise equality of params, ` +
          `losses, lrs or grad norms)`,
      )
    if (got !== want) return fail('comparison', `${key}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`)
  }
  return pass('comparison', Object.keys(recorded).join(', '))
}

/**
 * `equivalence_vs_<name>`: the distance from this run's parameters to those of scenario `<name>`, both as loopwright
 * ran them.
 */
const checkEquivalence = async (
  key: string,
  recorded: unknown,
  ours: Named,
  context: ReplayContext,
): Promise<Check> => {
  const other = await context.finalParamsOf(key.slice('equivalence_vs_'.length))
  if (other._tag === 'Left') return fail(key, other.left)
  const perParam = Object.fromEntries(
    Object.entries(ours).map(([n, v]) => [
      n,
      Math.max(0, ...v.map((x, i) => Math.abs(x - (other.right[n]?.[i] ?? NaN)))),
    ]),
  )
  const overall = Math.max(...Object.values(perParam))
  const close = (got: number, want: unknown) =>
    typeof want === 'number' &&
    (Number.isNaN(got) ? false : Math.abs(got - want) <= Math.max(2e-5, 1e-4 * Math.abs(want)))
  if (typeof recorded === 'number')
    return close(overall, recorded)
      ? pass(key, `max |Δ| ${overall.toExponential(2)}`)
      : fail(key, `max |Δ| ${overall} ≠ ${recorded}`)
  if (!isDict(recorded)) return fail(key, 'expected a number or a dict of distances')
  for (const [k, want] of Object.entries(recorded)) {
    if (proseKeys.has(k)) continue
    const got = /^max_abs(_diff)?$/.test(k) ? overall : k in perParam ? perParam[k]! : undefined
    if (got === undefined) return fail(key, `${k}: neither max_abs_diff nor a parameter name`)
    if (!close(got, want)) return fail(key, `${k}: ${got} ≠ ${JSON.stringify(want)}`)
  }
  return pass(key, `max |Δ| ${overall.toExponential(2)}`)
}

/**
 * Replay the training run of `scenario` and return its final parameters (for another scenario's `equivalence_vs_*`).
 */
export const finalParamsOfRun = async (scenario: Scenario): Promise<E.Either<string, Named>> => {
  const setup = setUp(scenario)
  if (setup._tag === 'Left') return setup
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), `loopwright-${scenario.scenario}-`))
  try {
    const run = await runOnce(scenario, setup.right, workDir)
    return run._tag === 'Left' ? run : E.right(asNamed(run.right.result.params))
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

/** Every end-to-end check of one scenario with a training run. */
export const replayRun = async (
  scenario: Scenario,
  context: ReplayContext = { finalParamsOf: async (name) => E.left(`scenario ${name} is not among those replayed`) },
): Promise<Check[]> => {
  const prepared = setUp(scenario)
  if (prepared._tag === 'Left') return [fail('config', prepared.left)]
  const setup = prepared.right
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), `loopwright-${scenario.scenario}-`))
  try {
    const first = await runOnce(scenario, setup, workDir)
    if (first._tag === 'Left') return [fail('config', `decoded, but the run failed: ${first.left}`)]
    const run = first.right
    const checks: Check[] = [pass('config', 'decoded and run as is'), ...checkInputs(scenario, setup)]
    const perIter = scenario.per_iter ?? []
    if (scenario.per_iter !== undefined)
      checks.push(
        ...comparePerIter(perIter, run.perIter, 'per_iter'),
        ...checkLossFactor(scenario, perIter, 'per_iter', 0),
      )
    const before = [
      asNamed(
        Object.fromEntries(
          Object.entries(scenario.model!).map(([n, r]) => [n, { shape: r.shape, values: Float32Array.from(r.values) }]),
        ),
      ),
      ...run.perIter.map((o) => o.params),
    ]
    if (setup.datasets.train !== undefined)
      checks.push(...checkGrads(scenario, setup.model, setup.datasets.train, perIter, before, 'per_iter'))
    const finalParams = asNamed(run.result.params)
    if (scenario.final_params !== undefined)
      checks.push(compareFinal('final_params', finalParams, scenario.final_params))
    if (scenario.final_lr !== undefined) {
      const lr =
        run.perIter.length === 0
          ? []
          : Optim.read(run.result.state.optim)!.slots[0]!.slot.groups.real.map((g) => g.hyper['lr'] as number)
      const g =
        scenario.final_lr.length !== lr.length
          ? 0
          : scenario.final_lr.findIndex((v, k) => hyperMismatch(lr[k] ?? NaN, v) !== undefined)
      checks.push(g < 0 ? pass('final_lr') : fail('final_lr', `group ${g}: ${lr[g]} ≠ ${scenario.final_lr[g]}`))
    }
    if (scenario['init_params_unchanged_at_before_train'] !== undefined) checks.push(checkInitUnchanged(scenario, run))
    if (scenario['mmengine_logged_scalars'] !== undefined)
      checks.push(compareScalars('mmengine_logged_scalars', scenario['mmengine_logged_scalars'], run.scalars))
    const seen: IterSeen[] = run.perIter.map((o) => ({
      iter: o.iter,
      epoch: o.epoch,
      loss: o.loss,
      lr: o.lr,
      gradNorm: o.gradNorm,
    }))
    if (scenario['summary'] !== undefined) {
      const train = setup.datasets.train
      const mse = (params: {
        readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly values: ArrayLike<number> }
      }) => (train === undefined ? NaN : fullSetMse(setup.model, train, params))
      checks.push(
        checkSummary(scenario['summary'], {
          mseInit: () => mse(scenario.model!),
          mseFinal: () => mse(run.result.params),
          seen,
        }),
      )
    }
    if (scenario['crosscheck'] !== undefined) checks.push(checkCrosscheck(scenario['crosscheck'], seen, run.scalars))
    const built = buildHooks(setup.program, setup.registries.hooks)
    if (built._tag === 'Left')
      checks.push(fail('registered_hooks', built.left.map((i) => `${i.path}: ${i.message}`).join('; ')))
    else
      checks.push(
        ...compareHookOrder(
          scenario,
          built.right.map((h) => ({ name: h.name, priority: h.priority.value })),
          run.trace,
          new Set([PROBE]),
        ),
      )
    checks.push(...checkEma(scenario, run))
    if (scenario['val_checks'] !== undefined)
      checks.push(checkValChecks(scenario['val_checks'], run, setup.model, setup.datasets.val))
    for (const field of Object.keys(scenario).filter((k) => /^checkpoint_epoch_\d+$/.test(k))) {
      const epoch = Number(field.slice('checkpoint_epoch_'.length))
      const c = checkpointAfterEpoch(run, epoch)
      const raw = run.perIter.filter((o) => o.epoch === epoch).at(-1)?.params
      checks.push(
        c._tag === 'Left' ? fail(field, c.left) : checkCheckpointSummary(field, scenario[field], c.right, raw),
      )
    }
    for (const key of Object.keys(scenario).filter((k) => k.startsWith('equivalence_vs_')))
      checks.push(await checkEquivalence(key, scenario[key], finalParams, context))
    checks.push(...(await replayResume(scenario, setup, run)))
    return checks
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

/** Resume scenarios: a second run from the checkpoint the first one wrote where MMEngine's resumed from. */
const replayResume = async (scenario: Scenario, setup: Setup, first: Run): Promise<Check[]> => {
  const fields = ['resumed_per_iter', 'resumed_final_params', 'resumed_scalars', 'comparison'].filter(
    (f) => scenario[f] !== undefined,
  )
  if (fields.length === 0) return []
  const resumed = (scenario['resumed_per_iter'] ?? []) as ReadonlyArray<PerIter>
  const fromEpoch = Object.keys(scenario)
    .map((k) => /^checkpoint_epoch_(\d+)$/.exec(k)?.[1])
    .find((d) => d !== undefined)
  const from = resumed.length > 0 ? resumed[0]!.iter - 1 : undefined
  const ckpt =
    (from === undefined
      ? undefined
      : first.result.checkpoints.find(
          (p) =>
            readCheckpoint(p)._tag === 'Right' &&
            (readCheckpoint(p) as E.Right<CheckpointData>).right.meta['iter'] === from,
        )) ??
    (fromEpoch === undefined
      ? undefined
      : E.getOrElseW(() => undefined)(checkpointAfterEpoch(first, Number(fromEpoch)))?.file)
  if (ckpt === undefined)
    return fields.map((f) =>
      fail(f, `no checkpoint was saved ${from === undefined ? '' : `after iteration ${from} `}to resume from`),
    )
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-resume-'))
  try {
    const second = await runOnce(scenario, setup, workDir, ckpt)
    if (second._tag === 'Left') return fields.map((f) => fail(f, second.left))
    const checks: Check[] = []
    if (scenario['resumed_per_iter'] !== undefined) {
      checks.push(
        ...comparePerIter(resumed, second.right.perIter, 'resumed_per_iter'),
        ...checkLossFactor(scenario, resumed, 'resumed_per_iter', (resumed[0]?.iter ?? 1) - 1),
      )
      const before = [
        first.perIter.find((o) => o.iter === (resumed[0]?.iter ?? 1) - 1)?.params ?? {},
        ...second.right.perIter.map((o) => o.params),
      ]
      if (setup.datasets.train !== undefined)
        checks.push(...checkGrads(scenario, setup.model, setup.datasets.train, resumed, before, 'resumed_per_iter'))
    }
    const finalResumed = scenario['resumed_final_params'] as
      | { readonly [name: string]: ReadonlyArray<number> }
      | undefined
    if (finalResumed !== undefined)
      checks.push(compareFinal('resumed_final_params', asNamed(second.right.result.params), finalResumed))
    if (scenario['resumed_scalars'] !== undefined)
      checks.push(compareScalars('resumed_scalars', scenario['resumed_scalars'], second.right.scalars))
    if (scenario['comparison'] !== undefined) checks.push(checkComparison(scenario['comparison'], first, second.right))
    return checks
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}
