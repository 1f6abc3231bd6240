import { describe, expect, it } from 'vitest'
import { displayNumber, displayValue } from '../../../src/cli/numbers.js'

describe('plan numbers', () => {
  it('round to four significant digits, with a short exponent for small values', () => {
    expect(displayNumber(0.000003570125000000001)).toBe('3.57e-6')
    expect(displayNumber(0.0000123456)).toBe('1.235e-5')
    expect(displayNumber(2.9999999e-2)).toBe('0.03')
    expect(displayNumber(3.57e-6)).toBe('3.57e-6')
    expect(displayNumber(0.1 + 0.2)).toBe('0.3')
    expect(displayNumber(0.0005)).toBe('0.0005')
    expect(displayNumber(1281167)).toBe('1281167')
    expect(displayNumber(-2.5e-7)).toBe('-2.5e-7')
    expect(displayValue([0.9, 0.999])).toBe('(0.9, 0.999)')
  })
})
