/**
 * The end-to-end replay: a recorded scenario run as a whole by the tensor
 * interpreter — the TinyRegressor built from the functional layers, the
 * scenario's data and config, MMEngine's hooks — and every per-iteration
 * field compared (loss, lr, stepped, grad_norm, params), plus the hook
 * registration and call order, and resume.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import { decode, defaultRegistries, toProgram } from '../../src/config/index.js'
import type { Registries } from '../../src/config/index.js'
import * as Registry from '../../src/config/registry.js'
import { isDict, json, record } from '../../src/config/codec.js'
import type { Json } from '../../src/dsl/MessageHub.js'
import { fromDescription } from '../../src/data/ArrayDataset.js'
import type { Dataset } from '../../src/data/Dataset.js'
import * as Hook from '../../src/dsl/Hook.js'
import * as P from '../../src/dsl/Priority.js'
import type { Program } from '../../src/dsl/Program.js'
import * as Stage from '../../src/dsl/Stage.js'
import type { State } from '../../src/dsl/State.js'
import type { HookType } from '../../src/hooks/HookType.js'
import { erase } from '../../src/hooks/HookType.js'
import { buildHooks } from '../../src/interpreters/buildHooks.js'
import type { TraceEntry } from '../../src/interpreters/Trace.js'
import { train } from '../../src/interpreters/train.js'
import type { TrainResult } from '../../src/interpreters/train.js'
import * as Optim from '../../src/optim/OptimState.js'
import { firstTensorMismatch, hyperMismatch, tensorClose } from './compare.js'
import type { Check, PerIter, Scenario } from './scenario.js'

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
  if (scenario.config['train_cfg'] === undefined || scenario.model === undefined || scenario.data === undefined) return []
  const prepared = setUp(scenario)
  if (prepared._tag === 'Left') return [fail('run', prepared.left)]
  const { program, registries, datasets } = prepared.right
  const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), `loopwright-${scenario.scenario}-`))
  try {
    const first = await runOnce(scenario, program, registries, datasets, workDir)
    if (first._tag === 'Left') return [fail('run', first.left)]
    const checks = comparePerIter(scenario.per_iter ?? [], first.right.perIter, 'per_iter')
    if (scenario.final_params !== undefined) checks.push(compareFinal('final_params', first.right.result.params, scenario.final_params))
    if (scenario.final_lr !== undefined) {
      const lr = first.right.perIter.length === 0 ? [] : Optim.read(first.right.result.state.optim)!.slots[0]!.slot.groups.real.map((g) => g.hyper['lr'] as number)
      const g = scenario.final_lr.findIndex((v, k) => hyperMismatch(lr[k] ?? NaN, v) !== undefined)
      checks.push(g < 0 ? pass('final_lr') : fail('final_lr', `group ${g}: ${lr[g]} ≠ ${scenario.final_lr[g]}`))
    }
    checks.push(...compareHooks(scenario, program, registries, first.right.trace))
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
