/**
 * Hook tests with numbers: the dry services, but with `TensorOps` computing on
 * small float32 arrays kept in a map (`FakeTensors`), scripted train steps
 * that set the model's parameters, and checkpoints that keep the state their
 * `before_save_checkpoint` hooks shaped.
 */
import { readFileSync } from 'node:fs'
import { Effect, Layer } from 'effect'
import * as Ev from '../../../src/dsl/Event.js'
import * as Hook from '../../../src/dsl/Hook.js'
import type { Program } from '../../../src/dsl/Program.js'
import { Checkpoints, Collective, type Files, Steps, TensorOps } from '../../../src/dsl/Services.js'
import type { SaveRequest } from '../../../src/dsl/Services.js'
import type { State, TensorRef, TensorTree } from '../../../src/dsl/State.js'
import type { Sizes, TimelineOptions } from '../../../src/dsl/timeline.js'
import * as Safetensors from '../../../src/tensor/safetensors.js'
import { buildHooks } from '../../../src/interpreters/buildHooks.js'
import * as Dry from '../../../src/interpreters/dry/layers.js'
import { initialState, interpret } from '../../../src/interpreters/interpret.js'
import { facts, testHookTypes } from '../../support/harness.js'

const f = Math.fround

/** Tensors as float32 (or int32) arrays behind refs, with the arithmetic `TensorOps` promises. */
export class FakeTensors {
  private readonly data = new Map<number, { readonly ref: TensorRef; readonly values: Float32Array | Int32Array }>()
  private next = 1
  /** How `releaseMemory` answers (undefined: nothing to release). */
  release: { before: number; after: number } | undefined = undefined
  releases = 0

  ref(
    values: ReadonlyArray<number>,
    shape: ReadonlyArray<number> = [values.length],
    dtype: 'float32' | 'int32' = 'float32',
  ): TensorRef {
    const ref: TensorRef = { _tag: 'TensorRef', id: this.next++, shape: [...shape], dtype }
    this.data.set(ref.id, { ref, values: dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values) })
    return ref
  }

  tree(values: { readonly [name: string]: ReadonlyArray<number> }, dtype: 'float32' | 'int32' = 'float32'): TensorTree {
    return Object.fromEntries(Object.entries(values).map(([n, v]) => [n, this.ref(v, [v.length], dtype)]))
  }

  values(ref: TensorRef): number[] {
    const entry = this.data.get(ref.id)
    if (entry === undefined) throw new Error(`no tensor #${ref.id}`)
    return Array.from(entry.values)
  }

  read(tree: TensorTree): { [name: string]: number[] } {
    return Object.fromEntries(Object.entries(tree).map(([n, r]) => [n, this.values(r)]))
  }

  /** Tensors created so far. */
  get count(): number {
    return this.data.size
  }

  readonly ops: TensorOps['Service'] = TensorOps.of({
    lerp: (avg, value, weight) =>
      Effect.sync(() =>
        Object.fromEntries(
          Object.entries(avg).map(([n, a]) => {
            const v = value[n]
            const av = this.values(a)
            if (v === undefined) return [n, this.ref(av, a.shape, a.dtype as 'float32')]
            const xv = this.values(v)
            if (a.dtype !== 'float32') return [n, this.ref(xv, a.shape, 'int32')]
            // As the tensor interpreter computes it: a + (x − a)·w, every operation rounded to float32.
            return [
              n,
              this.ref(
                av.map((ai, i) => f(ai + f(f(xv[i]! - ai) * f(weight)))),
                a.shape,
              ),
            ]
          }),
        ),
      ),
    copy: (tree) =>
      Effect.sync(() =>
        Object.fromEntries(
          Object.entries(tree).map(([n, r]) => [n, this.ref(this.values(r), r.shape, r.dtype as 'float32')]),
        ),
      ),
    read: (ref) => Effect.sync(() => this.data.get(ref.id)!.values),
    releaseMemory: Effect.sync(() => {
      this.releases += 1
      return this.release
    }),
  })
}

export interface NumericRun {
  readonly state: State
  readonly recording: Dry.Recording
  /** Each checkpoint's state as its `before_save_checkpoint` hooks shaped it. */
  readonly saved: ReadonlyArray<{ readonly request: SaveRequest; readonly state: State }>
}

/**
 * Interpret `program` with the dry services, numeric `TensorOps`, and train
 * steps that set the model's `params` and/or `buffers` to `script(iter)` (when given).
 */
