/**
 * One self-supervised step of `bench/sslstep.ts`, repeated, with what it holds after each: `tf.memory()` (tensors,
 * bytes), the WASM heap (tfjs's heap grows to at most 4 GB and never shrinks, so its size is the step's peak so
 * far) and the process's resident set, and the step's CPU time. The check of issue 14's DenseCL stall: tensors and
 * heap flat from the first step on.
 *
 * `npx tsx bench/stepMemory.ts [DenseCL|MoCo|SimSiam] [steps]`
 */
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { selectBackend } from '../src/tensor/backend.js'
import { backendMemory } from '../src/tensor/wasmModule.js'
import { sslModels, sslStep } from './sslstep.js'

await Effect.runPromise(selectBackend('wasm'))
const label = process.argv[2] ?? 'DenseCL'
const steps = Number(process.argv[3] ?? 30)
const entry = sslModels.find((m) => m.label.startsWith(label))
if (entry === undefined) throw new Error(`no step '${label}' (${sslModels.map((m) => m.label).join('; ')})`)
const s = sslStep(entry)
const memory = backendMemory(tf.backend()) as { readonly buffer: ArrayBuffer }
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
for (let i = 0; i < steps; i++) {
  const start = process.cpuUsage()
  await s.step()
  const cpu = process.cpuUsage(start)
  const m = tf.memory()
  console.log(
    `step ${i}: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, ${m.numTensors} tensors ` +
      `(${mib(m.numBytes)}), heap ${mib(memory.buffer.byteLength)}, rss ${mib(process.memoryUsage().rss)}`,
  )
}
