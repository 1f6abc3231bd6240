import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { toProgram } from '../../../../src/config/toProgram.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'

// Fashion-MNIST's 60,000 training images in batches of 256 leave a last batch of 96 (60,000 − 234 × 256).
const warningsOf = async (file: string, cfgOptions: ReadonlyArray<string>, worldSize = 1) => {
  const loaded = await Effect.runPromise(load(file, { cfgOptions, registries: defaultRegistries }))
  const plan = await Effect.runPromise(dryRun(toProgram(loaded.config), { worldSize, datasetSizes: {} }))
  return plan.warnings.filter((w) => w.includes('queue_len'))
}

describe('the key-queue warning', () => {
  const moco = 'configs/selfsup/mocov2_smallcnn_fashionmnist.py'

  it('names the short last batch that would stop MoCo after its first epoch, and the fix', async () => {
    const warnings = await warningsOf(moco, ['train_dataloader.drop_last=False'])
    expect(warnings).toEqual([
      'train_dataloader: the last batch of each epoch has 96 samples per process (96 in all), and model.queue_len ' +
        '4096 is not a multiple of it: MoCo stops at iteration 235 (MMSelfSup asserts queue_len % batch_size == 0); ' +
        "set train_dataloader.drop_last=True, as MMSelfSup's MoCo configs do",
    ])
  })

  it('is silent with drop_last, or when the last batch divides the queue', async () => {
    expect(await warningsOf(moco, [])).toEqual([])
    // 60,000 / 2 = 30,000 per process: 117 batches of 256 and one of 48; 4096 = 2^12 is no multiple of 96 (2 × 48)…
    expect(await warningsOf(moco, ['train_dataloader.drop_last=False'], 2)).toHaveLength(1)
    // …but in batches of 250, 60,000 images are 240 full batches: nothing left over.
    expect(
      await warningsOf(moco, [
        'train_dataloader.drop_last=False',
        'train_dataloader.batch_size=250',
        'model.queue_len=4000',
      ]),
    ).toEqual([])
  })

  it('names a queue that no batch divides, at the world size (DenseCL too)', async () => {
    const warnings = await warningsOf('configs/selfsup/densecl_smallcnn_fashionmnist.py', [], 3)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^model\.queue_len \d+ is not a multiple of the global batch 768 \(3 × 256\): DenseCL /)
  })
})
