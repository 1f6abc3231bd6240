/**
 * Exact resume after a crash, with real processes: `loopwright train` (the
 * built CLI) is killed with SIGKILL at a random iteration, resumed with
 * `--resume`, and its final checkpoint is compared bit for bit with that of
 * a run that never stopped. The run shuffles, uses dropout (ViT drop_rate),
 * accumulates gradients over windows a checkpoint can split, and scales the
 * loss dynamically. Each resumed process must say where it resumed and start
 * logging after that iteration, so a `--resume` that silently started from
 * scratch fails here. The built CLI is needed: it is built when missing, and
 * a failed build fails the suite (never a silent skip).
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as os from 'node:os'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, finalState, trainCli as train } from '../../support/killResume.js'

beforeAll(ensureBuilt, 600_000)

/**
 * The resumed process's own account: the iteration it says it resumed at and
 * the first iteration it logged. It must have resumed past iteration 1 and
 * logged nothing before the resumed iteration.
 */
const resumedAt = (output: string): { readonly resumed: number; readonly firstLogged: number } => {
  const said = /resumed epoch: \d+, iter: (\d+)/.exec(output)
  const first = /Iter\(train\) \[\s*(\d+)\/40\]/.exec(output)
  return { resumed: said === null ? -1 : Number(said[1]), firstLogged: first === null ? -1 : Number(first[1]) }
}
const expectResumedAfter = (output: string, atLeast: number) => {
  const { resumed, firstLogged } = resumedAt(output)
  expect(resumed, output).toBeGreaterThanOrEqual(atLeast)
  expect(firstLogged, output).toBe(resumed + 1)
}

const config = {
  model: {
    type: 'VisionTransformer',
    num_classes: 10,
    embed_dims: 32,
    num_layers: 1,
    num_heads: 2,
    drop_rate: 0.1,
    data_preprocessor: { mean: [33.46], std: [78.87] },
  },
  train_dataloader: {
    batch_size: 8,
    dataset: { type: 'MNIST', split: 'train', indices: 96 },
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 40 },
  optim_wrapper: {
    type: 'AmpOptimWrapper',
    loss_scale: 'dynamic',
    accumulative_counts: 3,
    optimizer: { type: 'AdamW', lr: 0.001 },
  },
  param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: 40 }],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1 },
    checkpoint: { type: 'CheckpointHook', interval: 4, by_epoch: false, max_keep_ckpts: 2 },
  },
  log_processor: { by_epoch: false, window_size: 1 },
  randomness: { seed: 3 },
}

const setUp = () => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-kill-'))
  const file = nodePath.join(dir, 'vit.json')
  fs.writeFileSync(file, JSON.stringify(config))
  return { dir, file }
}

