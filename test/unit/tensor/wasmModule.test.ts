import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  elementwise,
  encode,
  F32,
  I32,
  instantiate,
  type Lanes,
  op,
  V128,
  type ValType,
} from '../../../src/tensor/wasmModule.js'

// The project's TypeScript libraries do not declare WebAssembly.
const WebAssembly = (
  globalThis as unknown as {
    readonly WebAssembly: {
      validate(bytes: Uint8Array): boolean
      Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer }
    }
  }
).WebAssembly

// axpb(x, y, bytes): y = x·a + b over float32 arrays at byte addresses x and y; locals: offset, vector end.
const axpb = (a: number, b: number) => ({
  name: 'axpb',
  params: [I32, I32, I32] as const,
  locals: [I32, I32] as const,
  body: elementwise(2, 3, 4, (l: Lanes) => [
    ...[...op.get(1), ...op.get(3), ...op.i32Add],
    ...[...op.get(0), ...op.get(3), ...op.i32Add, ...l.load, ...l.constant(a), ...l.mul, ...l.constant(b), ...l.add],
    ...l.store,
  ]),
})

describe('the WebAssembly encoder', () => {
  it('emits a module the engine validates, with SIMD and scalar locals', () => {
    const bytes = encode([{ ...axpb(2, 1), locals: [I32, I32, V128, F32] }])
    expect(WebAssembly.validate(bytes)).toBe(true)
  })

  it('computes over an imported memory, four floats at a time and the rest one by one, as float32', () => {
    const memory = new WebAssembly.Memory({ initial: 1 })
    const { axpb: run } = instantiate(memory, [axpb(1 / 3, 0.1)])
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 37 }), (xs) => {
        const heap = new Float32Array(memory.buffer)
        heap.set(xs, 0)
        heap.fill(-7, 64, 64 + xs.length + 4)
        run!(0, 256, xs.length * 4)
        const f = Math.fround
        const expected = xs.map((x) => f(f(x * f(1 / 3)) + f(0.1)))
        expect(Array.from(heap.subarray(64, 64 + xs.length))).toEqual(expected)
        // Nothing written past the end.
        expect(heap[64 + xs.length]).toBe(-7)
      }),
    )
  })

  it('encodes locals and constants past one LEB128 byte', () => {
    const many = Array.from({ length: 200 }, (): ValType => I32)
    const body = [...op.i32(-100000), ...op.set(150), ...op.i32(300), ...op.set(199)]
    expect(WebAssembly.validate(encode([{ name: 'f', params: [], locals: many, body }]))).toBe(true)
  })
})
