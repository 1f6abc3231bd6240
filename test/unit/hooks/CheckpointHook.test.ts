import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import * as Loop from '../../../src/dsl/Loop.js'
import * as Hub from '../../../src/dsl/MessageHub.js'
import * as Program from '../../../src/dsl/Program.js'
import {
  CheckpointSchedule,
  everyN,
  inferRule,
  defaultGreaterKeys,
  defaultLessKeys,
} from '../../../src/hooks/CheckpointHook.js'
import { runHooks } from '../../support/harness.js'

const savedEpochs = (args: Parameters<typeof CheckpointSchedule.afterTrainEpoch>[0], maxEpochs: number): number[] =>
  Array.from({ length: maxEpochs }, (_, e) => e)
    .filter((e) => CheckpointSchedule.afterTrainEpoch(args, e, maxEpochs))
    .map((e) => e + 1)

describe('CheckpointHook schedule (spec §3.6.2 examples)', () => {
  it('interval=2, save_begin=5 over 11 epochs saves 5, 7, 9, 11', () => {
    expect(savedEpochs({ interval: 2, save_begin: 5 }, 11)).toEqual([5, 7, 9, 11])
  })
  it('save_begin=1 saves 1, 3, 5, …', () => {
    expect(savedEpochs({ interval: 2, save_begin: 1 }, 11)).toEqual([1, 3, 5, 7, 9, 11])
  })
  it('save_begin=0 saves 2, 4, …, plus the last epoch', () => {
    expect(savedEpochs({ interval: 2, save_begin: 0 }, 11)).toEqual([2, 4, 6, 8, 10, 11])
  })
  it('interval ≤ 0 saves only the last epoch, or nothing without save_last', () => {
    expect(savedEpochs({ interval: -1 }, 4)).toEqual([4])
    expect(savedEpochs({ interval: -1, save_last: false }, 4)).toEqual([])
  })
  it('every_n counts from save_begin and never before it', () => {
    // Counters are 0-based: saving starts at the save_begin-th epoch (index 1) and repeats every 3.
    expect([0, 1, 2, 3, 4, 5].filter((c) => everyN(c, 3, 2))).toEqual([1, 4])
    expect(everyN(5, 0, 0)).toBe(false)
  })
  it('file names follow by_epoch or filename_tmpl', () => {
    expect(CheckpointSchedule.filename({}, 3)).toBe('epoch_3.safetensors')
    expect(CheckpointSchedule.filename({ by_epoch: false }, 300)).toBe('iter_300.safetensors')
    expect(CheckpointSchedule.filename({ filename_tmpl: 'ckpt_{}.pth' }, 7)).toBe('ckpt_7.pth')
  })
  it('infers greater/less rules as MMEngine does', () => {
    expect(inferRule('accuracy/top1', defaultGreaterKeys, defaultLessKeys)).toBe('greater')
    expect(inferRule('val_loss', defaultGreaterKeys, defaultLessKeys)).toBe('less')
    expect(inferRule('mAP', defaultGreaterKeys, defaultLessKeys)).toBe('greater')
    expect(inferRule('LOSS', defaultGreaterKeys, defaultLessKeys)).toBe('less')
    expect(inferRule('psnr', defaultGreaterKeys, defaultLessKeys)).toBeUndefined()
  })
})

describe('CheckpointHook in a run', () => {
  const withCheckpoint = (args: { readonly [k: string]: number | boolean | string }) =>
    Program.withDefaultHooks({ checkpoint: { type: 'CheckpointHook', args } })

  it('saves every epoch, keeps max_keep_ckpts, and records last_checkpoint (3 epochs × 4 iters)', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 3 })),
      withCheckpoint({ interval: 1, max_keep_ckpts: 2 }),
    )
    const { state, recording } = await runHooks(program, { train: 4 })
    expect(recording.saves.map((s) => [s.path, s.meta.epoch, s.meta.iter])).toEqual([
      ['work/epoch_1.safetensors', 1, 4],
      ['work/epoch_2.safetensors', 2, 8],
      ['work/epoch_3.safetensors', 3, 12],
    ])
    expect(recording.files.filter((f) => f.op === 'remove').map((f) => f.path)).toEqual(['work/epoch_1.safetensors'])
    expect(recording.files.filter((f) => f.path === 'work/last_checkpoint')).toHaveLength(3)
    expect(Hub.getInfo(state.messageHub, 'keep_ckpt_ids')).toEqual([2, 3])
    expect(Hub.getInfo(state.messageHub, 'last_ckpt')).toBe('work/epoch_3.safetensors')
  })

  it('by_epoch=False saves every interval iterations and at the end; out_dir nests the work dir name', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: 7 })),
      withCheckpoint({ interval: 3, by_epoch: false, out_dir: '/ckpts' }),
    )
    const { recording } = await runHooks(program, { train: 4 })
    expect(recording.saves.map((s) => [s.path, s.meta.iter])).toEqual([
      ['/ckpts/work/iter_3.safetensors', 3],
      ['/ckpts/work/iter_6.safetensors', 6],
      ['/ckpts/work/iter_7.safetensors', 7],
    ])
  })

  it('a by-epoch hook under IterBasedTrainLoop saves once, as epoch_1, at the end (spec §1.6)', async () => {
    const program = pipe(Program.empty, Program.withTrainLoop(Loop.IterBasedTrainLoop({ max_iters: 5 })))
    const { recording } = await runHooks(program, { train: 2 })
    expect(recording.saves.map((s) => s.path)).toEqual(['work/epoch_1.safetensors'])
  })

  it('the save_optimizer and save_param_scheduler flags reach the checkpoint writer', async () => {
    const program = pipe(
      Program.empty,
      Program.withTrainLoop(Loop.EpochBasedTrainLoop({ max_epochs: 1 })),
      withCheckpoint({ interval: 1, save_optimizer: false }),
    )
    const { recording } = await runHooks(program, { train: 1 })
    expect(recording.saves[0]).toMatchObject({ saveOptimizer: false, saveParamScheduler: true })
  })
})
