/**
 * The end-to-end replay: a recorded scenario run as a whole by the tensor
 * interpreter — the TinyRegressor built from the functional layers, the
 * scenario's data and config, MMEngine's hooks — and every per-iteration
 * field compared (loss, lr, stepped, grad_norm, params), plus the hook
 * registration and call order, and resume. EMA scenarios also compare the
 * final average (`ema_final_params`), the weights each validation ran on
 * (`val_checks`) and what each epoch's checkpoint file held
 * (`checkpoint_epoch_N`); records of a shape this replay does not know are
 * SKIPs that say why.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import { decode, toProgram } from '../../src/config/index.js'
import type { Registries } from '../../src/config/index.js'
import * as Registry from '../../src/schema/registry.js'
import { isDict, json, record, struct } from '../../src/schema/codec.js'
import type { Json } from '../../src/dsl/MessageHub.js'
import { fromDescription } from '../../src/data/ArrayDataset.js'
import type { Dataset } from '../../src/data/Dataset.js'
import * as Hook from '../../src/dsl/Hook.js'
import * as P from '../../src/dsl/Priority.js'
import type { Program } from '../../src/dsl/Program.js'
import { withCustomHook } from '../../src/dsl/Program.js'
import * as Stage from '../../src/dsl/Stage.js'
import type { State, TensorTree } from '../../src/dsl/State.js'
import { TensorOps } from '../../src/dsl/Services.js'
import type { HookServices } from '../../src/dsl/Services.js'
import * as Safetensors from '../../src/tensor/safetensors.js'
import type { HookType } from '../../src/hooks/HookType.js'
import { erase } from '../../src/hooks/HookType.js'
import { buildHooks } from '../../src/interpreters/buildHooks.js'
import type { TraceEntry } from '../../src/interpreters/Trace.js'
import { train } from '../../src/interpreters/tensor/train.js'
import type { TrainResult } from '../../src/interpreters/tensor/train.js'
import * as Optim from '../../src/optim/OptimState.js'
import { firstTensorMismatch, hyperMismatch, tensorClose } from './compare.js'
import type { Check, PerIter, Scenario } from './scenario.js'
import { defaultRegistries } from '../../src/interpreters/registries.js'

const pass = (field: string, detail = ''): Check => ({ status: 'PASS', field, detail })
const fail = (field: string, detail: string): Check => ({ status: 'FAIL', field, detail })
const skip = (field: string, detail: string): Check => ({ status: 'SKIP', field, detail })

/** A recording hook (`Rec*` in hook-order scenarios): it exists at every stage with its priority and does nothing. */
const recordingHook = (name: string): HookType<unknown> =>
  erase<{ readonly [key: string]: Json }>({
    name,
    defaultPriority: P.NORMAL,
    args: record(json),
    build: (_args, site) =>
      Hook.make({ name, key: site.key, priority: site.priority, stages: Object.fromEntries(Stage.all.map((s) => [s, (state: State) => Effect.succeed(state)])) }),
  })

