import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { mpiRankFromEnvironment, resolveLaunch } from '../../../../src/interpreters/collective/launcher.js'

describe('resolveLaunch (--launcher, --workers)', () => {
  it('one process by default and with one worker; threads for --workers N; mpi under mpirun', () => {
    expect(resolveLaunch(undefined, undefined)).toEqual(E.right({ _tag: 'OneProcess' }))
    expect(resolveLaunch('none', '1')).toEqual(E.right({ _tag: 'OneProcess' }))
    expect(resolveLaunch(undefined, '2')).toEqual(E.right({ _tag: 'Threads', workers: 2 }))
    expect(resolveLaunch('threads', '3')).toEqual(E.right({ _tag: 'Threads', workers: 3 }))
    expect(resolveLaunch('mpi', undefined)).toEqual(E.right({ _tag: 'Mpi' }))
  })

  it('refuses what it cannot do with one line naming the flag', () => {
    const refused = expect.stringMatching(/^--launcher pytorch: PyTorch's rendezvous is not implemented; use/)
    expect(resolveLaunch('pytorch', undefined)).toEqual(E.left(refused))
    expect(resolveLaunch('slurm', undefined)._tag).toBe('Left')
    const known = '--launcher: expected one of none, threads, mpi, pytorch, slurm, got "mpl"'
    expect(resolveLaunch('mpl', undefined)).toEqual(E.left(known))
    expect(resolveLaunch(undefined, '0')).toEqual(E.left('--workers: expected a positive whole number, got "0"'))
    expect(resolveLaunch(undefined, 'two')._tag).toBe('Left')
    expect(resolveLaunch('mpi', '2')).toEqual(E.left(expect.stringContaining('mpirun -np N')))
    expect(resolveLaunch('threads', undefined)).toEqual(E.left('--launcher threads: say how many with --workers N'))
  })
})

describe('mpiRankFromEnvironment', () => {
  it('reads the rank Open MPI, PMIx or MPICH announce, and nothing outside an MPI job', () => {
    expect(mpiRankFromEnvironment({ OMPI_COMM_WORLD_RANK: '3' })).toBe(3)
    expect(mpiRankFromEnvironment({ PMIX_RANK: '0' })).toBe(0)
    expect(mpiRankFromEnvironment({ PMI_RANK: '2' })).toBe(2)
    expect(mpiRankFromEnvironment({ OMPI_COMM_WORLD_RANK: '1', PMI_RANK: '5' })).toBe(1)
    expect(mpiRankFromEnvironment({})).toBeUndefined()
    expect(mpiRankFromEnvironment({ PMI_RANK: 'x' })).toBeUndefined()
  })
})
