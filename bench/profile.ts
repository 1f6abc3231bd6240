/**
 * Where a training step's time goes, per kernel: one step of a zoo model on
 * corrected WASM run under `tf.profile`, kernels summed by name (median of
 * several profiled steps), plus the step's kernel count and the wall time
 * not spent inside kernels (JS bookkeeping: tape, tidy, scalar uploads).
 *
 * `npx tsx bench/profile.ts [MLP|LeNet-5|ResNet-18-CIFAR] [steps]`
 */
import * as tf from '@tensorflow/tfjs-core'
import { performance } from 'node:perf_hooks'
import { Effect } from 'effect'
import { selectBackend } from '../src/tensor/backend.js'
import '../src/tensor/gradients.js'
import { benchModels, syntheticStep } from './steps.js'

export interface KernelProfile {
  readonly wallMs: number
  readonly kernelMs: number
  readonly kernels: number
  readonly byKernel: ReadonlyArray<{ readonly name: string; readonly ms: number; readonly calls: number }>
}

/**
 * Profile `steps` calls of `step` (after one warm-up): per kernel name, the median over the steps of its time
 * in a step, so that a neighbour's preemption in one step does not land on one kernel; wall and totals are medians.
 */
export const profileStep = async (step: () => Promise<void>, steps: number): Promise<KernelProfile> => {
  await step()
  const walls: number[] = []
  const totals: number[] = []
  const counts: number[] = []
  const perName = new Map<string, { ms: number[]; calls: number }>()
  for (let s = 0; s < steps; s++) {
    const start = performance.now()
    let done: Promise<void> = Promise.resolve()
    const info = await tf.profile(() => {
      done = step()
      return undefined as unknown as tf.TensorContainer
    })
    await done
    walls.push(performance.now() - start)
    const sums = new Map<string, { ms: number; calls: number }>()
    let kernelMs = 0
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0
      kernelMs += ms
      const entry = sums.get(k.name) ?? { ms: 0, calls: 0 }
      sums.set(k.name, { ms: entry.ms + ms, calls: entry.calls + 1 })
    }
    totals.push(kernelMs)
    counts.push(info.kernels.length)
    for (const [name, v] of sums) {
      const entry = perName.get(name) ?? { ms: [], calls: v.calls }
      entry.ms.push(v.ms)
      perName.set(name, entry)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const byKernel = [...perName.entries()]
    .map(([name, v]) => ({ name, ms: median(v.ms), calls: v.calls }))
    .sort((a, b) => b.ms - a.ms)
  return { wallMs: median(walls), kernelMs: median(totals), kernels: median(counts), byKernel }
}

export const printProfile = (label: string, p: KernelProfile): void => {
  console.log(
    `${label}: ${p.wallMs.toFixed(1)} ms wall, ${p.kernelMs.toFixed(1)} ms in ${p.kernels} kernels, ` +
      `${(p.wallMs - p.kernelMs).toFixed(1)} ms outside kernels`,
  )
  for (const k of p.byKernel.slice(0, 20))
    console.log(`  ${k.name.padEnd(28)} ${k.ms.toFixed(2).padStart(8)} ms  ${String(k.calls).padStart(4)} calls`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await Effect.runPromise(selectBackend('wasm'))
  const which = process.argv[2] ?? 'MLP'
  const steps = Number(process.argv[3] ?? 5)
  const entry = benchModels.find((m) => m.label.startsWith(which))
  const known = benchModels.map((m) => m.label).join(', ')
  if (entry === undefined) throw new Error(`no benchmark model '${which}' (${known})`)
  const step = syntheticStep(entry)
  printProfile(entry.label, await profileStep(step, steps))
}
