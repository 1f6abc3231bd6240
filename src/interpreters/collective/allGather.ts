/**
 * An all-gather built from broadcasts, so every transport that can broadcast
 * (shared memory, MPI) gathers without a primitive of its own: each rank in
 * turn broadcasts its length, then its values. Ranks may hold different
 * lengths. It takes 2W broadcasts: the fallback of worker threads when an
 * array is longer than their slots (their own all-gather copies every slot
 * out between two barriers, `threads.ts`), and of an MPI addon built without
 * `allGather` (`MPI_Allgatherv`, `mpi.ts`).
 * @module
 */

/** Lengths travel as two float32 halves (each below 2^20, exact), so arrays up to 2^40 floats. */
const HALF = 2 ** 20

/**
 * The all-gather of rank `rank` among `worldSize` ranks over `broadcast`: every rank's values, in rank order, on
 * every rank (a copy of its own among them).
 */
export const allGatherVia =
  (rank: number, worldSize: number, broadcast: (values: Float32Array, root: number) => void) =>
  (values: Float32Array): Float32Array[] => {
    const gathered: Float32Array[] = []
    for (let root = 0; root < worldSize; root++) {
      const header =
        root === rank ? Float32Array.of(Math.floor(values.length / HALF), values.length % HALF) : new Float32Array(2)
      broadcast(header, root)
      const received = root === rank ? values.slice() : new Float32Array(header[0]! * HALF + header[1]!)
      broadcast(received, root)
      gathered.push(received)
    }
    return gathered
  }
