/**
 * ODC's memory as the run state holds it — three model buffers and the model attribute with its settings (see
 * `src/selfsup/algorithms/ODC.ts`) — read into an {@link ODCMemory.ODCMemory} value and written back, through the
 * services, for `DeepClusterHook(init_memory=True)` and `ODCHook`.
 * @module
 */
import * as Effect from 'effect/Effect'
import { TensorOps, ModelOps } from '../dsl/Services.js'
import type { State } from '../dsl/State.js'
import { MEMORY, MEMORY_SETTINGS } from '../selfsup/attributes.js'
import * as ODCMemory from '../selfsup/memories/ODCMemory.js'

/** The memory's settings from the model's attributes; an error message when the model has no ODC memory. */
export const memorySettings = (state: State): ODCMemory.ODCMemoryCfg | string => {
  const decoded = ODCMemory.args.decode(state.model.attributes[MEMORY_SETTINGS])
  if (decoded._tag === 'Left' || state.model.buffers[MEMORY.featureBank] === undefined)
    return 'the model has no ODC memory (memory_bank); init_memory and ODCHook need model=dict(type="ODC", …)'
  return decoded.right
}

/** The label bank's values. */
export const readLabels = (state: State): Effect.Effect<Int32Array, never, TensorOps> =>
  TensorOps.use((ops) => ops.read(state.model.buffers[MEMORY.labelBank]!)).pipe(Effect.map((v) => Int32Array.from(v)))

/** The whole memory, read back from the device. */
export const readMemory = (
  state: State,
  cfg: ODCMemory.ODCMemoryCfg,
): Effect.Effect<ODCMemory.ODCMemory, never, TensorOps> =>
  Effect.gen(function* () {
    const ops = yield* TensorOps
    const buffers = state.model.buffers
    const [features, labels, centroids] = yield* Effect.all([
      ops.read(buffers[MEMORY.featureBank]!),
      ops.read(buffers[MEMORY.labelBank]!),
      ops.read(buffers[MEMORY.centroids]!),
    ])
    return {
      ...ODCMemory.make(cfg),
      feature_bank: Float32Array.from(features),
      label_bank: Int32Array.from(labels),
      centroids: Float32Array.from(centroids),
    }
  })

/** The state with the buffers of `memory` (only those named in `parts`) replaced by new tensors. */
export const writeMemory = (
  state: State,
  memory: ODCMemory.ODCMemory,
  parts: ReadonlyArray<'featureBank' | 'labelBank' | 'centroids'>,
): Effect.Effect<State, never, ModelOps> =>
  Effect.gen(function* () {
    const values = {
      featureBank: { values: memory.feature_bank, shape: [memory.length, memory.feat_dim], dtype: 'float32' },
      labelBank: { values: memory.label_bank, shape: [memory.length], dtype: 'int32' },
      centroids: { values: memory.centroids, shape: [memory.num_classes, memory.feat_dim], dtype: 'float32' },
    } as const
    const refs = yield* ModelOps.use((ops) =>
      ops.fromValues(Object.fromEntries(parts.map((p) => [MEMORY[p], values[p]]))),
    )
    return { ...state, model: { ...state.model, buffers: { ...state.model.buffers, ...refs } } }
  })
