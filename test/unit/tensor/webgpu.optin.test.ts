/**
 * Opt-in: the WebGPU route (Dawn + @tensorflow/tfjs-backend-webgpu) on this
 * machine's adapter — a software one (Mesa lavapipe ≥ 25) works, so CI
 * machines without a GPU can run it:
 *
 *   apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1
 *   npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0
 *   npm run test:webgpu
 *
 * Skipped unless LOOPWRIGHT_WEBGPU=1.
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { compareWithCpu } from '../../../src/tensor/opConformance.js'
import { baseConfig, programOf, run, tempDir } from '../interpreters/tensor/support.js'

describe.skipIf(process.env['LOOPWRIGHT_WEBGPU'] !== '1')('the WebGPU route (opt-in)', () => {
  it('agrees with the CPU backend on every op of the conformance suite, forward and gradients', async () => {
    await Effect.runPromise(selectBackend('cpu'))
    const selected = await Effect.runPromise(selectBackend('webgpu'))
    expect(selected.name).toBe('webgpu')
    const results = await compareWithCpu('webgpu', 1e-4)
    expect(results.filter((r) => !r.ok)).toEqual([])
  }, 300_000)

  it('trains through the tensor interpreter to the parameters the CPU backend ' +
    'reaches, and frees every tensor', async () => {
    const program = programOf({
      ...baseConfig,
      train_cfg: { type: 'IterBasedTrainLoop', max_iters: 12, val_interval: 6 },
    })
    await tf.setBackend('cpu')
    const onCpu = await run(program, { workDir: tempDir() })
    await tf.setBackend('webgpu')
    const before = tf.memory().numTensors
    const onGpu = await run(program, { workDir: tempDir() })
    expect(tf.memory().numTensors).toBe(before)
    for (const [name, p] of Object.entries(onCpu.params)) {
      const got = onGpu.params[name]!.values
      p.values.forEach((v, i) => {
        expect(Math.abs(got[i]! - v), `${name}[${i}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))
      })
    }
    expect(onGpu.evaluations.map((e) => e.iter)).toEqual([6, 12])
  }, 300_000)
})
