/**
 * How a `loopwright train` run is spread over workers, from MMEngine's
 * vocabulary (`--launcher none|pytorch|slurm|mpi`) and loopwright's
 * `--workers N` (threads on this machine).
 *
 * - `--launcher none` (default) with `--workers 1` (default): one process.
 * - `--workers N` (N > 1), launcher `none` or `threads`: N worker threads here.
 * - `--launcher mpi`: this process is one rank of a job `mpirun` started;
 *   rank and world size come from MPI itself.
 * - `pytorch` and `slurm` need PyTorch's TCP rendezvous (`torchrun`,
 *   `srun` with `MASTER_ADDR`), which loopwright does not implement: they
 *   are refused with a pointer to `mpi` (Slurm starts MPI jobs with `srun
 *   --mpi=pmix` or `mpirun`).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'

export type Launch =
  | { readonly _tag: 'OneProcess' }
  | { readonly _tag: 'Threads'; readonly workers: number }
  | { readonly _tag: 'Mpi' }

export const launchers = ['none', 'threads', 'mpi', 'pytorch', 'slurm'] as const

/** The launch that `--launcher` and `--workers` ask for, or a one-line error naming the flag. */
export const resolveLaunch = (launcher: string | undefined, workers: string | undefined): E.Either<string, Launch> => {
  const name = launcher ?? 'none'
  if (!(launchers as ReadonlyArray<string>).includes(name)) {
    return E.left(`--launcher: expected one of ${launchers.join(', ')}, got ${JSON.stringify(name)}`)
  }
  if (workers !== undefined && !/^[1-9]\d*$/.test(workers)) {
    return E.left(`--workers: expected a positive whole number, got ${JSON.stringify(workers)}`)
  }
  const count = workers === undefined ? undefined : Number(workers)
  if (name === 'pytorch' || name === 'slurm') {
    return E.left(
      `--launcher ${name}: PyTorch's rendezvous is not implemented; ` +
        'use --launcher mpi under mpirun (or srun --mpi=pmix), or --workers N on one machine',
    )
  }
  if (name === 'mpi') {
    if (count !== undefined && count > 1) {
      return E.left('--workers: under --launcher mpi every process is one worker; set their number with mpirun -np N')
    }
    return E.right({ _tag: 'Mpi' })
  }
  if (name === 'threads' && count === undefined) return E.left('--launcher threads: say how many with --workers N')
  return count === undefined || count === 1
    ? E.right({ _tag: 'OneProcess' })
    : E.right({ _tag: 'Threads', workers: count })
}

/**
 * This process's rank as the MPI launcher announced it in the environment (Open MPI's `OMPI_COMM_WORLD_RANK`,
 * PMIx's `PMIX_RANK`, MPICH's `PMI_RANK`), before MPI itself starts; undefined outside such a job.
 *
 * @example
 * ```ts
 * mpiRankFromEnvironment({ OMPI_COMM_WORLD_RANK: '1' }) // 1
 * ```
 */
export const mpiRankFromEnvironment = (env: { readonly [name: string]: string | undefined }): number | undefined => {
  const announced = env['OMPI_COMM_WORLD_RANK'] ?? env['PMIX_RANK'] ?? env['PMI_RANK']
  return announced !== undefined && /^\d+$/.test(announced) ? Number(announced) : undefined
}
