/**
 * One rank of the MPI benchmark (`mpirun -np 2 node --import tsx bench/mpiStep.ts MODEL ROUNDS`):
 * times the short and the long run alternately in this process; rank 0 prints the medians as JSON.
 */
import { Effect } from 'effect'
import * as Mnist from '../src/data/mnist.js'
import { mpiCommunicator } from '../src/interpreters/collective/mpi.js'
import { train } from '../src/interpreters/train.js'
import { selectBackend } from '../src/tensor/backend.js'
import { LONG, SHORT, benchProgram } from './distributedCases.js'
import type { ModelName } from './distributedCases.js'

const model = process.argv[2] as ModelName
const rounds = Number(process.argv[3] ?? 3)
const communicator = mpiCommunicator()
if (communicator._tag === 'Left') throw new Error(communicator.left)
await Effect.runPromise(selectBackend('wasm'))
const dataset = await Effect.runPromise(Mnist.load({ split: 'train', indices: 12800 }))
const timeRun = async (iters: number): Promise<number> => {
  communicator.right.barrier()
  const start = performance.now()
  await Effect.runPromise(train(benchProgram(model, iters), { communicator: communicator.right, datasets: { train: dataset }, print: () => {}, writeCheckpoints: false, workDir: 'work_dirs/bench-mpi', timestamp: 'bench' }))
  return performance.now() - start
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
await timeRun(SHORT) // warm-up
const short: number[] = []
const long: number[] = []
for (let r = 0; r < rounds; r++) {
  short.push(await timeRun(SHORT))
  long.push(await timeRun(LONG))
}
if (communicator.right.rank === 0) console.log(JSON.stringify({ short: median(short), long: median(long) }))