export const runNumeric = async (
  program: Program,
  sizes: Sizes,
  tensors: FakeTensors,
  options: {
    readonly script?: (iter: number) => { readonly params?: TensorTree; readonly buffers?: TensorTree }
    readonly state?: State
    readonly timeline?: TimelineOptions
    readonly collective?: Collective['Service']
    readonly onEval?: (state: State, mode: 'val' | 'test') => void
    /** The metrics each evaluation reports (default: none, as in the dry run). */
    readonly metrics?: (state: State, mode: 'val' | 'test') => { readonly [name: string]: number }
    /** Val/test steps: the state after the step (default: unchanged). */
    readonly evalStep?: (state: State, mode: 'val' | 'test', batchIdx: number) => State
  } = {},
): Promise<NumericRun> => {
  const built = buildHooks(program, testHookTypes)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  const hooks = built.right
  const recording = Dry.emptyRecording()
  const saved: Array<{ request: SaveRequest; state: State }> = []
  const steps = Steps.of({
    run: (state, event) =>
      Effect.sync(() => {
        if (event.mode !== 'train') {
          options.onEval?.(state, event.mode)
          return options.evalStep === undefined ? state : options.evalStep(state, event.mode, event.batchIdx)
        }
        return options.script === undefined
          ? state
          : { ...state, model: { ...state.model, ...options.script(event.iter) } }
      }),
    evaluate: (state, mode) =>
      Effect.succeed(
        options.metrics === undefined
          ? state
          : { ...state, metrics: options.metrics(state, mode), lastBatch: undefined },
      ),
  })
  const base = Layer.mergeAll(
    Dry.layer(recording, facts(sizes), () => hooks, { traceLimit: 100_000 }),
    Layer.succeed(TensorOps, tensors.ops),
    Layer.succeed(Steps, steps),
    ...(options.collective === undefined ? [] : [Layer.succeed(Collective, options.collective)]),
  )
  const checkpoints = Checkpoints.of({
    publish: (path) => Effect.succeed(path),
    save: (state, request) =>
      Hook.compose(hooks, 'before_save_checkpoint')(
        state,
        Ev.stage('before_save_checkpoint', state.counters.epoch, state.counters.iter),
      ).pipe(
        Effect.map((shaped) => {
          saved.push({ request, state: shaped })
          return undefined
        }),
        Effect.provide(base),
      ),
  })
  const state = await Effect.runPromise(
    interpret(program, hooks, sizes, options.state ?? initialState(program, sizes, 0), options.timeline).pipe(
      Effect.provide(Layer.merge(base, Layer.succeed(Checkpoints, checkpoints))),
    ),
  )
  return { state, recording, saved }
}

/**
 * Run one stage of one hook (named `hookName` in `program`) alone: the dry
 * services with numeric `TensorOps`, and `collective` / `overrides` in place
 * of the defaults. Returns the dry recording's logs beside the state through `recording`.
 */
export const runHookStage = (
  program: Program,
  hookName: string,
  stage: Parameters<typeof Ev.stage>[0],
  state: State,
  batchIdx: number | undefined,
  tensors: FakeTensors,
  collective?: Collective['Service'],
  overrides: ReadonlyArray<Layer.Layer<Files>> = [],
  options?: { readonly recording?: Dry.Recording },
): Effect.Effect<State, Hook.HookError> => {
  const built = buildHooks(program, testHookTypes)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  const hook = built.right.find((h) => h.name === hookName)!
  const middleware = hook.stages[stage]
  if (middleware === undefined) return Effect.succeed(state)
  const recording = options?.recording ?? Dry.emptyRecording()
  return middleware(state, Ev.stage(stage, state.counters.epoch, state.counters.iter, batchIdx)).pipe(
    Effect.provide(
      Layer.mergeAll(
        Dry.layer(recording, facts({}), () => built.right, { traceLimit: 0 }),
        Layer.succeed(TensorOps, tensors.ops),
        ...(collective === undefined ? [] : [Layer.succeed(Collective, collective)]),
        ...overrides,
      ),
    ),
  ) as Effect.Effect<State, Hook.HookError>
}

/**
 * A checkpoint file as plain data: meta, the model's tensors by name, and the hooks' states with their tensors' values.
 */
export interface CheckpointFile {
  readonly meta: { readonly epoch: number; readonly iter: number }
  readonly params: { readonly [name: string]: number[] }
  readonly buffers: { readonly [name: string]: number[] }
  readonly hooks: { readonly [key: string]: unknown }
}

/** Read a loopwright checkpoint (safetensors + JSON state in `__metadata__`) without the interpreter. */
export const readCheckpointFile = (file: string): CheckpointFile => {
  const bytes = readFileSync(file)
  const decoded = Safetensors.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  const { tensors, metadata } = decoded.right
  const state = JSON.parse(metadata['state']!) as {
    model: { params: object; buffers: object }
    hooks: { [key: string]: unknown }
  }
  const values = (name: string) => Array.from(tensors[name]!.data as Float32Array)
  const resolve = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(resolve)
      : typeof v === 'object' && v !== null
        ? typeof (v as { __tensor__?: unknown }).__tensor__ === 'string'
          ? values((v as { __tensor__: string }).__tensor__)
          : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]))
        : v
  return {
    meta: JSON.parse(metadata['meta']!) as CheckpointFile['meta'],
    params: Object.fromEntries(Object.keys(state.model.params).map((n) => [n, values(n)])),
    buffers: Object.fromEntries(Object.keys(state.model.buffers).map((n) => [n, values(n)])),
    hooks: resolve(state.hooks) as { [key: string]: unknown },
  }
}
