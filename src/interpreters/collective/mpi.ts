/**
 * The communicator of a job started by `mpirun` (MMEngine's
 * `launcher='mpi'`): one process per rank, on one machine or many, through
 * Open MPI and the optional addon in `packages/loopwright-mpi` (built only
 * where MPI and a compiler are present; `npm ci` never needs either).
 *
 * The addon is looked up as the `loopwright-mpi` package, else in this
 * repository's `packages/` folder (the same path from `src/` and `dist/`),
 * or at `LOOPWRIGHT_MPI_ADDON`. When it is not built the answer is a
 * one-line error saying how to build it.
 * @module
 */
import { createRequire } from 'node:module'
import * as E from 'fp-ts/lib/Either.js'
import { inPlace } from '../../optim/transforms/meanReducer.js'
import { allGatherVia } from './allGather.js'
import type { Communicator } from './Communicator.js'

/** The addon's functions (`packages/loopwright-mpi/src/mpi.c`). */
export interface MpiBinding {
  readonly init: () => void
  readonly rank: () => number
  readonly size: () => number
  readonly allReduceMean: (values: Float32Array) => void
  readonly broadcast: (values: Float32Array, root: number) => void
  /** Every rank's values in rank order, and their lengths (absent from addons built before it existed). */
  readonly allGather?: (values: Float32Array) => readonly [Float32Array, Int32Array]
  readonly barrier: () => void
  readonly version: () => string
}

const require = createRequire(import.meta.url)

/** The addon, or why it cannot be loaded (one line). */
export const loadBinding = (): E.Either<string, MpiBinding> => {
  const places = [
    process.env['LOOPWRIGHT_MPI_ADDON'],
    'loopwright-mpi',
    '../../../packages/loopwright-mpi/index.cjs',
  ].filter((p): p is string => p !== undefined && p !== '')
  let reason = 'the MPI addon was not found'
  for (const place of places) {
    try {
      return E.right(require(place) as MpiBinding)
    } catch (e) {
      const error = e as { code?: string; message?: string }
      // A package that is not there is not news; an addon that is there but not built, or broken, is.
      if (error.code !== 'MODULE_NOT_FOUND') reason = String(error.message ?? e).split('\n')[0]!
    }
  }
  return E.left(reason)
}

/** The addon's all-gather as the communicator's: one array per rank, views of the one the addon filled. */
const gatherOf =
  (allGather: NonNullable<MpiBinding['allGather']>) =>
  (values: Float32Array): Float32Array[] => {
    const [all, lengths] = allGather(values)
    const parts: Float32Array[] = []
    let offset = 0
    for (const n of lengths) {
      parts.push(all.subarray(offset, offset + n))
      offset += n
    }
    return parts
  }

/** This process's communicator under `mpirun`: MPI is initialised on first use and finalised when Node exits. */
export const mpiCommunicator = (): E.Either<string, Communicator> =>
  E.flatMap(loadBinding(), (mpi) => {
    try {
      mpi.init()
      const worldSize = mpi.size()
      return E.right({
        rank: mpi.rank(),
        worldSize,
        allReduceMean: (values: Float32Array) => mpi.allReduceMean(values),
        allReduceMeanVia: inPlace((values) => mpi.allReduceMean(values)),
        broadcast: (values: Float32Array, root: number) => mpi.broadcast(values, root),
        allGather:
          mpi.allGather === undefined
            ? allGatherVia(mpi.rank(), worldSize, (values, root) => mpi.broadcast(values, root))
            : gatherOf(mpi.allGather),
        barrier: () => mpi.barrier(),
        transport: `MPI, ${worldSize} processes (${mpi.version()})`,
      })
    } catch (e) {
      return E.left(e instanceof Error ? e.message : String(e))
    }
  })
