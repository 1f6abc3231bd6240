import { Effect, Layer } from 'effect'
import { pipe } from 'fp-ts/lib/function.js'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Program from '../../../src/dsl/Program.js'
import { Files } from '../../../src/dsl/Services.js'
import type { State } from '../../../src/dsl/State.js'
import { drawsAfter } from '../../../src/hooks/NaiveVisualizationHook.js'
import { captionLines, IMAGE_SCALE, renderSample, textWidth } from '../../../src/hooks/visualization/render.js'
import * as Dry from '../../../src/interpreters/dry/layers.js'
import { initialState } from '../../../src/interpreters/interpret.js'
import { FakeTensors, runHookStage, runNumeric } from './support.js'

const program = (args: { readonly [k: string]: unknown } = {}) =>
  pipe(
    Program.empty,
    Program.withTestLoop(Loop.TestLoop()),
    Program.withCustomHook({ type: 'NaiveVisualizationHook', args: args as never }),
  )

/**
 * A test batch of two 28×28 "digits": sample 0 has a bright pixel at (row 3, col 5), sample 1 is dark; labels 7 and 1;
 * logits predict 7 and 4.
 */
const batch = (t: FakeTensors, state: State): State => {
  const pixels = new Array<number>(2 * 28 * 28).fill(0)
  pixels[3 * 28 + 5] = 255
  const logits = [0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0]
  return {
    ...state,
    lastBatch: {
      mode: 'test',
      indices: [40, 41],
      inputs: t.ref(pixels, [2, 28, 28, 1]),
      targets: t.ref([7, 1], [2], 'int32'),
      outputs: t.ref(logits, [2, 10]),
    },
  }
}

const capture = () => {
  const written = new Map<string, Uint8Array>()
  const layer = Layer.succeed(
    Files,
    Files.of({
      writeText: () => Effect.void,
      appendText: () => Effect.void,
      remove: () => Effect.void,
      writeBytes: (path, bytes) => Effect.sync(() => void written.set(path, bytes)),
      appendBytes: () => Effect.void,
      copyOut: () => Effect.succeed([]),
    }),
  )
  return { written, layer }
}

const pixel = (png: PNG, x: number, y: number) =>
  Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3))

