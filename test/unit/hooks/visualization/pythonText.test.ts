import { describe, expect, it } from 'vitest'
import { pythonConfigText, pythonRepr } from '../../../../src/hooks/visualization/pythonText.js'

describe('the config as Python', () => {
  it('writes Python literals: None, True/False, quoted strings, dict(...) for identifier keys', () => {
    expect(pythonRepr(null)).toBe('None')
    expect(pythonRepr([true, false, 1.5, -2])).toBe('[True, False, 1.5, -2]')
    expect(pythonRepr("it's\n\\")).toBe("'it\\'s\\n\\\\'")
    expect(pythonRepr({ type: 'SGD', lr: 0.1 })).toBe("dict(type='SGD', lr=0.1)")
    // Keys that are not identifiers (or are keywords) need a dict literal.
    expect(pythonRepr({ 'backbone.fc': { lr_mult: 0.1 } })).toBe("{'backbone.fc': dict(lr_mult=0.1)}")
    expect(pythonRepr({ lambda: 1 })).toBe("{'lambda': 1}")
    expect(pythonRepr(Number.NaN)).toBe("float('nan')")
    expect(pythonRepr(-Infinity)).toBe("-float('inf')")
  })

  it('turns a JSON config into assignments and leaves other text alone', () => {
    expect(pythonConfigText('{"train_cfg": {"max_epochs": 2}, "resume": false}')).toBe(
      'train_cfg = dict(max_epochs=2)\nresume = False\n',
    )
    expect(pythonConfigText('model = dict(type="MLP")')).toBe('model = dict(type="MLP")')
    expect(pythonConfigText('[1, 2]')).toBe('[1, 2]')
    expect(pythonConfigText('')).toBe('')
  })
})
