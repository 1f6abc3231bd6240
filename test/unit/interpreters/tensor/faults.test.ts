import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Writer } from '../../../../src/interpreters/tensor/atomic.js'
import { nodeWriter } from '../../../../src/interpreters/tensor/atomic.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { baseConfig, failure, programOf, run, tempDir } from './support.js'

beforeAll(useCpu)

const config = {
  ...baseConfig,
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 30, val_interval: 100 },
  default_hooks: {
    ...baseConfig.default_hooks,
    checkpoint: { type: 'CheckpointHook', interval: 10, by_epoch: false, max_keep_ckpts: 1 },
  },
}

/** A writer that writes half of the `n`-th file it is given, then fails with `error`. */
const failingOn = (n: number, error: NodeJS.ErrnoException): Writer => {
  let calls = 0
  return {
    write: (fd, bytes) => {
      calls += 1
      if (calls === n) {
        nodeWriter.write(fd, bytes.subarray(0, bytes.byteLength >> 1))
        throw error
      }
      nodeWriter.write(fd, bytes)
    },
  }
}

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

describe('checkpoints survive faults', () => {
  it(
    'a full disk during a save stops the run with the file named, and keeps the ' +
      'previous checkpoint and its pointer (even with max_keep_ckpts=1)',
    async () => {
      const workDir = tempDir()
      const message = await failure(programOf(config), { workDir, writer: failingOn(2, enospc()) })
      expect(message).toMatch(/iter_20\.safetensors: .*no space left on device/)
      expect(
        fs
          .readdirSync(workDir)
          .filter((f) => !f.startsWith('test'))
          .sort(),
      ).toEqual(['iter_10.safetensors', 'last_checkpoint'])
      expect(fs.readFileSync(nodePath.join(workDir, 'last_checkpoint'), 'utf8')).toBe(
        nodePath.join(workDir, 'iter_10.safetensors'),
      )
      // The surviving checkpoint is whole: the run resumes from it and finishes.
      const resumed = await run(programOf(config), { workDir, resume: 'auto' })
      expect(resumed.iterations).toBe(30)
    },
  )

  it('a write that throws midway leaves no temporary file and no partial checkpoint', async () => {
    const workDir = tempDir()
    await failure(programOf(config), { workDir, writer: failingOn(1, new Error('simulated crash')) })
    expect(fs.readdirSync(workDir).filter((f) => f.endsWith('.safetensors') || f.includes('.tmp-'))).toEqual([])
  })

  it('a flipped byte, a truncated file and a foreign file are each reported as such, with the path', async () => {
    const workDir = tempDir()
    await run(programOf({ ...config, train_cfg: { type: 'IterBasedTrainLoop', max_iters: 10, val_interval: 100 } }), {
      workDir,
    })
    const good = fs.readFileSync(nodePath.join(workDir, 'iter_10.safetensors'))
    const flipped = nodePath.join(workDir, 'flipped.safetensors')
    const bytes = Buffer.from(good)
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x40
    fs.writeFileSync(flipped, bytes)
    expect(await failure(programOf(config), { workDir, resume: flipped })).toMatch(
      /flipped\.safetensors: checksum mismatch: the file is corrupted/,
    )
    const truncated = nodePath.join(workDir, 'truncated.safetensors')
    fs.writeFileSync(truncated, good.subarray(0, good.length - 100))
    expect(await failure(programOf(config), { workDir, resume: truncated })).toMatch(
      /truncated\.safetensors: not a readable safetensors file: .*/,
    )
    const foreign = nodePath.join(workDir, 'weights.safetensors')
    const header = Buffer.from(
      JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }).padEnd(64, ' '),
    )
    const size = Buffer.alloc(8)
    size.writeBigUInt64LE(BigInt(header.length))
    fs.writeFileSync(foreign, Buffer.concat([size, header, Buffer.alloc(4)]))
    expect(await failure(programOf(config), { workDir, resume: foreign })).toMatch(
      /weights\.safetensors: a safetensors file, but not a loopwright checkpoint/,
    )
  })
})
