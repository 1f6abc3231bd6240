import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import fc from 'fast-check'
import type * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { useCpu } from '../../../src/tensor/cpu.js'
import * as ST from '../../../src/tensor/safetensors.js'

beforeAll(useCpu)

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))
const u64le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0]

const right = <A>(r: E.Either<ST.SafetensorsError, A>): A => {
  if (r._tag === 'Left') throw new Error(`expected success, got: ${r.left.message}`)
  return r.right
}
const errorOf = (r: E.Either<ST.SafetensorsError, unknown>): string => (r._tag === 'Left' ? r.left.message : 'no error')

/**
 * A file assembled by hand from the public format description: size, JSON header padded with spaces, little-endian
 * data.
 */
const fileOf = (header: string, data: number[]): Uint8Array => {
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8)
  return Uint8Array.from([...u64le(padded.length), ...ascii(padded), ...data])
}

describe('safetensors format', () => {
  it(
    'writes byte for byte what the reference implementation writes (its ' +
      'serialisation test vector: attn.0, F32 [1, 2, 3])',
    () => {
      // The 96 bytes the reference serializer produces for 0, 1, …, 5 as F32 [1, 2, 3] named "attn.0":
      // a 64-byte header (no padding needed), then the six floats little-endian.
      const expected = Uint8Array.from([
        ...u64le(64),
        ...ascii('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'),
        ...[0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64],
      ])
      const out = ST.encode({
        'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) },
      })
      expect(out).toEqual(expected)
      const back = right(ST.decode(expected))
      expect(back.tensors['attn.0']).toEqual({
        dtype: 'F32',
        shape: [1, 2, 3],
        data: Float32Array.from([0, 1, 2, 3, 4, 5]),
      })
    },
  )

  it(
    'pads the header with spaces to a multiple of 8 and reads a hand-built file with ' + 'metadata and mixed dtypes',
    () => {
      const padded = ST.encode({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array(6) } })
      expect(Array.from(padded.subarray(0, 8))).toEqual(u64le(72)) // 65 bytes of JSON + 7 spaces
      expect(new TextDecoder().decode(padded.subarray(8, 80))).toBe(
        `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${' '.repeat(7)}`,
      )

      const header =
        '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0' +
        ',8]},"b":{"dtype":"I32","shape":[1,1],"data_offsets":[8,12]},"c":{"dtype":"BOOL"' +
        ',"shape":[3],"data_offsets":[12,15]},"h":{"dtype":"F16","shape":[2],"data_offset' +
        's":[15,19]},"z":{"dtype":"F32","shape":[0,4],"data_offsets":[19,19]}}'
      // 1.0f, -2.0f, 7, true false true, F16 1.0 (0x3c00) and -0 (0x8000)
      const file = fileOf(header, [0, 0, 128, 63, 0, 0, 0, 192, 7, 0, 0, 0, 1, 0, 1, 0x00, 0x3c, 0x00, 0x80])
      const decoded = right(ST.decode(file))
      expect(decoded.metadata).toEqual({ format: 'pt' })
      expect(decoded.order).toEqual(['a', 'b', 'c', 'h', 'z'])
      expect(decoded.tensors['a']).toEqual({ dtype: 'F32', shape: [2], data: Float32Array.from([1, -2]) })
      expect(decoded.tensors['b']).toEqual({ dtype: 'I32', shape: [1, 1], data: Int32Array.from([7]) })
      expect(decoded.tensors['c']).toEqual({ dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) })
      expect(decoded.tensors['h']).toEqual({ dtype: 'F16', shape: [2], data: Uint16Array.from([0x3c00, 0x8000]) })
      expect(decoded.tensors['z']).toEqual({ dtype: 'F32', shape: [0, 4], data: new Float32Array(0) })
      // and writes the same tensors back to the same bytes (same order, same JSON layout)
      expect(ST.encode(decoded.tensors, decoded.metadata)).toEqual(file)
    },
  )

  it('says what is wrong with a broken file', () => {
    const good = ST.encode({ w: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) } })
    const withHeader = (header: string, data: number[] = []): Uint8Array => fileOf(header, data)
    const cases: Array<[Uint8Array, string]> = [
      [good.subarray(0, 5), 'truncated: a safetensors file starts with an 8-byte header size, file has 5 bytes'],
      [
        Uint8Array.from([...u64le(1234), ...new Array<number>(100).fill(32)]),
        'truncated: header says 1234 bytes, file has 100 after the 8-byte size',
      ],
      [good.subarray(0, good.length - 3), 'truncated: tensor "w" has data_offsets [0, 8], the data buffer has 5 bytes'],
      [withHeader('[1, 2]'), 'the header is not a JSON object (it must start with "{")'],
      [withHeader('{"w": {"dtype": "F32",'), 'the header is not valid JSON: '],
      [
        withHeader('{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [0]),
        'tensor "w": unknown dtype "F8_E4M3" (known: BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64)',
      ],
      [
        withHeader('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Array<number>(8).fill(0)),
        'tensor "w": F32 [3] needs 12 bytes, data_offsets [0, 8] hold 8',
      ],
      [
        withHeader('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
        'tensor "w": shape must be a list of integers ≥ 0, got [-1]',
      ],
      [
        withHeader('{"w":{"dtype":"F32","shape":[1],"offsets":[0,4]}}', [0, 0, 0, 0]),
        'tensor "w": unknown key "offsets" (an entry holds dtype, shape and data_offsets)',
      ],
      [
        withHeader('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', [0, 0, 0, 0]),
        'tensor "w": data_offsets [4, 0] end before they begin',
      ],
      [
        withHeader(
          '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}',
          [0, 0, 0],
        ),
        'data_offsets are not contiguous: tensor "b" begins at 2, the previous tensor ends at 1 (a gap)',
      ],
      [
        withHeader(
          '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
          [0, 0],
        ),
        'data_offsets overlap: tensor "b" begins at 1, before the previous tensor ends at 2',
      ],
      [
        withHeader('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0, 0, 0]),
        'the tensors cover 1 bytes, the data buffer has 3 (2 bytes unaccounted for)',
      ],
      [withHeader('{"__metadata__":{"epoch":3}}'), '__metadata__ "epoch": values must be strings, got 3'],
      [Uint8Array.from([...u64le(8), 0x7b, 0xff, 0xfe, 0x7d, 32, 32, 32, 32]), 'the header is not valid UTF-8'],
    ]
    for (const [bytes, message] of cases) {
      const result = ST.decode(bytes)
      expect(result._tag).toBe('Left')
      if (result._tag === 'Left') {
        expect(result.left).toBeInstanceOf(ST.SafetensorsError)
        expect(result.left._tag).toBe('SafetensorsError')
        expect(result.left.message.startsWith(message)).toBe(true)
      }
    }
  })

  it('refuses to encode entries that do not match their dtype or shape', () => {
    expect(errorOf(ST.tryEncode({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }))).toBe(
      "tensor 'w': shape [3] needs 3 F32 values, data has 2",
    )
    expect(errorOf(ST.tryEncode({ w: { dtype: 'I32', shape: [2], data: new Float32Array(2) } }))).toBe(
      "tensor 'w': I32 data must be a Int32Array, got Float32Array",
    )
    expect(errorOf(ST.tryEncode({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }))).toContain(
      "cannot be called '__metadata__'",
    )
    expect(() => ST.encode({ w: { dtype: 'F32', shape: [1], data: new Float32Array(2) } })).toThrow(ST.SafetensorsError)
  })

  it('round-trips float32 bit for bit: NaN payloads, −0, subnormals, infinities', () => {
    const entry = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1)
      return fc
        .array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n })
        .map((bits) => ({ shape, bits }))
    })
    const special = [0x7fc00001, 0xffbfffff, 0x7f800001, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000]
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__' && s !== 'special'),
          entry,
          { maxKeys: 5 },
        ),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (spec, metadata) => {
          const entries: ST.Entries = Object.fromEntries([
            ...Object.entries(spec).map(([name, { shape, bits }]): [string, ST.TensorEntry] => [
              name,
              { dtype: 'F32', shape, data: new Float32Array(Uint32Array.from(bits).buffer) },
            ]),
            [
              'special',
              { dtype: 'F32', shape: [special.length], data: new Float32Array(Uint32Array.from(special).buffer) },
            ],
          ])
          const bytes = ST.encode(entries, metadata)
          expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0)
          const back = right(ST.decode(bytes))
          expect(back.metadata).toEqual(metadata)
          expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(entries).sort())
          for (const [name, e] of Object.entries(entries)) {
            const got = back.tensors[name]!
            expect([got.dtype, got.shape]).toEqual(['F32', e.shape])
            expect(new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length)).toEqual(
              new Uint32Array(e.data.buffer, e.data.byteOffset, e.data.length),
            )
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('round-trips every dtype', () => {
    const entries: ST.Entries = {
      b: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) },
      u8: { dtype: 'U8', shape: [1], data: Uint8Array.of(255) },
      i8: { dtype: 'I8', shape: [1], data: Int8Array.of(-128) },
      i16: { dtype: 'I16', shape: [1], data: Int16Array.of(-300) },
      u16: { dtype: 'U16', shape: [1], data: Uint16Array.of(65535) },
      f16: { dtype: 'F16', shape: [1], data: Uint16Array.of(0x7e01) },
      bf16: { dtype: 'BF16', shape: [1], data: Uint16Array.of(0xff81) },
      i32: { dtype: 'I32', shape: [1], data: Int32Array.of(-2147483648) },
      u32: { dtype: 'U32', shape: [1], data: Uint32Array.of(4294967295) },
      f32: { dtype: 'F32', shape: [], data: Float32Array.of(3.5) },
      i64: { dtype: 'I64', shape: [1], data: BigInt64Array.of(-(2n ** 63n)) },
      u64: { dtype: 'U64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
      f64: { dtype: 'F64', shape: [1], data: Float64Array.of(Math.PI) },
    }
    const back = right(ST.decode(ST.encode(entries)))
    expect(back.tensors).toEqual(entries)
    expect(back.order).toEqual(Object.keys(entries))
  })
  it('keeps names such as __proto__ as plain names', () => {
    const entries: ST.Entries = Object.fromEntries([['__proto__', { dtype: 'U8', shape: [1], data: Uint8Array.of(9) }]])
    const back = right(ST.decode(ST.encode(entries, Object.fromEntries([['__proto__', 'x']]))))
    expect(Object.keys(back.tensors)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype)
    expect(Object.keys(back.metadata)).toEqual(['__proto__'])
  })
})