describe('NaiveVisualizationHook', () => {
  it(
    'draws every sample of every interval-th test batch to <log_dir>/vis, label and ' +
      'prediction in the name and under the image',
    async () => {
      const t = new FakeTensors()
      const p = program({ interval: 2 })
      const { written, layer } = capture()
      const s = batch(t, initialState(p, { test: 2 }, 0))
      await Effect.runPromise(runHookStage(p, 'NaiveVisualizationHook', 'after_test_iter', s, 0, t, undefined, [layer]))
      expect(written.size).toBe(0)
      const after = await Effect.runPromise(
        runHookStage(p, 'NaiveVisualizationHook', 'after_test_iter', s, 1, t, undefined, [layer]),
      )
      expect([...written.keys()]).toEqual(['work/ts/vis/idx40_gt7_pred7.png', 'work/ts/vis/idx41_gt1_pred4.png'])
      expect(after.hooks['custom_hooks[0]']).toEqual({
        _tag: 'NaiveVisualizationState',
        written: 2,
        saidNotImages: false,
      })
      const png = PNG.sync.read(Buffer.from(written.get('work/ts/vis/idx40_gt7_pred7.png')!))
      expect(png.width).toBe(28 * IMAGE_SCALE)
      expect(png.height).toBe(28 * IMAGE_SCALE + 2 * 14 + 4)
      // The bright input pixel, upscaled 4×, and a dark one.
      expect(pixel(png, 5 * 4 + 1, 3 * 4 + 2)).toEqual([255, 255, 255])
      expect(pixel(png, 0, 0)).toEqual([0, 0, 0])
      // "GT 7" in white, "PRED 7" in green (the prediction is right); for the other sample "PRED 4" in red.
      const colours = (image: PNG, row: number) =>
        new Set(
          Array.from({ length: image.width * 10 }, (_, i) =>
            pixel(image, i % image.width, 112 + 4 + row * 14 + Math.floor(i / image.width)).join(','),
          ),
        )
      expect(colours(png, 0)).toContain('255,255,255')
      expect(colours(png, 1)).toContain('64,220,64')
      const wrong = PNG.sync.read(Buffer.from(written.get('work/ts/vis/idx41_gt1_pred4.png')!))
      expect(colours(wrong, 1)).toContain('240,64,64')
      expect(colours(wrong, 1)).not.toContain('64,220,64')
    },
  )

  it('draw_gt / draw_pred leave out the label or the prediction, in the name and in the picture', async () => {
    const t = new FakeTensors()
    const p = program({ draw_gt: false })
    const { written, layer } = capture()
    await Effect.runPromise(
      runHookStage(
        p,
        'NaiveVisualizationHook',
        'after_test_iter',
        batch(t, initialState(p, { test: 1 }, 0)),
        0,
        t,
        undefined,
        [layer],
      ),
    )
    expect([...written.keys()]).toEqual(['work/ts/vis/idx40_pred7.png', 'work/ts/vis/idx41_pred4.png'])
    expect(PNG.sync.read(Buffer.from(written.get('work/ts/vis/idx40_pred7.png')!)).height).toBe(112 + 14 + 4)
  })

  it('inputs that are not images are not drawn, and that is said once', async () => {
    const t = new FakeTensors()
    const p = program()
    const { written, layer } = capture()
    const recording = Dry.emptyRecording()
    const s0 = initialState(p, { test: 2 }, 0)
    const s = {
      ...s0,
      lastBatch: {
        mode: 'test' as const,
        indices: [0],
        inputs: t.ref([1, 2, 3, 4], [1, 4]),
        targets: t.ref([0, 1], [1, 2]),
        outputs: t.ref([0, 1], [1, 2]),
      },
    }
    const once = await Effect.runPromise(
      runHookStage(p, 'NaiveVisualizationHook', 'after_test_iter', s, 0, t, undefined, [layer], { recording }),
    )
    await Effect.runPromise(
      runHookStage(p, 'NaiveVisualizationHook', 'after_test_iter', once, 1, t, undefined, [layer], { recording }),
    )
    expect(written.size).toBe(0)
    expect(recording.logs.map((l) => [l.level, l.message])).toEqual([
      [
        'WARNING',
        'NaiveVisualizationHook: the test inputs have shape [1, 4], not [batch, height, ' +
          'width(, channels)] images; nothing is drawn.',
      ],
    ])
  })

  it(
    'acts at after_test_iter only (and, like MMEngine’s, at before_train, where the ' +
      'local backend has nothing to do)',
    async () => {
      const t = new FakeTensors()
      const p = pipe(
        program(),
        Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 1 })),
        Program.withValLoop(Loop.ValLoop()),
      )
      let s = initialState(p, { train: 1, val: 1, test: 1 }, 0)
      s = { ...s, model: { ...s.model, params: {} } }
      const { recording } = await runNumeric(p, { train: 1, val: 1, test: 1 }, t, {
        state: s,
        timeline: { testAfterTrain: true },
        evalStep: (state, mode) =>
          mode === 'val'
            ? { ...batch(t, state), lastBatch: { ...batch(t, state).lastBatch!, mode: 'val' } }
            : batch(t, state),
      })
      // Only the test batch was drawn (the dry Files record writes).
      expect(recording.files.filter((f) => f.path.includes('/vis/')).map((f) => f.path)).toEqual([
        'work/ts/vis/idx40_gt7_pred7.png',
        'work/ts/vis/idx41_gt1_pred4.png',
      ])
    },
  )

  it('renders: interval rule, caption lines and widths', () => {
    expect([0, 1, 2, 3, 4, 5].filter((b) => drawsAfter(b, 3))).toEqual([2, 5])
    expect(captionLines({ gt: 3, pred: 3 }).map(([text]) => text)).toEqual(['GT 3', 'PRED 3'])
    expect(captionLines({ pred: 8 })).toEqual([['PRED 8', [255, 255, 255]]])
    expect(textWidth('GT 10')).toBe(5 * 8 - 2)
    // 0–1 images are scaled to 0–255; RGB images keep their colours.
    const rgb = PNG.sync.read(
      Buffer.from(renderSample({ height: 1, width: 2, channels: 3, pixels: [1, 0, 0, 0, 0.5, 1] }, {})),
    )
    expect([pixel(rgb, 0, 0), pixel(rgb, 7, 3)]).toEqual([
      [255, 0, 0],
      [0, 128, 255],
    ])
  })
})
