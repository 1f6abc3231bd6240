/**
 * Run under `mpirun -np N` by `test/unit/interpreters/collective/mpi.test.ts`: each rank all-gathers arrays of a
 * rank-dependent length (and empty ones) through MPI and writes what it got to `<out>.<rank>.json`.
 */
import * as fs from 'node:fs'
import { mpiCommunicator } from '../../src/interpreters/collective/mpi.js'

const communicator = mpiCommunicator()
if (communicator._tag === 'Left') throw new Error(communicator.left)
const { rank, allGather } = communicator.right
const values = Float32Array.from({ length: rank * 3 + 1 }, (_, i) => rank * 100 + i + 0.5)
const gathered = allGather(values).map((a) => Array.from(a))
const empty = allGather(new Float32Array(0)).map((a) => a.length)
fs.writeFileSync(`${process.argv[2]}.${rank}.json`, JSON.stringify({ gathered, empty }))