describe('tf trees', () => {
  it('fromTree and toTree map float32, int32 and bool both ways', () => {
    const tree = {
      w: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      n: tf.scalar(7, 'int32'),
      m: tf.tensor1d([true, false], 'bool'),
    }
    const entries = right(ST.fromTree(tree))
    expect(entries['w']).toEqual({ dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) })
    expect(entries['n']).toEqual({ dtype: 'I32', shape: [], data: Int32Array.from([7]) })
    expect(entries['m']).toEqual({ dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) })
    const { tree: back, notes } = right(ST.toTree(right(ST.decode(ST.encode(entries)))))
    expect(notes).toEqual([])
    expect(back['w']!.dtype).toBe('float32')
    expect(back['w']!.arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ])
    expect(back['n']!.dtype).toBe('int32')
    expect(back['n']!.arraySync()).toBe(7)
    expect(back['m']!.dtype).toBe('bool')
    expect(Array.from(back['m']!.dataSync())).toEqual([1, 0])
    tf.dispose([...Object.values(tree), ...Object.values(back)])
    expect(errorOf(ST.fromTree({ c: tf.complex([1], [2]) }))).toBe(
      'tensor "c": dtype complex64 has no safetensors form',
    )
  })

  it('converts F16, BF16, F64 to float32 and the other integers to int32, with notes', () => {
    const decoded = right(
      ST.decode(
        ST.encode({
          h: { dtype: 'F16', shape: [6], data: Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7c00, 0x7e00, 0x8000) },
          h2: { dtype: 'F16', shape: [1], data: Uint16Array.of(0x3555) },
          bf: { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc0a0) },
          d: { dtype: 'F64', shape: [1], data: Float64Array.of(0.1) },
          l: { dtype: 'I64', shape: [2], data: BigInt64Array.of(-5n, 2147483647n) },
          s: { dtype: 'U8', shape: [1], data: Uint8Array.of(200) },
        }),
      ),
    )
    const { tree, notes } = right(ST.toTree(decoded))
    const h = Array.from(tree['h']!.dataSync())
    expect(h.slice(0, 4)).toEqual([1, -2, 2 ** -24, Infinity])
    expect(h[4]).toBeNaN()
    expect(Object.is(h[5], -0)).toBe(true)
    expect(tree['h2']!.dataSync()[0]).toBe(0x155 * 2 ** -10 * 2 ** -2 + 2 ** -2)
    expect(Array.from(tree['bf']!.dataSync())).toEqual([1, -5])
    expect(tree['d']!.dataSync()[0]).toBe(Math.fround(0.1))
    expect([tree['l']!.dtype, ...tree['l']!.dataSync()]).toEqual(['int32', -5, 2147483647])
    expect([tree['s']!.dtype, ...tree['s']!.dataSync()]).toEqual(['int32', 200])
    expect(notes).toEqual([
      '2 F16 tensors converted: F16 → float32 (exact): h, h2',
      '1 BF16 tensor converted: BF16 → float32 (exact): bf',
      '1 F64 tensor converted: F64 → float32 (rounded): d',
      '1 I64 tensor converted: I64 → int32 (values checked to fit): l',
      '1 U8 tensor converted: U8 → int32 (exact): s',
    ])
    tf.dispose(Object.values(tree))
    const before = tf.memory().numTensors
    const tooBig = ST.toTree(
      right(
        ST.decode(
          ST.encode({
            ok: { dtype: 'F32', shape: [1], data: Float32Array.of(1) },
            big: { dtype: 'I64', shape: [1], data: BigInt64Array.of(2n ** 40n) },
          }),
        ),
      ),
    )
    expect(errorOf(tooBig)).toBe('tensor "big": I64 value 1099511627776 at index 0 does not fit in int32')
    expect(tf.memory().numTensors).toBe(before)
  })

  it('reads and writes files as Effects, with the path in the message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwright-st-'))
    try {
      const file = path.join(dir, 'w.safetensors')
      await Effect.runPromise(
        ST.write(file, { w: { dtype: 'F32', shape: [1], data: Float32Array.of(2) } }, { format: 'pt' }),
      )
      const back = await Effect.runPromise(ST.read(file))
      expect(back.metadata).toEqual({ format: 'pt' })
      fs.writeFileSync(file, Uint8Array.of(1, 2, 3))
      const error = await Effect.runPromise(Effect.flip(ST.read(file)))
      expect(error.message).toBe(
        `${file}: truncated: a safetensors file starts with an 8-byte header size, file has 3 bytes`,
      )
      const missing = await Effect.runPromise(Effect.flip(ST.read(path.join(dir, 'none'))))
      expect(missing.message).toBe(`${path.join(dir, 'none')}: cannot read: no such file`)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
