import { describe, expect, it } from 'vitest'
import { planOptions, worldSizeOf } from '../../../src/cli/planOptions.js'

const flags = (entries: Record<string, string[]>): ReadonlyMap<string, ReadonlyArray<string>> =>
  new Map(Object.entries(entries))

describe('world size and launcher', () => {
  it('reads the environment the way MMEngine launchers do', () => {
    expect(worldSizeOf(flags({}), {})).toEqual({ _tag: 'Right', right: 1 })
    expect(worldSizeOf(flags({ launcher: ['pytorch'] }), { WORLD_SIZE: '8' })).toEqual({ _tag: 'Right', right: 8 })
    expect(worldSizeOf(flags({ launcher: ['slurm'] }), { SLURM_NTASKS: '16' })).toEqual({ _tag: 'Right', right: 16 })
    expect(worldSizeOf(flags({ launcher: ['mpi'] }), { OMPI_COMM_WORLD_SIZE: '4' })).toEqual({
      _tag: 'Right',
      right: 4,
    })
    expect(worldSizeOf(flags({ launcher: ['none'] }), { WORLD_SIZE: '8' })).toEqual({ _tag: 'Right', right: 1 })
  })

  it('lets --world-size win and names what is wrong in one line', () => {
    expect(worldSizeOf(flags({ 'world-size': ['2'], launcher: ['pytorch'] }), { WORLD_SIZE: '8' })).toEqual({
      _tag: 'Right',
      right: 2,
    })
    expect(worldSizeOf(flags({ 'world-size': ['0'] }), {})).toEqual({
      _tag: 'Left',
      left: '--world-size: expected a positive integer, got "0"',
    })
    expect(worldSizeOf(flags({ launcher: ['pytorch'] }), {})).toEqual({
      _tag: 'Left',
      left: '--launcher pytorch: WORLD_SIZE is not set; set it or pass --world-size N',
    })
    expect(worldSizeOf(flags({ launcher: ['k8s'] }), {})).toEqual({
      _tag: 'Left',
      left: '--launcher: expected one of none, pytorch, slurm, mpi, got "k8s"',
    })
  })

  it('combines packages from the environment and the flags', () => {
    const options = planOptions(flags({ 'config-package': ['mmcls=/b'] }), { LOOPWRIGHT_CONFIG_PACKAGES: 'mmcls=/a' })
    expect(options._tag === 'Right' ? [...options.right.packages] : options).toEqual([['mmcls', '/b']])
  })
})