const recNames = (config: { readonly [key: string]: unknown }): string[] => {
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

/** The scenario's TinyRegressor as a model config (its sizes read off the recorded weights). */
const modelConfig = (scenario: Scenario) => {
  const fc1 = scenario.model?.['backbone.fc1.weight']?.shape ?? [8, 4]
  const head = scenario.model?.['head.fc.weight']?.shape ?? [2, 8]
  return { type: 'TinyRegressor', in_features: fc1[1]!, hidden: fc1[0]!, out_features: head[0]! }
}

interface Observed {
  readonly loss: number | undefined
  readonly lr: ReadonlyArray<number>
  readonly stepped: boolean | undefined
  readonly gradNorm: number | undefined
  readonly params: { readonly [name: string]: Float32Array | Int32Array | Uint8Array }
}

interface Run {
  readonly result: TrainResult
  readonly perIter: ReadonlyArray<Observed>
  readonly trace: ReadonlyArray<TraceEntry>
  readonly saved: ReadonlyArray<{ readonly path: string; readonly iter: number }>
}

const setUp = (scenario: Scenario): E.Either<string, { program: Program; registries: Registries; datasets: { train?: Dataset; val?: Dataset; test?: Dataset } }> => {
  const config = { ...scenario.config, model: modelConfig(scenario) }
  let registries: Registries = defaultRegistries
  for (const name of recNames(config)) registries = { ...registries, hooks: Registry.register(registries.hooks, recordingHook(name)) }
  const decoded = decode(config, registries)
  if (decoded._tag === 'Left') return E.left(decoded.left.message)
  const program = toProgram(decoded.right)
  const datasets: { train?: Dataset; val?: Dataset; test?: Dataset } = {}
  for (const mode of ['train', 'val', 'test'] as const) {
    const loader = scenario.config[`${mode}_dataloader`]
    if (!isDict(loader) || typeof loader['dataset'] !== 'string') continue
    const built = fromDescription(loader['dataset'], scenario.data ?? {})
    if (built._tag === 'Left') return E.left(`${mode}_dataloader.dataset: ${built.left.message}`)
    datasets[mode] = built.right
  }
  return E.right({ program, registries, datasets })
}

const runOnce = async (scenario: Scenario, program: Program, registries: Registries, datasets: { train?: Dataset; val?: Dataset; test?: Dataset }, workDir: string, resume?: string): Promise<E.Either<string, Run>> => {
  const perIter: Observed[] = []
  const trace: TraceEntry[] = []
  const outcome = await Effect.runPromise(
    Effect.result(
      train(program, {
        registries,
        datasets,
        workDir,
        timestamp: 'replay',
        testAfterTrain: false,
        print: () => {},
        trace: (entry) => void trace.push(entry),
        ...(resume === undefined ? { initialParams: scenario.model! } : { resume }),
        afterTrainStep: (state, read) => {
          const optim = Optim.read(state.optim)!
          const slot = optim.slots[0]!.slot
          const tensors = slot.tensors as { readonly stepped?: boolean }
          perIter.push({
            loss: state.outputs['loss'],
            lr: slot.groups.real.map((g) => g.hyper['lr'] as number),
            stepped: tensors.stepped,
            gradNorm: state.outputs['grad_norm'],
            params: read(state.model.params),
          })
        },
      }),
    ),
  )
  if (outcome._tag === 'Failure') return E.left(outcome.failure.message)
  const saved = outcome.success.checkpoints.map((path) => ({ path, iter: Number(/_(\d+)\.safetensors$/.exec(path)?.[1] ?? -1) }))
  return E.right({ result: outcome.success, perIter, trace, saved })
}

/** Compare recorded per-iteration entries with what the run observed; `prefix` names the field group. */
const comparePerIter = (recorded: ReadonlyArray<PerIter>, observed: ReadonlyArray<Observed>, prefix: string): Check[] => {
  const checks: Check[] = []
  if (recorded.length !== observed.length) checks.push(fail(`${prefix}`, `${observed.length} iterations ran, ${recorded.length} recorded`))
  const n = Math.min(recorded.length, observed.length)
  const field = (name: string, has: (r: PerIter) => boolean, bad: (r: PerIter, o: Observed) => string | undefined) => {
    if (!recorded.some(has)) return
    for (let i = 0; i < n; i++) {
      const r = recorded[i]!
      if (!has(r)) continue
      const why = bad(r, observed[i]!)
      if (why !== undefined) return void checks.push(fail(`${prefix}.${name}`, `iter ${r.iter}: ${why}`))
    }
    checks.push(pass(`${prefix}.${name}`))
  }
  field('loss', (r) => r.loss !== undefined, (r, o) => (o.loss !== undefined && tensorClose(o.loss, r.loss!) ? undefined : `${o.loss} ≠ ${r.loss}`))
  field('lr', (r) => r.lr !== undefined, (r, o) => {
    const g = r.lr!.findIndex((v, k) => hyperMismatch(o.lr[k] ?? NaN, v) !== undefined)
    return g < 0 ? undefined : `group ${g}: ${o.lr[g]} ≠ ${r.lr![g]}`
  })
  field('stepped', (r) => r.stepped !== undefined, (r, o) => (o.stepped === r.stepped ? undefined : `${o.stepped} ≠ ${r.stepped}`))
  field('grad_norm', (r) => r.grad_norm !== undefined, (r, o) => (o.gradNorm !== undefined && tensorClose(o.gradNorm, r.grad_norm!) ? undefined : `${o.gradNorm} ≠ ${r.grad_norm}`))
  field('params', (r) => r.params !== undefined, (r, o) => {
    const m = firstTensorMismatch(Object.fromEntries(Object.entries(o.params).map(([k, v]) => [k, Array.from(v)])), r.params!)
    return m === undefined ? undefined : `max |Δ| ${m.diff.toExponential(1)} at ${m.name}[${m.index}]`
  })
  return checks
}

const compareFinal = (field: string, got: TrainResult['params'], want: { readonly [name: string]: ReadonlyArray<number> }): Check => {
  const m = firstTensorMismatch(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, Array.from(v.values)])), want)
  return m === undefined ? pass(field) : fail(field, `max |Δ| ${m.diff.toExponential(1)} at ${m.name}[${m.index}]`)
}

