/**
 * The tensor interpreter's step 8 (spec §1.3): `resume` restores the whole state from a checkpoint,
 * `load_from` only the weights (of a loopwright checkpoint or any safetensors file); then the accumulation
 * windows count from the iteration the run continues at.
 * @module
 */
import * as fs from 'node:fs'
import * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import * as path from '../../dsl/path.js'
import type { Program } from '../../dsl/Program.js'
import type { State, TensorTree } from '../../dsl/State.js'
import * as Optim from '../../optim/OptimState.js'
import type * as OW from '../../optim/OptimWrapper.js'
import type { Issue } from '../../schema/codec.js'
import * as Safetensors from '../../tensor/safetensors.js'
import { DEFAULT_REVISE_KEYS, loadWeights as loadWeightsByName } from '../../tensor/loadWeights.js'
import * as Checkpoint from './checkpoint.js'
import { fileOp } from './layers.js'
import type { Setup } from './setup.js'
import type { TensorStore } from './TensorStore.js'
import { TrainError, fail, orFail } from './TrainError.js'
import type { TrainOptions } from './train.js'
import { continueWindow } from './windowSums.js'
import { oneProcess } from '../collective/oneProcess.js'

/** The checkpoint file `resume` points at: a path, or `work_dir/last_checkpoint`'s content. */
const resumePath = (resume: string, workDir: string): Effect.Effect<string | undefined, TrainError> =>
  Effect.gen(function* () {
    if (resume !== 'auto') return resume
    const pointer = path.join(workDir, 'last_checkpoint')
    if (!fs.existsSync(pointer)) return undefined
    const text = yield* Effect.mapError(
      fileOp(pointer, () => fs.readFileSync(pointer, 'utf8').trim()),
      (e) => new TrainError({ issues: [{ path: 'resume', message: `${e.path}: ${e.message}` }] }),
    )
    return text === '' ? undefined : text
  })

const readCheckpoint = (
  file: string,
  store: TensorStore,
  key: 'resume' | 'load_from',
): Effect.Effect<Checkpoint.Loaded, TrainError> =>
  Effect.gen(function* () {
    const bytes = yield* Effect.mapError(
      fileOp(file, () => fs.readFileSync(file)),
      (e) => new TrainError({ issues: [{ path: key, message: `cannot read checkpoint ${e.path}: ${e.message}` }] }),
    )
    const loaded = Checkpoint.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file, store)
    if (loaded._tag === 'Left')
      return yield* fail([{ path: key, message: `${loaded.left.path}: ${loaded.left.message}` }])
    return loaded.right
  })

/**
 * Parameters from a checkpoint in place of the current ones: every parameter of the model must be there with its
 * shape. Parameters the model does not have (a pretraining run's neck and head, read by a probe) are left out and
 * named, as MMEngine's non-strict `load_checkpoint` warns about unexpected keys.
 */
const loadWeights = (
  state: State,
  loaded: State,
  file: string,
): E.Either<ReadonlyArray<Issue>, { readonly state: State; readonly unexpected: ReadonlyArray<string> }> => {
  const problems: Issue[] = []
  for (const [name, ref] of Object.entries(state.model.params)) {
    const other = loaded.model.params[name]
    if (other === undefined) problems.push({ path: 'load_from', message: `${file}: missing parameter ${name}` })
    else if (JSON.stringify(other.shape) !== JSON.stringify(ref.shape))
      problems.push({
        path: 'load_from',
        message: `${file}: ${name} has shape [${other.shape.join(', ')}], the model expects [${ref.shape.join(', ')}]`,
      })
  }
  if (problems.length > 0) return E.left(problems)
  const own = (tree: TensorTree, given: TensorTree): TensorTree =>
    Object.fromEntries(Object.entries(tree).map(([name, ref]) => [name, given[name] ?? ref]))
  const unexpected = Object.keys(loaded.model.params).filter((n) => !(n in state.model.params))
  return E.right({
    state: {
      ...state,
      model: {
        ...state.model,
        params: own(state.model.params, loaded.model.params),
        // Buffers as saved (momentum encoders, queues a hook created): the model's own ones are among them.
        buffers: { ...state.model.buffers, ...loaded.model.buffers },
      },
    },
    unexpected,
  })
}

/** One line naming the checkpoint's tensors the model has no place for (none: nothing to say). */
const unexpectedLine = (file: string, names: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (names.length === 0) return []
  const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? `, … (${names.length} in all)` : '')
  return [`load_from: ${file} holds parameters this model does not have, not loaded: ${shown}`]
}

/**
 * `load_from`: the weights of a loopwright checkpoint, or of any safetensors
 * file holding tensors under the model's dotted names (a published weights
 * file, or weights converted from PyTorch; a `module.` prefix is stripped).
 */
