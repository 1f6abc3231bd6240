/**
 * WASM matmul before and after loopwright's BatchMatMul correction: the
 * shapes of a backward pass (transposed operands) and a plain product.
 * The correction is global once installed, so the two are measured one after
 * the other in the same process (medians of 15 runs each).
 */
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { installWasmFixes } from '../src/tensor/wasmFixes.js'
import { measure, report } from './harness.js'
import type { Result } from './harness.js'

const shapes = [
  ['NN 512²', false, false],
  ['TN 512² (dW = xᵀ·dy)', true, false],
  ['NT 512² (dx = dy·Wᵀ)', false, true],
] as const

const gflops = (r: Result, n: number) => ((2 * n ** 3) / (r.medianMs / 1000) / 1e9).toFixed(2)

export const backendsBench = async () => {
  tf.env().set('PROD', true)
  await tf.setBackend('wasm')
  await tf.ready()
  const a = tf.randomNormal([512, 512], 0, 1, 'float32', 1)
  const b = tf.randomNormal([512, 512], 0, 1, 'float32', 2)
  const run = (ta: boolean, tb: boolean) => async () => {
    const c = tf.matMul(a, b, ta, tb)
    await c.data()
    c.dispose()
  }
  const before: Result[] = []
  for (const [name, ta, tb] of shapes) before.push(await measure(`[wasm, stock]     matMul ${name}`, 15, run(ta, tb)))
  installWasmFixes()
  const after: Result[] = []
  for (const [name, ta, tb] of shapes) after.push(await measure(`[wasm, corrected] matMul ${name}`, 15, run(ta, tb)))
  console.log(report([...before, ...after]))
  shapes.forEach(([name], i) => {
    console.log(
      `${name}: ${gflops(before[i]!, 512)} → ${gflops(after[i]!, 512)} GFLOP/s ` +
        `(${(before[i]!.medianMs / after[i]!.medianMs).toFixed(1)}× faster)`,
    )
  })
}
