import * as nodePath from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromArrays } from '../../../../src/data/ArrayDataset.js'
import * as Rng from '../../../../src/dsl/Rng.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { failure, programOf, run, tempDir } from './support.js'

beforeAll(useCpu)

// A small ResNet on 8 × 8 one-channel images (the pure-JS CPU backend is slow at convolutions).
const resnet = { type: 'ResNet', stage_blocks: [1, 1], base_channels: 4, in_channels: 1, img_size: 8, num_classes: 3 }
const images = (() => {
  let rng = Rng.make(5)
  const x: number[][] = []
  for (let i = 0; i < 24; i++) {
    x.push(
      Array.from({ length: 64 }, () => {
        const [u, next] = Rng.uniform(rng)
        rng = next
        return u
      }),
    )
  }
  const built = fromArrays(
    x,
    x.map((_, i) => i % 3),
    { task: 'class', numClasses: 3 },
  )
  if (built._tag === 'Left') throw new Error(built.left.message)
  return built.right
})()
const datasets = { train: images }
const config = (model: object, lr: number) => ({
  model,
  train_dataloader: {
    batch_size: 8,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 3 },
  optim_wrapper: { optimizer: { type: 'SGD', lr, momentum: 0.9, weight_decay: 1e-4 } },
  default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 3, by_epoch: false } },
  randomness: { seed: 3 },
})

describe('the linear probe: a frozen, pretrained backbone under a trained linear head', () => {
  it('loads the backbone from a checkpoint with init_cfg Pretrained and trains only the head', async () => {
    const pretrainDir = tempDir()
    const pretrained = await run(programOf(config(resnet, 0.1)), { workDir: pretrainDir, datasets })
    const checkpoint = nodePath.join(pretrainDir, 'iter_3.safetensors')
    const probe = () => ({
      ...resnet,
      frozen_stages: 2,
      norm_eval: true,
      init_cfg: { type: 'Pretrained', checkpoint, prefix: 'backbone.' },
    })
    const trained = await run(programOf(config(probe(), 0.1)), { workDir: tempDir(), datasets })
    const still = await run(programOf(config(probe(), 0)), { workDir: tempDir(), datasets })
    const names = Object.keys(pretrained.params)
    const backbone = names.filter((n) => n.startsWith('backbone.'))
    expect(backbone.length).toBeGreaterThan(10)
    for (const n of backbone) {
      // Loaded from the checkpoint, then never updated (no gradient step, no weight decay).
      expect(Array.from(trained.params[n]!.values), n).toEqual(Array.from(pretrained.params[n]!.values))
    }
    // The head was not loaded (the seeded init of a new run), and it trains.
    expect(Array.from(trained.params['head.fc.weight']!.values)).not.toEqual(
      Array.from(still.params['head.fc.weight']!.values),
    )
    expect(Array.from(still.params['head.fc.weight']!.values)).not.toEqual(
      Array.from(pretrained.params['head.fc.weight']!.values),
    )
  })
  it('names what is wrong with init_cfg', async () => {
    const pretrainDir = tempDir()
    await run(programOf(config(resnet, 0.1)), { workDir: pretrainDir, datasets })
    const checkpoint = nodePath.join(pretrainDir, 'iter_3.safetensors')
    const wrongPrefix = { ...resnet, init_cfg: { type: 'Pretrained', checkpoint, prefix: 'encoder.' } }
    expect(await failure(programOf(config(wrongPrefix, 0.1)), { workDir: tempDir(), datasets })).toContain(
      `model.init_cfg.checkpoint: ${checkpoint}: no tensor encoder.conv1.weight for backbone.conv1.weight`,
    )
    const missing = { ...resnet, init_cfg: { type: 'Pretrained', checkpoint: '/nowhere.safetensors' } }
    expect(await failure(programOf(config(missing, 0.1)), { workDir: tempDir(), datasets })).toContain(
      'model.init_cfg.checkpoint: cannot read /nowhere.safetensors: no such file',
    )
    const wider = { ...resnet, base_channels: 8, init_cfg: { type: 'Pretrained', checkpoint, prefix: 'backbone' } }
    expect(await failure(programOf(config(wider, 0.1)), { workDir: tempDir(), datasets })).toMatch(
      /backbone\.conv1\.weight has shape \[4, 1, 3, 3\], the model's backbone\.conv1\.weight is \[8, 1, 3, 3\]/,
    )
  })
})