type RecordedCall = { readonly stage: string; readonly hook: string; readonly epoch?: number; readonly iter?: number; readonly depth?: number }

const asCall = (entry: unknown): RecordedCall | undefined => {
  if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string') return { stage: entry[0], hook: entry[1], epoch: entry[2], iter: entry[3], depth: entry[4] }
  if (isDict(entry) && typeof entry['stage'] === 'string' && typeof entry['hook'] === 'string') return entry as unknown as RecordedCall
  return undefined
}

/** The hook order checks: registration (names and priorities) and every call that does something. */
const compareHooks = (scenario: Scenario, program: Program, registries: Registries, trace: ReadonlyArray<TraceEntry>): Check[] => {
  const checks: Check[] = []
  const built = buildHooks(program, registries.hooks)
  if (built._tag === 'Left') return [fail('registered_hooks', built.left.map((i) => `${i.path}: ${i.message}`).join('; '))]
  if (Array.isArray(scenario['registered_hooks'])) {
    // The generator's own recorder is not part of the config (see the scenario notes).
    const recorded = (scenario['registered_hooks'] as ReadonlyArray<unknown>)
      .map((h) => (Array.isArray(h) ? { name: String(h[0]), priority: h[1] } : isDict(h) ? { name: String(h['name'] ?? h['type'] ?? h['hook']), priority: h['priority'] } : { name: String(h), priority: undefined }))
      .filter((h) => h.name !== 'GoldenRecorderHook')
    const ours = built.right.map((h) => ({ name: h.name, priority: h.priority.value }))
    const same = recorded.length === ours.length && recorded.every((r, i) => r.name === ours[i]!.name && (r.priority === undefined || P.parse(r.priority as never)._tag !== 'Right' || (P.parse(r.priority as never) as { right: P.Priority }).right.value === ours[i]!.priority))
    checks.push(same ? pass('registered_hooks') : fail('registered_hooks', `${ours.map((h) => `${h.name}(${h.priority})`).join(' ')} ≠ ${recorded.map((h) => `${h.name}(${String(h.priority)})`).join(' ')}`))
  }
  if (Array.isArray(scenario['call_sequence'])) {
    const recorded = (scenario['call_sequence'] as ReadonlyArray<unknown>).map(asCall)
    if (recorded.some((c) => c === undefined)) checks.push(skip('call_sequence', 'entries are neither [stage, hook, epoch, iter, depth] nor {stage, hook, …}'))
    else {
      // MMEngine calls every hook at every stage; only calls of hooks that act there are observable.
      const acting = new Set(built.right.flatMap((h) => Hook.stagesOf(h).map((s) => `${h.name}@${s}`)))
      const want = (recorded as RecordedCall[]).filter((c) => acting.has(`${c.hook}@${c.stage}`))
      const got = trace.flatMap((t) => (t._tag === 'HookCall' ? [t] : []))
      const n = Math.max(want.length, got.length)
      let bad: string | undefined
      for (let i = 0; i < n && bad === undefined; i++) {
        const w = want[i]
        const g = got[i]
        if (w === undefined || g === undefined) bad = `call ${i}: ${g === undefined ? 'none' : `${g.stage} ${g.hook}`} ≠ ${w === undefined ? 'none' : `${w.stage} ${w.hook}`}`
        else if (w.stage !== g.stage || w.hook !== g.hook || (w.epoch !== undefined && w.epoch !== g.epoch) || (w.iter !== undefined && w.iter !== g.iter) || (w.depth !== undefined && w.depth !== g.depth))
          bad = `call ${i}: ${g.stage} ${g.hook} e${g.epoch} i${g.iter} d${g.depth} ≠ ${w.stage} ${w.hook} e${w.epoch} i${w.iter} d${w.depth}`
      }
      checks.push(bad === undefined ? pass('call_sequence', `${want.length} acting calls`) : fail('call_sequence', bad))
    }
  }
  return checks
}

