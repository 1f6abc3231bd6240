import { describe, expect, it } from 'vitest'
import * as Log from '../../../src/dsl/AppendLog.js'
import * as Hub from '../../../src/dsl/MessageHub.js'
import * as Rng from '../../../src/dsl/Rng.js'
import * as path from '../../../src/dsl/path.js'
import * as Loop from '../../../src/dsl/Loop.js'

describe('AppendLog', () => {
  it('behaves as an immutable sequence even when old versions are appended to', () => {
    const a = Log.append(Log.append(Log.empty<number>(), 1), 2)
    const b = Log.append(a, 3)
    const c = Log.append(a, 4)
    expect([Log.toArray(a), Log.toArray(b), Log.toArray(c)]).toEqual([
      [1, 2],
      [1, 2, 3],
      [1, 2, 4],
    ])
    expect(Log.lastN(b, 2)).toEqual([2, 3])
    expect(Log.at(c, -1)).toBe(4)
    expect(Log.toArray(Log.takeLast(b, 2))).toEqual([2, 3])
  })
})

describe('MessageHub', () => {
  it('keeps histories and info immutably, in first-update order', () => {
    const h0 = Hub.empty
    const h1 = Hub.updateScalar(Hub.updateScalar(h0, 'train/lr', 0.1), 'train/loss', 2)
    const h2 = Hub.updateInfo(Hub.updateScalar(h1, 'train/lr', 0.05), 'epoch', 3)
    expect(Hub.current(h1, 'train/lr')).toBe(0.1)
    expect(Hub.current(h2, 'train/lr')).toBe(0.05)
    expect([...h2.scalars.keys()]).toEqual(['train/lr', 'train/loss'])
    expect(Hub.getInfo(Hub.popInfo(h2, 'epoch'), 'epoch')).toBeUndefined()
    expect(h0.scalars.size).toBe(0)
  })
  it('fixes the resumed flag at first use', () => {
    const hub = Hub.updateInfo(Hub.updateInfo(Hub.empty, 'k', 1, false), 'k', 2, true)
    expect(hub.resumed.get('k')).toBe(false)
  })
})

describe('Rng', () => {
  it('is a pure function of (seed, counter)', () => {
    const [a, r1] = Rng.nextUint32(Rng.make(7))
    const [b] = Rng.nextUint32(r1)
    expect(Rng.at(7, 0)).toBe(a)
    expect(Rng.at(7, 1)).toBe(b)
    expect(a).not.toBe(b)
    expect(Rng.at(8, 0)).not.toBe(a)
  })
  it('gives roughly uniform floats in [0, 1)', () => {
    let rng = Rng.make(1)
    let sum = 0
    const n = 20000
    for (let i = 0; i < n; i++) {
      const [u, next] = Rng.uniform(rng)
      expect(u >= 0 && u < 1).toBe(true)
      sum += u
      rng = next
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01)
  })
  it('splits into independent streams', () => {
    const root = Rng.make(3)
    expect(Rng.split(root, 1).seed).not.toBe(Rng.split(root, 2).seed)
  })
})

describe('path and Loop helpers', () => {
  it('joins POSIX paths', () => {
    expect(path.join('work_dirs/exp', 'epoch_1.pth')).toBe('work_dirs/exp/epoch_1.pth')
    expect(path.join('a/', '/abs', 'b')).toBe('/abs/b')
    expect(path.basename('work_dirs/exp/')).toBe('exp')
  })
  it('computes batches per epoch with and without drop_last, and Python modulo', () => {
    expect(Loop.batchesPerEpoch(60000, 128, false)).toBe(469)
    expect(Loop.batchesPerEpoch(60000, 128, true)).toBe(468)
    expect(Loop.pyMod(-7, 3)).toBe(2)
  })
})
