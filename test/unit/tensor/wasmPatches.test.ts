import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { Effect } from 'effect'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/tensor/backend.js'
import { seededValues } from '../../../src/tensor/opConformance.js'
import { type Geometry, gatherPatches } from '../../../src/tensor/wasmPatches.js'

/** The transposed patch matrix `[fh·fw·cin, rows]` by its definition, in plain loops. */
const reference = (x: Float32Array, g: Geometry): Float32Array => {
  const out = new Float32Array(g.fh * g.fw * g.cin * g.rows)
  for (let u = 0; u < g.fh; u++)
    for (let v = 0; v < g.fw; v++)
      for (let c = 0; c < g.cin; c++) {
        const tap = (u * g.fw + v) * g.cin + c
        for (let b = 0, r = 0; b < g.n; b++)
          for (let i = 0; i < g.oh; i++)
            for (let j = 0; j < g.ow; j++, r++) {
              const row = i * g.sh + u - g.top
              const col = j * g.sw + v - g.left
              const inside = row >= 0 && row < g.h && col >= 0 && col < g.w
              out[tap * g.rows + r] = inside ? x[((b * g.h + row) * g.w + col) * g.cin + c]! : 0
            }
      }
  return out
}

const gathered = (g: Geometry): Float32Array => {
  const wasm = tf.backend() as BackendWasm
  const x = tf.tensor(seededValues(g.n * g.h * g.w * g.cin, 2), [g.n, g.h, g.w, g.cin])
  const p = tf.fill([g.fh * g.fw * g.cin, g.rows], Number.NaN)
  const at = (t: tf.Tensor) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  gatherPatches(wasm, at(x), at(p), g)
  const out = p.dataSync() as Float32Array
  const expected = reference(x.dataSync() as Float32Array, g)
  // The first index that differs (as bits: NaN where nothing was written), -1 when none: cheap to report.
  expect(out.findIndex((v, i) => !Object.is(v, expected[i]))).toBe(-1)
  tf.dispose([x, p])
  return out
}

describe('the patch gather of the convolution weight gradient', () => {
  beforeAll(async () => {
    await Effect.runPromise(selectBackend('wasm'))
  })

  it('copies every value a tap multiplies and zeros for the padding', () => {
    // 16 channels (the vector path), stride 2, padding 1: a SmallCNN layer in small.
    const g = { n: 2, h: 6, w: 5, cin: 16, oh: 3, ow: 3, sh: 2, sw: 2, fh: 3, fw: 3, top: 1, left: 1, rows: 18 }
    expect(gathered(g).some((v) => v === 0)).toBe(true)
  })

  it('images large enough to be gathered a few at a time (each round of images a separate pass)', () => {
    // 64×64×9 floats = 144 kB per image: one image per round; 48×48×5 = 45 kB: two per round, three rounds.
    gathered({ n: 3, h: 64, w: 64, cin: 9, oh: 32, ow: 32, sh: 2, sw: 2, fh: 3, fw: 3, top: 1, left: 1, rows: 3072 })
    gathered({ n: 5, h: 48, w: 48, cin: 5, oh: 48, ow: 48, sh: 1, sw: 1, fh: 3, fw: 3, top: 1, left: 1, rows: 11520 })
  })

  it('any geometry: channels, strides, filter and padding (the values compared exactly)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 7 }),
          w: fc.integer({ min: 1, max: 7 }),
          cin: fc.integer({ min: 1, max: 12 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          fh: fc.integer({ min: 1, max: 3 }),
          fw: fc.integer({ min: 1, max: 3 }),
          top: fc.integer({ min: 0, max: 2 }),
          left: fc.integer({ min: 0, max: 2 }),
        }),
        (a) => {
          const oh = Math.floor((a.h + 2 * a.top - a.fh) / a.sh) + 1
          const ow = Math.floor((a.w + 2 * a.left - a.fw) / a.sw) + 1
          fc.pre(oh > 0 && ow > 0)
          gathered({ ...a, oh, ow, rows: a.n * oh * ow })
        },
      ),
      { numRuns: 150 },
    )
  })
})