describe('a run killed at any moment and resumed ends bit-identical to one that never stopped', () => {
  it('SIGKILL at a random iteration, then --resume', async () => {
    const { dir, file } = setUp()
    const whole = await train([file, '--work-dir', nodePath.join(dir, 'whole')])
    expect(whole.code, whole.output).toBe(0)
    // At least 15 iterations remain after the target, so the kill always lands before the run ends.
    const target = 6 + Math.floor(Math.random() * 19)
    const killed = await train([file, '--work-dir', nodePath.join(dir, 'killed')], (line, child) => {
      const m = /Iter\(train\) \[\s*(\d+)\/40\]/.exec(line)
      if (m !== null && Number(m[1]) >= target) child.kill('SIGKILL')
    })
    expect(killed.signal, `killed at ${target}`).toBe('SIGKILL')
    const resumed = await train([file, '--work-dir', nodePath.join(dir, 'killed'), '--resume'])
    expect(resumed.code, resumed.output).toBe(0)
    // Checkpoints every 4 iterations and the kill at iteration 6 or later: the last one is at 4 or later.
    expectResumedAfter(resumed.output, 4)
    expect(resumed.output).toMatch(/Iter\(train\) \[40\/40\]/)
    expect(finalState(nodePath.join(dir, 'killed', 'iter_40.safetensors'))).toEqual(
      finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')),
    )
  }, 120_000)

  it('SIGINT stops at the next iteration with a checkpoint (exit 130); --resume finishes the same run', async () => {
    const { dir, file } = setUp()
    const whole = await train([file, '--work-dir', nodePath.join(dir, 'whole')])
    let sent = false
    const stopped = await train([file, '--work-dir', nodePath.join(dir, 'stopped')], (line, child) => {
      if (!sent && /Iter\(train\) \[\s*(\d+)\/40\]/.exec(line)?.[1] === '7') {
        sent = true
        child.kill('SIGINT')
      }
    })
    expect(stopped.code, stopped.output).toBe(130)
    const at = Number(
      /Interrupted by SIGINT after (\d+) iterations; saved .*interrupted_iter_\d+\.safetensors/.exec(
        stopped.output,
      )?.[1] ?? -1,
    )
    expect(at, stopped.output).toBeGreaterThanOrEqual(7)
    const resumed = await train([file, '--work-dir', nodePath.join(dir, 'stopped'), '--resume'])
    expect(resumed.code, resumed.output).toBe(0)
    expect(resumedAt(resumed.output).resumed, resumed.output).toBe(at)
    expectResumedAfter(resumed.output, 7)
    expect(whole.code).toBe(0)
    expect(finalState(nodePath.join(dir, 'stopped', 'iter_40.safetensors'))).toEqual(
      finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')),
    )
  }, 120_000)

  it('two workers: SIGINT stops both at one boundary, rank 0 saves; --resume on two ends the same', async () => {
    // With accumulation over 3 iterations, the ranks agree on the signal both through the votes carried by the
    // gradient average and, on the other iterations, through their own all-reduce.
    const { dir, file } = setUp()
    const workers = ['--workers', '2']
    const whole = await train([file, ...workers, '--work-dir', nodePath.join(dir, 'whole')])
    expect(whole.code, whole.output).toBe(0)
    let sent = false
    const stopped = await train([file, ...workers, '--work-dir', nodePath.join(dir, 'stopped')], (line, child) => {
      if (!sent && /Iter\(train\) \[\s*(\d+)\/40\]/.exec(line)?.[1] === '7') {
        sent = true
        child.kill('SIGINT')
      }
    })
    expect(stopped.code, stopped.output).toBe(130)
    const at = Number(/Interrupted by SIGINT after (\d+) iterations/.exec(stopped.output)?.[1] ?? -1)
    expect(at, stopped.output).toBeGreaterThanOrEqual(7)
    expect(at, stopped.output).toBeLessThan(40)
    const resumed = await train([file, ...workers, '--work-dir', nodePath.join(dir, 'stopped'), '--resume'])
    expect(resumed.code, resumed.output).toBe(0)
    expect(resumedAt(resumed.output).resumed, resumed.output).toBe(at)
    expect(finalState(nodePath.join(dir, 'stopped', 'iter_40.safetensors'))).toEqual(
      finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')),
    )
  }, 120_000)

  it('a second SIGINT exits at once (130), leaves only whole files; the run resumes to the same end', async () => {
    const { dir, file } = setUp()
    const whole = await train([file, '--work-dir', nodePath.join(dir, 'whole')])
    let sent = 0
    const stopped = await train([file, '--work-dir', nodePath.join(dir, 'twice')], (line, child) => {
      if (sent === 0 && /Iter\(train\) \[\s*(\d+)\/40\]/.exec(line)?.[1] === '9') {
        sent = 1
        child.kill('SIGINT')
        setImmediate(() => child.kill('SIGINT'))
      }
    })
    expect(stopped.code, stopped.output).toBe(130)
    expect(fs.readdirSync(nodePath.join(dir, 'twice')).filter((f) => f.includes('.tmp-'))).toEqual([])
    const resumed = await train([file, '--work-dir', nodePath.join(dir, 'twice'), '--resume'])
    expect(resumed.code, resumed.output).toBe(0)
    // The second SIGINT leaves the last periodic checkpoint (iteration 8) or a later interrupt checkpoint.
    expectResumedAfter(resumed.output, 8)
    expect(whole.code).toBe(0)
    expect(finalState(nodePath.join(dir, 'twice', 'iter_40.safetensors'))).toEqual(
      finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')),
    )
  }, 120_000)
})
