/**
 * One rank of the MPI equivalence test, started by `mpirun -np 2 node
 * --import tsx test/support/mpiTrain.ts OUT.json`: trains the shared test
 * program through MPI; rank 0 writes the final parameters and its evaluations to OUT.json.
 */
import * as fs from 'node:fs'
import { Effect } from 'effect'
import { mpiCommunicator } from '../../src/interpreters/collective/mpi.js'
import { train } from '../../src/interpreters/tensor/train.js'
import { selectBackend } from '../../src/tensor/backend.js'
import { mpiEquivalence } from './mpiEquivalence.js'

const out = process.argv[2]!
const communicator = mpiCommunicator()
if (communicator._tag === 'Left') throw new Error(communicator.left)
await Effect.runPromise(selectBackend('wasm'))
const options = { ...mpiEquivalence.options(), communicator: communicator.right, print: () => {} }
const result = await Effect.runPromise(train(mpiEquivalence.program(), options))
if (communicator.right.rank === 0) {
  const params = Object.fromEntries(Object.entries(result.params).map(([n, p]) => [n, Array.from(p.values)]))
  const { worldSize, transport } = communicator.right
  fs.writeFileSync(out, JSON.stringify({ worldSize, transport, params, evaluations: result.evaluations }))
}
