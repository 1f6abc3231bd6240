/**
 * Exact resume after a crash, with real processes: `loopwright train` (the
 * built CLI) is killed with SIGKILL at a random iteration, resumed with
 * `--resume`, and its final checkpoint is compared bit for bit with that of
 * a run that never stopped. The run shuffles, uses dropout (ViT drop_rate),
 * accumulates gradients over windows a checkpoint can split, and scales the
 * loss dynamically.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as os from 'node:os'
import { describe, expect, it } from 'vitest'
import * as Safetensors from '../../../src/tensor/safetensors.js'

const cli = nodePath.join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js')

const config = {
  model: { type: 'VisionTransformer', num_classes: 10, embed_dims: 32, num_layers: 1, num_heads: 2, drop_rate: 0.1, data_preprocessor: { mean: [33.46], std: [78.87] } },
  train_dataloader: { batch_size: 8, dataset: { type: 'MNIST', split: 'train', indices: 96 }, sampler: { type: 'DefaultSampler', shuffle: true } },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 40 },
  optim_wrapper: { type: 'AmpOptimWrapper', loss_scale: 'dynamic', accumulative_counts: 3, optimizer: { type: 'AdamW', lr: 0.001 } },
  param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: 40 }],
  default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', interval: 4, by_epoch: false, max_keep_ckpts: 2 } },
  log_processor: { by_epoch: false, window_size: 1 },
  randomness: { seed: 3 },
}

interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly output: string
}

/** Run the CLI; `onLine` may kill or signal the child. */
const train = (args: ReadonlyArray<string>, onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train', ...args, '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let pending = ''
    const take = (chunk: Buffer) => {
      output += chunk.toString()
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) onLine?.(line, child)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('close', (code, signal) => resolve({ code, signal, output }))
  })

const finalState = (file: string) => {
  const decoded = Safetensors.decode(new Uint8Array(fs.readFileSync(file)))
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  const state = JSON.parse(decoded.right.metadata['state']!) as { messageHub: { scalars: Array<[string, number[], number[]]> }; [k: string]: unknown }
  // Wall-clock scalars differ between any two runs; everything else must not.
  const scalars = state.messageHub.scalars.filter(([key]) => !/time|eta/.test(key))
  const tensors = Object.fromEntries(Object.entries(decoded.right.tensors).map(([n, t]) => [n, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')]))
  return { tensors, scalars, optim: state['optim'], counters: state['counters'], rng: state['rng'] }
}

const setUp = () => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-kill-'))
  const file = nodePath.join(dir, 'vit.json')
  fs.writeFileSync(file, JSON.stringify(config))
  return { dir, file }
}

// Needs the built CLI: `npm test` builds it first; a bare `vitest run` without a build skips these.
describe.skipIf(!fs.existsSync(cli))('a run killed at any moment and resumed ends bit-identical to one that never stopped', () => {
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
    expect(resumed.output).toMatch(/Iter\(train\) \[40\/40\]/)
    expect(finalState(nodePath.join(dir, 'killed', 'iter_40.safetensors'))).toEqual(finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')))
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
    expect(stopped.output).toMatch(/Interrupted by SIGINT after \d+ iterations; saved .*interrupted_iter_\d+\.safetensors/)
    const resumed = await train([file, '--work-dir', nodePath.join(dir, 'stopped'), '--resume'])
    expect(resumed.code, resumed.output).toBe(0)
    expect(whole.code).toBe(0)
    expect(finalState(nodePath.join(dir, 'stopped', 'iter_40.safetensors'))).toEqual(finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')))
  }, 120_000)

  it('a second SIGINT exits at once (130) and leaves only whole files: the run still resumes to the same end', async () => {
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
    expect(whole.code).toBe(0)
    expect(finalState(nodePath.join(dir, 'twice', 'iter_40.safetensors'))).toEqual(finalState(nodePath.join(dir, 'whole', 'iter_40.safetensors')))
  }, 120_000)
})
