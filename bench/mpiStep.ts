/**
 * One rank of the MPI benchmark (`mpirun -np 2 node --import tsx bench/mpiStep.ts MODEL ROUNDS`):
 * ROUNDS runs of `runLength[MODEL].iters` steps; rank 0 prints each run's median steady step time and its
 * process's CPU time per step as JSON.
 */
import { Effect } from 'effect'
import * as Mnist from '../src/data/mnist.js'
import { mpiCommunicator } from '../src/interpreters/collective/mpi.js'
import { train } from '../src/interpreters/tensor/train.js'
import { selectBackend } from '../src/tensor/backend.js'
import { benchProgram, runLength, steadyStep } from './distributedCases.js'
import type { ModelName } from './distributedCases.js'

const model = process.argv[2] as ModelName
const rounds = Number(process.argv[3] ?? 3)
const communicator = mpiCommunicator()
if (communicator._tag === 'Left') throw new Error(communicator.left)
await Effect.runPromise(selectBackend('wasm'))
const dataset = await Effect.runPromise(Mnist.load({ split: 'train', indices: 12800 }))
const steps: number[] = []
const cpuSteps: number[] = []
for (let r = 0; r < rounds; r++) {
  const stepMs: number[] = []
  const stepCpuMs: number[] = []
  let last: number | undefined
  let lastCpu = 0
  await Effect.runPromise(
    train(benchProgram(model, runLength[model].iters), {
      communicator: communicator.right,
      datasets: { train: dataset },
      print: () => {},
      writeCheckpoints: false,
      workDir: 'work_dirs/bench-mpi',
      timestamp: 'bench',
      afterTrainStep: () => {
        const now = performance.now()
        const usage = process.cpuUsage()
        const cpu = (usage.user + usage.system) / 1000
        if (last !== undefined) {
          stepMs.push(now - last)
          stepCpuMs.push(cpu - lastCpu)
        }
        last = now
        lastCpu = cpu
      },
    }),
  )
  steps.push(steadyStep(model, stepMs))
  cpuSteps.push(steadyStep(model, stepCpuMs))
}
// This rank's process CPU time per step: with one process per rank, a rank's share of the work.
if (communicator.right.rank === 0) console.log(JSON.stringify({ steps, cpuSteps }))
