/**
 * `NaiveVisualizationHook` (NORMAL): during testing, every `interval`
 * batches, draws each sample of the batch with its label and the predicted
 * class and writes it as a PNG to `work_dir/<timestamp>/vis/` (spec §4.4).
 *
 * What is drawn, for image classification (e.g. MNIST, whose test batches hold
 * `[b, 28, 28, 1]` raw 0–255 pixels, integer labels and `[b, 10]` logits):
 * the image upscaled 4× with nearest-neighbour pixels, and under it `GT <label>`
 * (when `draw_gt`) and `PRED <argmax of the outputs>` (when `draw_pred`; green
 * when it matches the label, red when not) in a small bitmap font. The file name
 * carries the same numbers: `idx<dataset index>_gt<label>_pred<class>.png`.
 *
 * The inputs are the batch as the dataset stores them (before the data
 * preprocessor), so nothing needs un-normalising. Inputs that are not images
 * (`[b, H, W]` or `[b, H, W, C]`) are not drawn; the hook says so once.
 * MMEngine's `before_train` `add_graph` writes nothing with the local backend;
 * the hook keeps the stage (so the hook table matches) and does nothing there.
 *
 * @example
 * ```json
 * { "custom_hooks": [{ "type": "NaiveVisualizationHook", "interval": 5, "draw_gt": true, "draw_pred": true }] }
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as path from '../dsl/path.js'
import * as P from '../dsl/Priority.js'
import { Files, Logger, Run, TensorOps } from '../dsl/Services.js'
import type { HookServices, TensorValues } from '../dsl/Services.js'
import * as S from '../dsl/State.js'
import type { LastBatch, State } from '../dsl/State.js'
import { boolean, positiveInt, struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'
import type { Caption } from './visualization/render.js'

/** `NaiveVisualizationHook`'s constructor arguments. */
export interface NaiveVisualizationHookArgs {
  readonly interval?: number
  readonly draw_gt?: boolean
  readonly draw_pred?: boolean
}

/** The hook's own state: how many images it wrote, and whether it said that the inputs are no images. */
export interface NaiveVisualizationState {
  readonly _tag: 'NaiveVisualizationState'
  readonly written: number
  readonly saidNotImages: boolean
}

const args = struct(
  'NaiveVisualizationHook arguments',
  {},
  { interval: positiveInt, draw_gt: boolean, draw_pred: boolean },
)

/**
 * MMEngine's `every_n_inner_iters(batch_idx, interval)`: is this test batch drawn?
 *
 * @example
 * ```ts
 * [0, 1, 2, 3].filter((b) => drawsAfter(b, 2)) // [1, 3]
 * ```
 */
export const drawsAfter = (batchIdx: number, interval: number): boolean => (batchIdx + 1) % interval === 0

/** The index of the largest of `values[from … from + n)`. */
const argmax = (values: TensorValues, from: number, n: number): number => {
  let best = 0
  for (let k = 1; k < n; k++) if (values[from + k]! > values[from + best]!) best = k
  return best
}

/** Per sample: the label (integer targets `[b]`, or one-hot `[b, K]`) and the predicted class (`[b, K]` scores). */
const labelsOf = (
  values: TensorValues,
  shape: ReadonlyArray<number>,
  batch: number,
): ReadonlyArray<number | undefined> =>
  Array.from({ length: batch }, (_, i) => {
    if (shape.length === 1) return Number.isInteger(values[i]) ? values[i] : undefined
    if (shape.length === 2 && shape[1]! > 1) return argmax(values, i * shape[1]!, shape[1]!)
    return undefined
  })

/**
 * The `NaiveVisualizationHook` hook type (NORMAL), registered in `defaultHookTypes`.
 *
 * @example
 * ```ts
 * NaiveVisualizationHook.args.decode({ interval: 10, draw_gt: false }) // Right
 * ```
 */
export const NaiveVisualizationHook: HookType<NaiveVisualizationHookArgs> = {
  name: 'NaiveVisualizationHook',
  defaultPriority: P.NORMAL,
  args,
  touches: { after_test_iter: { reads: ['lastBatch'], writes: ['files', 'log', 'own'] } },
  build: (a, site) => {
    const interval = a.interval ?? 1
    const drawGt = a.draw_gt ?? true
    const drawPred = a.draw_pred ?? true
    const initial: NaiveVisualizationState = { _tag: 'NaiveVisualizationState', written: 0, saidNotImages: false }

    const draw = (state: State, batch: LastBatch) =>
      Effect.gen(function* () {
        const own = S.hookState<NaiveVisualizationState>(state, site.key, initial)
        const shape = batch.inputs.shape
        const isImage = (shape.length === 4 && shape[3]! >= 1 && shape[3]! <= 4) || shape.length === 3
        if (!isImage) {
          if (own.saidNotImages) return state
          yield* Logger.use((l) =>
            l.log(
              'WARNING',
              `NaiveVisualizationHook: the test inputs have shape [${shape.join(', ')}], not ` +
                `[batch, height, width(, channels)] images; nothing is drawn.`,
            ),
          )
          return S.setHookState(state, site.key, { ...own, saidNotImages: true })
        }
        const ops = yield* TensorOps
        const files = yield* Files
        const run = yield* Run
        const [b, h, w] = shape as [number, number, number]
        const c = shape.length === 4 ? shape[3]! : 1
        const pixels = yield* ops.read(batch.inputs)
        const gts = drawGt ? labelsOf(yield* ops.read(batch.targets), batch.targets.shape, b) : []
        const preds = drawPred ? labelsOf(yield* ops.read(batch.outputs), batch.outputs.shape, b) : []
        const dir = path.join(run.logDir, 'vis')
        // The PNG encoder loads when a sample is drawn, not with the hook registry (nor in a dry run).
        const { renderSample } = yield* Effect.promise(() => import('./visualization/render.js'))
        for (let i = 0; i < b; i++) {
          const caption: Caption = { gt: gts[i], pred: preds[i] }
          const png = renderSample(
            { height: h, width: w, channels: c, pixels: pixels.subarray(i * h * w * c, (i + 1) * h * w * c) },
            caption,
          )
          const name =
            `idx${batch.indices[i] ?? i}${caption.gt === undefined ? '' : `_gt${caption.gt}`}` +
            `${caption.pred === undefined ? '' : `_pred${caption.pred}`}.png`
          const file = path.join(dir, name)
          yield* Effect.mapError(
            files.writeBytes(file, png),
            (e) =>
              new Hook.HookError({
                hook: 'NaiveVisualizationHook',
                stage: 'after_test_iter',
                message: `cannot write ${e.path}: ${e.message}`,
              }),
          )
        }
        return S.setHookState(state, site.key, { ...own, written: own.written + b })
      })

    return Hook.make<HookServices>({
      name: 'NaiveVisualizationHook',
      key: site.key,
      priority: site.priority,
      stages: {
        // MMEngine: visualizer.add_graph(model, None) — a no-op for the local backend.
        before_train: (state) => Effect.succeed(state),
        after_test_iter: (state, event) => {
          const batch = state.lastBatch
          if (batch === undefined || batch.mode !== 'test' || !drawsAfter(event.batchIdx ?? 0, interval))
            return Effect.succeed(state)
          return draw(state, batch)
        },
      },
    })
  },
}
