import { describe, expect, it } from 'vitest'
import { withTensors } from '../../../src/optim/OptimState.js'
import type { OptimState, WrapperSlot } from '../../../src/optim/OptimState.js'

const groups = { real: [], base: undefined } as unknown as WrapperSlot['groups']
const slot = (tensors: unknown): WrapperSlot => ({ groups, schedulers: [], tensors })

describe('withTensors', () => {
  const two = (g: string, d: string): OptimState => ({
    _tag: 'OptimState',
    slots: [
      { name: 'generator', slot: slot(g) },
      { name: 'discriminator', slot: slot(d) },
    ],
  })
  const optim = two('g0', 'd0')
  it("replaces one wrapper's tensors and keeps everything else", () => {
    expect(withTensors(optim, 'g1')).toEqual(two('g1', 'd0'))
    expect(withTensors(optim, 'd1', 1).slots.map((s) => s.slot.tensors)).toEqual(['g0', 'd1'])
  })
  it('does not touch the state it was given', () => {
    withTensors(optim, 'g1')
    expect(optim.slots[0]!.slot.tensors).toBe('g0')
  })
})
