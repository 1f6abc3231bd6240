import { describe, expect, it } from 'vitest'
import { withTensors } from '../../../src/optim/OptimState.js'
import type { OptimState, WrapperSlot } from '../../../src/optim/OptimState.js'

const slot = (tensors: unknown): WrapperSlot => ({ groups: { real: [], base: undefined } as unknown as WrapperSlot['groups'], schedulers: [], tensors })

describe('withTensors', () => {
  const optim: OptimState = { _tag: 'OptimState', slots: [{ name: 'generator', slot: slot('g0') }, { name: 'discriminator', slot: slot('d0') }] }
  it('replaces one wrapper\'s tensors and keeps everything else', () => {
    expect(withTensors(optim, 'g1')).toEqual({ _tag: 'OptimState', slots: [{ name: 'generator', slot: slot('g1') }, { name: 'discriminator', slot: slot('d0') }] })
    expect(withTensors(optim, 'd1', 1).slots.map((s) => s.slot.tensors)).toEqual(['g0', 'd1'])
  })
  it('does not touch the state it was given', () => {
    withTensors(optim, 'g1')
    expect(optim.slots[0]!.slot.tensors).toBe('g0')
  })
})
