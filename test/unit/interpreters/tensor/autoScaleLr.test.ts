/** `auto_scale_lr` in the tensor interpreter: applied once, before anything is built, with the run's world size. */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Communicator } from '../../../../src/interpreters/collective/Communicator.js'
import { oneProcess } from '../../../../src/interpreters/collective/oneProcess.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { baseConfig, programOf, run, tempDir } from './support.js'

beforeAll(useCpu)

const constantLr = { ...baseConfig, param_scheduler: [], train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4 } }

describe('auto_scale_lr', () => {
  it('scales every lr by world size × batch_size / base_batch_size and says so in the log', async () => {
    const said: string[] = []
    const print = (_: string, message: string) => void said.push(message)
    const plain = await run(programOf(constantLr), { workDir: tempDir() })
    const config = { ...constantLr, auto_scale_lr: { enable: true, base_batch_size: 32 } }
    const scaled = await run(programOf(config), { workDir: tempDir(), print })
    expect(Object.values(plain.lr)).toEqual([0.01])
    expect(Object.values(scaled.lr)).toEqual([0.01 * (8 / 32)])
    expect(said).toContain('auto_scale_lr: base_batch_size 32, real batch size 1×8 = 8: lr × 0.25')
    // The world size comes from the communicator: rank 0 of two processes of batch 8 is a real batch of 16
    // (a one-process communicator that reports two ranks: the all-reduce is the identity, the lr is what counts).
    const rankZeroOfTwo: Communicator = { ...oneProcess, worldSize: 2 }
    said.length = 0
    const two = await run(programOf(config), { workDir: tempDir(), print, communicator: rankZeroOfTwo })
    expect(Object.values(two.lr)).toEqual([0.01 * (16 / 32)])
    expect(said).toContain('auto_scale_lr: base_batch_size 32, real batch size 2×8 = 16: lr × 0.5')
  })

  it('leaves the lr alone when not enabled', async () => {
    const config = { ...constantLr, auto_scale_lr: { enable: false, base_batch_size: 32 } }
    const result = await run(programOf(config), { workDir: tempDir() })
    expect(Object.values(result.lr)).toEqual([0.01])
  })
})