/** Every end-to-end check of one scenario (none for scenarios without a training run). */
export const replayRun = async (scenario: Scenario): Promise<Check[]> => {
  if (scenario.config['train_cfg'] === undefined || scenario.model === undefined || scenario.data === undefined) {
    return emaFields(scenario).map((field) => skip(field, 'the scenario has no training run (train_cfg, model and data) to replay'))
  }
  const prepared = setUp(scenario)
  if (prepared._tag === 'Left') return [fail('run', prepared.left)]
  const { program, registries, datasets } = prepared.right
  // EMA scenarios with val_checks: a probe records the weights each validation runs with (left out of the hook-order checks).
  const seen: ValSeen[] = []
  const probed = scenario['val_checks'] !== undefined
  const runProgram = probed ? withCustomHook({ type: VAL_PROBE, args: {} })(program) : program
  const runRegistries = probed ? { ...registries, hooks: Registry.register(registries.hooks, valProbe(seen)) } : registries
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), `loopwright-${scenario.scenario}-`))
  try {
    const first = await runOnce(scenario, runProgram, runRegistries, datasets, workDir)
    if (first._tag === 'Left') return [fail('run', first.left), ...emaFields(scenario).map((field) => skip(field, 'the run failed'))]
    const checks = comparePerIter(scenario.per_iter ?? [], first.right.perIter, 'per_iter')
    if (scenario.final_params !== undefined) checks.push(compareFinal('final_params', first.right.result.params, scenario.final_params))
    if (scenario.final_lr !== undefined) {
      const lr = first.right.perIter.length === 0 ? [] : Optim.read(first.right.result.state.optim)!.slots[0]!.slot.groups.real.map((g) => g.hyper['lr'] as number)
      const g = scenario.final_lr.findIndex((v, k) => hyperMismatch(lr[k] ?? NaN, v) !== undefined)
      checks.push(g < 0 ? pass('final_lr') : fail('final_lr', `group ${g}: ${lr[g]} ≠ ${scenario.final_lr[g]}`))
    }
    checks.push(...compareHooks(scenario, program, registries, first.right.trace.filter((t) => !(t._tag === 'HookCall' && t.hook === VAL_PROBE))))
    if (scenario['ema_final_params'] !== undefined) checks.push(checkEmaFinal(scenario, first.right))
    if (scenario['val_checks'] !== undefined) checks.push(checkValChecks(scenario['val_checks'], first.right, seen))
    for (const field of emaFields(scenario).filter((f) => f.startsWith('checkpoint_epoch_'))) checks.push(checkCheckpointField(field, scenario[field], first.right))
    const resumed = scenario['resumed_per_iter'] as ReadonlyArray<PerIter> | undefined
    if (resumed !== undefined && resumed.length > 0) {
      const from = resumed[0]!.iter - 1
      const ckpt = first.right.saved.find((s) => s.iter === from) ?? first.right.saved.find((s) => s.path.includes(`epoch_${resumed[0]!.epoch - 1}.`))
      if (ckpt === undefined) checks.push(fail('resumed_per_iter', `no checkpoint was saved after iteration ${from} to resume from`))
      else {
        const second = await runOnce(scenario, program, registries, datasets, fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-resume-')), ckpt.path)
        if (second._tag === 'Left') checks.push(fail('resumed_per_iter', second.left))
        else {
          checks.push(...comparePerIter(resumed, second.right.perIter, 'resumed_per_iter'))
          const finalResumed = scenario['resumed_final_params'] as { readonly [name: string]: ReadonlyArray<number> } | undefined
          if (finalResumed !== undefined) checks.push(compareFinal('resumed_final_params', second.right.result.params, finalResumed))
        }
      }
    }
    return checks
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------
// EMA scenarios: `ema_final_params`, `val_checks`, `checkpoint_epoch_*`.
// ---------------------------------------------------------------------------

/** The probe added to EMA scenarios with `val_checks`: at each validation (after every other hook's `before_val_epoch`), it records the weights validation runs with. */
const VAL_PROBE = 'ReplayValWeightsProbe'

interface ValSeen {
  readonly epoch: number
  readonly iter: number
  /** The weights validation runs with. */
  readonly params: { readonly [name: string]: number[] }
  /** The EMAHook's average and the raw weights at that moment (whichever side of the swap each is on), when an EMAHook is there. */
  readonly average: { readonly [name: string]: number[] } | undefined
  readonly raw: { readonly [name: string]: number[] } | undefined
}

const valProbe = (sink: ValSeen[]): HookType<unknown> =>
  erase<{}>({
    name: VAL_PROBE,
    defaultPriority: P.LOWEST,
    args: struct(`${VAL_PROBE} arguments`, {}),
    build: (_args, site) =>
      Hook.make<HookServices>({
        name: VAL_PROBE,
        key: site.key,
        priority: site.priority,
        stages: {
          before_val_epoch: (state) =>
            Effect.gen(function* () {
              const ops = yield* TensorOps
              const readTree = (tree: TensorTree) =>
                Effect.gen(function* () {
                  const out: { [name: string]: number[] } = {}
                  for (const [name, ref] of Object.entries(tree)) out[name] = Array.from(yield* ops.read(ref))
                  return out
                })
              const params = yield* readTree(state.model.params)
              const ema = Object.values(state.hooks).find((h) => isDict(h) && h['_tag'] === 'EMAHookState') as { readonly params: TensorTree; readonly swapped: boolean } | undefined
              const other = ema === undefined ? undefined : { ...params, ...(yield* readTree(ema.params)) }
              sink.push({
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

const emaFields = (scenario: Scenario): string[] => Object.keys(scenario).filter((k) => k === 'ema_final_params' || k === 'val_checks' || k.startsWith('checkpoint_epoch_'))

/** Nested lists, `{shape, values}` records or flat lists, as one flat list of numbers; undefined for anything else. */
const flatNumbers = (value: unknown): number[] | undefined => {
  if (isDict(value) && Array.isArray(value['values'])) return flatNumbers(value['values'])
  if (typeof value === 'number') return [value]
  if (!Array.isArray(value)) return undefined
  const out: number[] = []
  for (const v of value) {
    const inner = flatNumbers(v)
    if (inner === undefined) return undefined
    out.push(...inner)
  }
  return out
}

/** A recorded `{name: tensor}` dict as flat lists, or undefined when some entry is not numeric. */
const tensorDict = (value: unknown): { [name: string]: number[] } | undefined => {
  if (!isDict(value)) return undefined
  const out: { [name: string]: number[] } = {}
  for (const [name, v] of Object.entries(value)) {
    const flat = flatNumbers(v)
    if (flat === undefined) return undefined
    out[name] = flat
  }
  return out
}

const tensorsDiffer = (field: string, got: { readonly [name: string]: ReadonlyArray<number> }, want: { readonly [name: string]: ReadonlyArray<number> }): string | undefined => {
  const m = firstTensorMismatch(got, want)
  return m === undefined ? undefined : `${field}: max |Δ| ${m.diff === Infinity ? '(missing)' : m.diff.toExponential(1)} at ${m.name}[${m.index}]`
}

/** A loopwright checkpoint file as plain data: meta, the model's weights (MMEngine's `state_dict`) and the EMAHook state (`ema_state_dict`). */
interface CheckpointData {
  readonly meta: { readonly epoch?: number; readonly iter?: number }
  readonly stateDict: { readonly [name: string]: number[] }
  readonly ema: { readonly steps: number; readonly params: { readonly [name: string]: number[] }; readonly buffers: { readonly [name: string]: number[] } } | undefined
}

const readCheckpoint = (file: string): E.Either<string, CheckpointData> => {
  // max_keep_ckpts may have removed it since.
  if (!fs.existsSync(file)) return E.left(`${nodePath.basename(file)} is no longer on disk`)
  const bytes = fs.readFileSync(file)
  const decoded = Safetensors.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  if (decoded._tag === 'Left') return E.left(`${file}: ${decoded.left.message}`)
  const { tensors, metadata } = decoded.right
  const values = (name: string): number[] => Array.from((tensors[name]?.data ?? []) as ArrayLike<number>)
  const state = JSON.parse(metadata['state'] ?? '{}') as { model?: { params?: object; buffers?: object }; hooks?: { [key: string]: unknown } }
  const resolve = (tree: unknown): { [name: string]: number[] } =>
    Object.fromEntries(Object.entries(isDict(tree) ? tree : {}).map(([n, v]) => [n, isDict(v) && typeof v['__tensor__'] === 'string' ? values(v['__tensor__']) : []]))
  const emaState = Object.values(state.hooks ?? {}).find((h) => isDict(h) && h['_tag'] === 'EMAHookState') as { steps: number; params: unknown; buffers: unknown } | undefined
  return E.right({
    meta: JSON.parse(metadata['meta'] ?? '{}') as CheckpointData['meta'],
    stateDict: Object.fromEntries([...Object.keys(state.model?.params ?? {}), ...Object.keys(state.model?.buffers ?? {})].map((n) => [n, values(n)])),
    ema: emaState === undefined ? undefined : { steps: emaState.steps, params: resolve(emaState.params), buffers: resolve(emaState.buffers) },
  })
}

/** The checkpoint the run wrote after `epoch` epochs: the last regular (not `best_*`) file whose meta says so. */
const checkpointAfterEpoch = (run: Run, epoch: number): E.Either<string, CheckpointData> => {
  const regular = run.result.checkpoints.filter((p) => !nodePath.basename(p).startsWith('best_'))
  for (const file of [...new Set(regular)].reverse()) {
    const c = readCheckpoint(file)
    if (c._tag === 'Right' && c.right.meta.epoch === epoch) return c
  }
  return E.left(`the run wrote no checkpoint after epoch ${epoch} (it wrote ${run.result.checkpoints.map((p) => nodePath.basename(p)).join(', ') || 'none'})`)
}

const stripModule = (name: string): string => name.replace(/^module\./, '')

/** `ema_final_params`: the average after the last iteration, as the last checkpoint saved then holds it (its model weights). */
const checkEmaFinal = (scenario: Scenario, run: Run): Check => {
  const want = tensorDict(scenario['ema_final_params'])
  if (want === undefined) return skip('ema_final_params', 'not a {name: values} dict of numbers')
  const finalIter = run.result.iterations
  for (const file of [...new Set(run.result.checkpoints)].reverse()) {
    const c = readCheckpoint(file)
    if (c._tag === 'Left' || c.right.meta.iter !== finalIter) continue
    if (c.right.ema === undefined) return fail('ema_final_params', `${nodePath.basename(file)} holds no EMAHook state: is EMAHook in the config?`)
    const bad = tensorsDiffer('average', c.right.stateDict, Object.fromEntries(Object.entries(want).map(([n, v]) => [stripModule(n), v])))
    return bad === undefined ? pass('ema_final_params', `(${nodePath.basename(file)}, ${c.right.ema.steps} updates)`) : fail('ema_final_params', bad)
  }
  return skip('ema_final_params', `no checkpoint was saved after the last iteration (${finalIter}) to read the average from; keep a CheckpointHook with save_last`)
}

/**
 * `checkpoint_epoch_N`: what MMEngine's `epoch_N.pth` held. Recognised parts
 * (any subset): `state_dict` (the weights: the average, under EMAHook),
 * `ema_state_dict` (`steps` and `module.<name>`: the raw weights), `meta`
 * (`epoch`, `iter`), and top-level `steps`. Anything else is listed as not
 * compared; nothing recognised is a SKIP.
 */
const checkCheckpointField = (field: string, recorded: unknown, run: Run): Check => {
  const digits = /^checkpoint_epoch_(\d+)/.exec(field)?.[1]
  if (digits === undefined) return skip(field, 'no epoch number in the field name (expected checkpoint_epoch_<N>)')
  const epoch = Number(digits)
  if (!isDict(recorded)) return skip(field, `unrecognised shape (${Array.isArray(recorded) ? 'a list' : typeof recorded}); expected a dict with state_dict / ema_state_dict / meta`)
  const ckpt = checkpointAfterEpoch(run, epoch)
  if (ckpt._tag === 'Left') return fail(field, ckpt.left)
  const c = ckpt.right
  const compared: string[] = []
  const ignored: string[] = []
  const problems: string[] = []
  for (const [key, value] of Object.entries(recorded)) {
    if (key === 'state_dict') {
      const want = tensorDict(value)
      if (want === undefined) ignored.push(key)
      else {
        compared.push(key)
        const bad = tensorsDiffer('state_dict', c.stateDict, Object.fromEntries(Object.entries(want).map(([n, v]) => [stripModule(n), v])))
        if (bad !== undefined) problems.push(bad)
      }
    } else if (key === 'ema_state_dict' && isDict(value)) {
      if (c.ema === undefined) {
        problems.push('ema_state_dict: the checkpoint holds no EMAHook state')
        continue
      }
      const raw = { ...c.ema.params, ...c.ema.buffers }
      // With update_buffers=False MMEngine's average holds copies of the model's buffers, which the checkpoint keeps as the model's.
      const withBuffers = { ...Object.fromEntries(Object.entries(c.stateDict).filter(([n]) => !(n in c.ema!.params))), ...raw }
      for (const [k, v] of Object.entries(value)) {
        if (k === 'steps') {
          const steps = flatNumbers(v)?.[0]
          compared.push('ema_state_dict.steps')
          if (steps !== c.ema.steps) problems.push(`ema_state_dict.steps: ${c.ema.steps} ≠ ${String(v)}`)
        } else if (k.startsWith('module.') && flatNumbers(v) !== undefined) {
          const name = stripModule(k)
          const got = withBuffers[name]
          if (got === undefined) problems.push(`ema_state_dict.${k}: not in the checkpoint`)
          else {
            const bad = tensorsDiffer(`ema_state_dict.${k}`, { [name]: got }, { [name]: flatNumbers(v)! })
            if (bad !== undefined) problems.push(bad)
          }
          if (!compared.includes('ema_state_dict.module.*')) compared.push('ema_state_dict.module.*')
        } else ignored.push(`ema_state_dict.${k}`)
      }
    } else if (key === 'meta' && isDict(value)) {
      for (const k of ['epoch', 'iter'] as const) {
        if (typeof value[k] !== 'number') continue
        compared.push(`meta.${k}`)
        if (c.meta[k] !== value[k]) problems.push(`meta.${k}: ${c.meta[k]} ≠ ${value[k]}`)
      }
    } else if ((key === 'steps' || key === 'ema_steps') && typeof value === 'number') {
      compared.push(key)
      if (c.ema?.steps !== value) problems.push(`${key}: ${c.ema?.steps} ≠ ${value}`)
    } else ignored.push(key)
  }
  if (compared.length === 0) return skip(field, `unrecognised shape: none of its keys (${Object.keys(recorded).join(', ')}) is state_dict, ema_state_dict, meta or steps`)
  const note = `(compared ${compared.join(', ')}${ignored.length === 0 ? '' : `; not compared: ${ignored.join(', ')}`})`
  return problems.length === 0 ? pass(field, note) : fail(field, `${problems[0]} ${note}`)
}

/** One recorded validation check, normalised: what was recorded and where. */
interface ValEntry {
  readonly label: string
  readonly value: unknown
}

const valEntries = (recorded: unknown): ValEntry[] | undefined => {
  if (Array.isArray(recorded)) return recorded.map((value, i) => ({ label: `[${i}]`, value }))
  if (isDict(recorded)) {
    const values = Object.values(recorded)
    // One dict of per-validation dicts (keyed by epoch or iteration), or a single check.
    if (values.length > 0 && values.every(isDict)) return Object.entries(recorded).map(([k, value]) => ({ label: `.${k}`, value }))
    return [{ label: '', value: recorded }]
  }
  return undefined
}

/**
 * `val_checks`: whether validation used the EMA weights. Each recorded check
 * is matched, in order, with one of the run's validations. Recognised keys:
 * a boolean whose name mentions `ema` (true: validation ran on the
 * EMAHook's average; when the average equals the raw weights either answer
 * holds); weight dicts (`params`, `weights`,
 * `val_params`, `ema_params`: the weights validation ran with; `raw_params`,
 * `src_params`, `source_params`: the raw weights); metric values our
 * evaluator reports under the same name; `epoch`/`iter` (checked against the
 * counters at validation, epoch 1-based or as MMEngine's `runner.epoch`).
 */
const checkValChecks = (recorded: unknown, run: Run, seen: ReadonlyArray<ValSeen>): Check => {
  const entries = valEntries(recorded)
  if (entries === undefined) return skip('val_checks', `unrecognised shape (${typeof recorded}); expected a list of per-validation dicts`)
  const vals = run.result.evaluations.filter((e) => e.mode === 'val')
  const compared = new Set<string>()
  const ignored = new Set<string>()
  const problems: string[] = []
  entries.forEach((entry, i) => {
    if (!isDict(entry.value)) {
      ignored.add(`${entry.label} (not a dict)`)
      return
    }
    const ours = seen[i]
    const evaluation = vals[i]
    if (ours === undefined) {
      problems.push(`val_checks${entry.label}: the run validated ${seen.length} times, ${entries.length} recorded`)
      return
    }
    const rawFlat = ours.raw
    for (const [key, value] of Object.entries(entry.value)) {
      const where = `val_checks${entry.label}.${key}`
      if (typeof value === 'boolean' && /ema/i.test(key)) {
        compared.add(key)
        if (ours.average === undefined || rawFlat === undefined) {
          if (value) problems.push(`${where}: recorded true, but the run has no EMAHook`)
          continue
        }
        const usedAverage = firstTensorMismatch(ours.params, ours.average) === undefined
        // An average equal to the raw weights (before it starts, or right after a copy) answers both ways.
        const same = firstTensorMismatch(ours.average, rawFlat) === undefined
        if (value && !usedAverage) problems.push(`${where}: recorded true, but validation ran on the raw weights`)
        if (!value && usedAverage && !same) problems.push(`${where}: recorded false, but validation ran on the average`)
      } else if (['params', 'weights', 'val_params', 'ema_params'].includes(key) && tensorDict(value) !== undefined) {
        compared.add(key)
        const bad = tensorsDiffer(where, ours.params, tensorDict(value)!)
        if (bad !== undefined) problems.push(bad)
      } else if (['raw_params', 'src_params', 'source_params'].includes(key) && tensorDict(value) !== undefined) {
        if (rawFlat === undefined) {
          ignored.add(key)
          continue
        }
        compared.add(key)
        const bad = tensorsDiffer(where, rawFlat, tensorDict(value)!)
        if (bad !== undefined) problems.push(bad)
      } else if ((key === 'epoch' || key === 'iter') && typeof value === 'number') {
        compared.add(key)
        const counter = key === 'epoch' ? ours.epoch : ours.iter
        if (value !== counter && !(key === 'epoch' && value === counter + 1)) problems.push(`${where}: ${counter} ≠ ${value}`)
      } else if (typeof value === 'number' && evaluation !== undefined && typeof evaluation.metrics[key] === 'number') {
        compared.add(key)
        if (!tensorClose(evaluation.metrics[key] as number, value)) problems.push(`${where}: ${evaluation.metrics[key]} ≠ ${value}`)
      } else ignored.add(key)
    }
  })
  if (compared.size === 0) return skip('val_checks', `unrecognised shape: no entry has a key this replay compares (seen: ${[...ignored].slice(0, 8).join(', ') || 'nothing'}); expected per-validation dicts with an *ema* flag, params, raw_params, metrics, epoch or iter`)
  const note = `(${entries.length} validations; compared ${[...compared].join(', ')}${ignored.size === 0 ? '' : `; not compared: ${[...ignored].join(', ')}`})`
  return problems.length === 0 ? pass('val_checks', note) : fail('val_checks', `${problems[0]} ${note}`)
}