const loadFrom = (
  state: State,
  file: string,
  store: TensorStore,
): Effect.Effect<{ readonly state: State; readonly unexpected: ReadonlyArray<string> }, TrainError> =>
  Effect.gen(function* () {
    const bytes = yield* Effect.mapError(
      fileOp(file, () => new Uint8Array(fs.readFileSync(file))),
      (e) => new TrainError({ issues: [{ path: 'load_from', message: `cannot read ${e.path}: ${e.message}` }] }),
    )
    const decoded = Safetensors.decode(bytes)
    if (decoded._tag === 'Left')
      return yield* fail([
        { path: 'load_from', message: `${file}: not a readable safetensors file: ${decoded.left.message}` },
      ])
    if (decoded.right.metadata['format'] === Checkpoint.FORMAT) {
      const loaded = Checkpoint.fromFile(decoded.right, file, store)
      if (loaded._tag === 'Left')
        return yield* fail([{ path: 'load_from', message: `${loaded.left.path}: ${loaded.left.message}` }])
      return yield* orFail(loadWeights(state, loaded.right.state, file))
    }
    const expected = Object.fromEntries(
      [...Object.entries(state.model.params), ...Object.entries(state.model.buffers)].map(([n, r]) => [n, r.shape]),
    )
    const weights = loadWeightsByName(expected, decoded.right, { reviseKeys: DEFAULT_REVISE_KEYS, strict: false })
    if (weights._tag === 'Left')
      return yield* fail(weights.left.map((p) => ({ path: 'load_from', message: `${file}: ${p.message}` })))
    const missingParams = weights.right.missing.filter((n) => n in state.model.params)
    if (missingParams.length > 0)
      return yield* fail([
        {
          path: 'load_from',
          message: `${file}: missing parameter${missingParams.length > 1 ? 's' : ''} ${missingParams.join(', ')}`,
        },
      ])
    const refs = store.externalize(weights.right.tree) as TensorTree
    const pick = (names: TensorTree): TensorTree =>
      Object.fromEntries(Object.keys(names).map((n) => [n, refs[n] ?? names[n]!]))
    return {
      state: {
        ...state,
        model: { ...state.model, params: pick(state.model.params), buffers: pick(state.model.buffers) },
      },
      unexpected: [],
    }
  })

/** Where the run continues from. */
export interface Resumed {
  readonly state: State
  /** The counters a resumed run continues at; undefined for a fresh start. */
  readonly start: { readonly epoch: number; readonly iter: number } | undefined
  /** Did the run read a checkpoint (`resume` or `load_from`)? */
  readonly loadsCheckpoint: boolean
  /** MMEngine's lines about what was loaded (`Load checkpoint from …`, `resumed epoch: N, iter: M`), for the log. */
  readonly messages: ReadonlyArray<string>
  /** What the resume could not restore exactly (an accumulation window resumed on another number of workers). */
  readonly warnings: ReadonlyArray<string>
}

/** Apply `resume` or `load_from` to the set-up state. */
export const resume = (
  program: Program,
  options: TrainOptions,
  store: TensorStore,
  built: Setup,
): Effect.Effect<Resumed, TrainError> =>
  Effect.gen(function* () {
    let state = built.state
    const wrapper = built.wrapper
    const workDir = built.facts.workDir
    let start: { epoch: number; iter: number } | undefined
    const messages: string[] = []
    const warnings: string[] = []
    const resumeFrom = options.resume ?? (program.resume ? 'auto' : undefined)
    const resumeFile = resumeFrom === undefined ? undefined : yield* resumePath(resumeFrom, workDir)
    if (resumeFile !== undefined) {
      const loaded = yield* readCheckpoint(resumeFile, store, 'resume')
      const optim = Optim.read(loaded.state.optim)
      if (!loaded.hasOptimizer || optim === undefined)
        return yield* fail([
          {
            path: 'resume',
            message:
              `${resumeFile} was saved without the optimizer state (save_optimizer=False); ` +
              `resume needs it. Use load_from to start from its weights.`,
          },
        ])
      const current = Optim.read(state.optim)!
      const slots = optim.slots.map((s, i) =>
        loaded.hasSchedulers ? s : { ...s, slot: { ...s.slot, schedulers: current.slots[i]?.slot.schedulers ?? [] } },
      )
      // The meta holds the counters the run continues from (MMEngine saves `epoch + 1` after an epoch ends).
      start = { epoch: loaded.meta.epoch, iter: loaded.meta.iter }
      // The lengths are this run's: a resumed run may train longer than the one that saved.
      const counters = {
        ...loaded.state.counters,
        ...start,
        maxEpochs: state.counters.maxEpochs,
        maxIters: state.counters.maxIters,
      }
      state = { ...loaded.state, counters, optim: Optim.write({ ...optim, slots }), stopTraining: false }
      messages.push(`Load checkpoint from ${resumeFile}`, `resumed epoch: ${start.epoch}, iter: ${start.iter}`)
      // Inside an accumulation window each rank continues from its own gradient sum (windowSums.ts).
      const window = continueWindow(state, loaded.windowSums, store, options.communicator ?? oneProcess, resumeFile)
      state = window.state
      if (window.message !== undefined) warnings.push(window.message)
    } else if (program.loadFrom !== undefined) {
      const loaded = yield* loadFrom(state, program.loadFrom, store)
      state = loaded.state
      messages.push(`Load checkpoint from ${program.loadFrom}`, ...unexpectedLine(program.loadFrom, loaded.unexpected))
    }
    // The train loop's `initialize_count_status`: accumulation windows count from the (resumed) iteration.
    const optimNow = Optim.read(state.optim)
    if (wrapper !== undefined && optimNow !== undefined) {
      const ws = store.internalize(optimNow.slots[0]!.slot.tensors) as OW.WrapperState
      const counted = wrapper.accumulation.initializeCountStatus(ws, state.counters.iter, state.counters.maxIters)
      state = { ...state, optim: Optim.write(Optim.withTensors(optimNow, store.externalize(counted))) }
    }
    const loadsCheckpoint = resumeFile !== undefined || program.loadFrom !== undefined
    return { state, start, loadsCheckpoint, messages, warnings }
  })
