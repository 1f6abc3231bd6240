/**
 * MMEngine's vis backends: where the Visualizer sends scalars, the config and
 * images. Each backend is a small record of effects over the `Files`
 * service, so the dry run records what the tensor run writes.
 *
 * - `LocalVisBackend`: `scalars.json` (and the logger's `<timestamp>.json`)
 *   one JSON object per line, `config.py`, images as `vis_image/<name>_<step>.png`.
 * - `TensorboardVisBackend`: one `events.out.tfevents.<time>.loopwright`
 *   file: scalars as `simple_value` summaries, the config as text, images as
 *   image summaries (tfevents.ts).
 *
 * Both save under `save_dir`, by default `<log_dir>/vis_data` (MMEngine's
 * `Visualizer` joins `vis_data` to its own `save_dir`, which the runner sets
 * to the log folder).
 * @module
 */
import * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import { formatIssue, issuesOf } from '../../schema/codec.js'
import { visualizer as visualizerCodec } from './visualizerConfig.js'
import type { LocalVisBackendCfg, VisBackendCfg, VisualizerCfg } from './visualizerConfig.js'
import type { Json } from '../../dsl/MessageHub.js'
import * as path from '../../dsl/path.js'
import { Files } from '../../dsl/Services.js'
import type { FileError, RunFacts } from '../../dsl/Services.js'
import { pythonJson } from '../logging/format.js'
import { pythonConfigText } from './pythonText.js'
import type { EncodedImage } from './tfevents.js'

// The protobuf encoder loads when a TensorBoard event is written, not with every LoggerHook (nor in a dry run).
const tfevents = Effect.promise(() => import('./tfevents.js'))

/** What a backend does, as effects that write through `Files`. */
export interface VisBackend {
  readonly type: VisBackendCfg['type']
  /** Where it writes. */
  readonly saveDir: string
  /** Start of the run: the config (and, for TensorBoard, the event file's header). */
  readonly addConfig: (wallTime: number) => Effect.Effect<void, FileError, Files>
  /** `add_scalars(tag, step, file_path)`; `filePath` is relative to the save dir (the logger's `<timestamp>.json`). */
  readonly addScalars: (
    tag: { readonly [key: string]: Json },
    step: number,
    wallTime: number,
    filePath?: string,
  ) => Effect.Effect<void, FileError, Files>
  /** `add_image(name, image, step)`. */
  readonly addImage: (
    name: string,
    image: EncodedImage,
    step: number,
    wallTime: number,
  ) => Effect.Effect<void, FileError, Files>
}

/** The visualizer the runner builds when the config names none (spec: a `LocalVisBackend`). */
export const defaultVisualizer: VisualizerCfg = { type: 'Visualizer', vis_backends: [{ type: 'LocalVisBackend' }] }

/** Seconds since the epoch of a `YYYYMMDD_HHMMSS` run timestamp (local time, as MMEngine's `time.strftime`). */
export const timestampSeconds = (timestamp: string): number => {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(timestamp)
  if (m === null) return 0
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000
}

const numeric = (tag: { readonly [key: string]: Json }): ReadonlyArray<readonly [string, number]> =>
  Object.entries(tag).flatMap(([k, v]) => (typeof v === 'number' ? [[k, v] as const] : []))

const local = (cfg: LocalVisBackendCfg, saveDir: string, run: RunFacts): VisBackend => {
  const scalarFile = path.join(saveDir, cfg.scalar_save_file ?? 'scalars.json')
  return {
    type: 'LocalVisBackend',
    saveDir,
    addConfig: () =>
      Files.use((f) =>
        f.writeText(path.join(saveDir, cfg.config_save_file ?? 'config.py'), pythonConfigText(run.configText)),
      ),
    addScalars: (tag, step, _wallTime, filePath) =>
      Effect.gen(function* () {
        const files = yield* Files
        const line = `${pythonJson({ ...tag, step: tag['step'] ?? step })}\n`
        if (filePath !== undefined) yield* files.appendText(path.join(saveDir, filePath), line)
        yield* files.appendText(scalarFile, line)
      }),
    addImage: (name, image, step) =>
      Files.use((f) =>
        f.writeBytes(path.join(saveDir, cfg.img_save_dir ?? 'vis_image', `${name}_${step}.png`), image.png),
      ),
  }
}

const tensorboard = (saveDir: string, run: RunFacts): VisBackend => {
  const file = path.join(saveDir, `events.out.tfevents.${Math.floor(timestampSeconds(run.timestamp))}.loopwright`)
  const append = (event: (encoder: typeof import('./tfevents.js')) => Uint8Array) =>
    Effect.flatMap(tfevents, (encoder) => Files.use((f) => f.appendBytes(file, event(encoder))))
  return {
    type: 'TensorboardVisBackend',
    saveDir,
    addConfig: (wallTime) =>
      Effect.gen(function* () {
        yield* append((e) => e.record({ wallTime, step: 0, fileVersion: e.FILE_VERSION, values: [] }))
        const text = pythonConfigText(run.configText)
        if (text === '') return
        yield* append((e) =>
          e.record({ wallTime, step: 0, values: [{ tag: 'config/text_summary', kind: 'text', text }] }),
        )
      }),
    // Non-numbers in a tag (runtime info) are not scalars; TensorBoard gets the numbers.
    addScalars: (tag, step, wallTime) =>
      append((e) =>
        e.record({
          wallTime,
          step,
          values: numeric(tag).map(([k, value]) => ({ tag: k, kind: 'scalar' as const, value })),
        }),
      ),
    addImage: (name, image, step, wallTime) =>
      append((e) => e.record({ wallTime, step, values: [{ tag: name, kind: 'image', image }] })),
  }
}

/**
 * Decode a `visualizer` setting (undefined or None: the default one).
 * Programs built in TypeScript reach here without the config codec, so the
 * setting is decoded again; the error is one line with the paths.
 */
export const decodeVisualizer = (setting: unknown): E.Either<string, VisualizerCfg> => {
  const absent = setting === undefined || setting === null
  const decoded = absent ? E.right(defaultVisualizer) : visualizerCodec.decode(setting)
  if (E.isRight(decoded)) return E.right(decoded.right)
  const under = (p: string): string => (p === '' ? 'visualizer' : `visualizer.${p}`)
  const issues = issuesOf(decoded.left).map((i) => ({ ...i, path: under(i.path) }))
  return E.left(issues.map(formatIssue).join('; '))
}

/** The backends of a decoded visualizer for one run. */
export const backendsFor = (visualizer: VisualizerCfg, run: RunFacts): ReadonlyArray<VisBackend> => {
  const base = path.join(visualizer.save_dir ?? run.logDir, 'vis_data')
  return (visualizer.vis_backends ?? []).map((cfg) =>
    cfg.type === 'TensorboardVisBackend'
      ? tensorboard(cfg.save_dir ?? base, run)
      : local(cfg as LocalVisBackendCfg, cfg.save_dir ?? base, run),
  )
}
