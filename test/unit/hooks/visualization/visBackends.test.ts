import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Effect, Exit } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../../src/dsl/Loop.js'
import * as Program from '../../../../src/dsl/Program.js'
import { decodeEvent, readRecords } from '../../../../src/hooks/visualization/tfevents.js'
import { backendsFor, decodeVisualizer } from '../../../../src/hooks/visualization/visBackends.js'
import { Files } from '../../../../src/dsl/Services.js'
import { diskFiles } from '../../../../src/interpreters/tensor/layers.js'
import { pythonConfigText } from '../../../../src/hooks/visualization/pythonText.js'
import { train } from '../../../../src/interpreters/tensor/train.js'

const data_preprocessor = { mean: [33.46], std: [78.87] }
const mnist = { type: 'MNIST', split: 'train', indices: 64 }
const both = { type: 'Visualizer', vis_backends: [{ type: 'LocalVisBackend' }, { type: 'TensorboardVisBackend' }] }
const quiet = { print: () => {}, writeCheckpoints: false }

const program = (visualizer: unknown) =>
  pipe(
    Program.empty,
    Program.withModel({ type: 'MLP', in_features: 784, hidden: [8], num_classes: 10, data_preprocessor }),
    Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 2 }), { batch_size: 16, dataset: mnist }),
    Program.withOptimWrapper({ optimizer: { type: 'SGD', lr: 0.01 } }),
    Program.withDefaultHooks({ logger: { type: 'LoggerHook', args: { interval: 2 } } }),
    Program.withSetting('visualizer', visualizer as never),
    Program.withRandomness({ seed: 0 }),
  )

const configText = JSON.stringify({ train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 2 }, resume: false })

describe('vis backends', () => {
  it('TensorboardVisBackend writes an event file whose every record checks and holds the logged scalars', async () => {
    const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-tb-'))
    const result = await Effect.runPromise(train(program(both), { workDir, configText, ...quiet }))
    const visData = nodePath.join(result.logDir, 'vis_data')
    const eventFiles = fs.readdirSync(visData).filter((f) => f.startsWith('events.out.tfevents.'))
    expect(eventFiles).toHaveLength(1)
    const records = readRecords(new Uint8Array(fs.readFileSync(nodePath.join(visData, eventFiles[0]!))))
    if (E.isLeft(records)) throw new Error(records.left)
    const events = records.right.map(decodeEvent)
    expect(events[0]).toMatchObject({ step: 0, fileVersion: 'brain.Event:2', values: [] })
    const text = pythonConfigText(configText)
    expect(events[1]!.values).toEqual([{ tag: 'config/text_summary', kind: 'text', text }])
    // The same scalars, at the same steps, as LocalVisBackend's scalars.json.
    const json = fs.readFileSync(nodePath.join(visData, 'scalars.json'), 'utf8')
    const lines = json
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>)
    expect(lines).toHaveLength(4)
    const scalarEvents = events.slice(2)
    expect(scalarEvents.map((e) => e.step)).toEqual(lines.map((l) => l['step']))
    scalarEvents.forEach((event, i) => {
      const byTag = Object.fromEntries(event.values.map((v) => [v.tag, v.kind === 'scalar' ? v.value : NaN]))
      // `step` is the event's step, not a scalar (LocalVisBackend adds it to its copy of the tag).
      const { step: _step, ...scalars } = lines[i]!
      expect(Object.keys(byTag)).toEqual(Object.keys(scalars))
      for (const [k, v] of Object.entries(scalars)) expect(byTag[k]).toBeCloseTo(v, 5)
    })
    expect(events.every((e) => e.wallTime > 1e9)).toBe(true)
    // LocalVisBackend: the config as Python, next to the scalars.
    expect(fs.readFileSync(nodePath.join(visData, 'config.py'), 'utf8')).toBe(
      "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)\nresume = False\n",
    )
  }, 60_000)

  it('writes nothing to vis_data without backends, and refuses an unknown backend with its path', async () => {
    const workDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-novis-'))
    const result = await Effect.runPromise(
      train(program({ type: 'Visualizer', vis_backends: [] }), { workDir, ...quiet }),
    )
    expect(fs.existsSync(nodePath.join(result.logDir, 'vis_data'))).toBe(false)
    const wandb = { type: 'Visualizer', vis_backends: [{ type: 'WandbVisBackend' }] }
    const bad = await Effect.runPromiseExit(train(program(wandb), { workDir, ...quiet }))
    expect(Exit.isFailure(bad)).toBe(true)
    const expected =
      'visualizer.vis_backends[0].type: expected one of "LocalVisBackend", ' +
      '"TensorboardVisBackend", got "WandbVisBackend"'
    expect(JSON.stringify(bad)).toContain(JSON.stringify(expected).slice(1, -1))
  }, 60_000)

  it('decodes the visualizer types of OpenMMLab libraries and none as the default local backend', () => {
    expect(decodeVisualizer(undefined)).toEqual(
      E.right({ type: 'Visualizer', vis_backends: [{ type: 'LocalVisBackend' }] }),
    )
    const tensorboard = { type: 'TensorboardVisBackend', save_dir: 'tb' }
    expect(
      E.isRight(decodeVisualizer({ type: 'UniversalVisualizer', vis_backends: [tensorboard], name: 'visualizer' })),
    ).toBe(true)
    const typo = decodeVisualizer({ type: 'Visualiser' })
    expect(typo).toEqual(E.left(expect.stringMatching(/^visualizer\.type: expected one of "Visualizer"/)))
  })

  it('add_image: LocalVisBackend writes vis_image/<name>_<step>.png, TensorBoard an image summary', async () => {
    const logDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-img-'))
    const timestamp = '20261203_045900'
    const run = {
      workDir: logDir,
      logDir,
      timestamp,
      experimentName: 'x',
      configText: '',
      sizes: {},
      datasetMeta: undefined,
    }
    const visualizer = decodeVisualizer(both)
    if (E.isLeft(visualizer)) throw new Error(visualizer.left)
    const image = { height: 1, width: 1, colorspace: 1, png: new Uint8Array([137, 80, 78, 71]) }
    for (const backend of backendsFor(visualizer.right, run)) {
      await Effect.runPromise(Effect.provideService(backend.addImage('sample', image, 3, 1e9), Files, diskFiles))
    }
    const visData = nodePath.join(logDir, 'vis_data')
    expect([...fs.readFileSync(nodePath.join(visData, 'vis_image', 'sample_3.png'))]).toEqual([...image.png])
    const eventFile = fs.readdirSync(visData).find((f) => f.startsWith('events'))!
    const events = readRecords(new Uint8Array(fs.readFileSync(nodePath.join(visData, eventFile))))
    if (E.isLeft(events)) throw new Error(events.left)
    const values = [{ tag: 'sample', kind: 'image', image }]
    expect(events.right.map(decodeEvent)).toEqual([{ wallTime: 1e9, step: 3, values }])
  })
})
