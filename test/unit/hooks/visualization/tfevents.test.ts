import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeEvent,
  encodeEvent,
  frame,
  maskedCrc32c,
  readRecords,
  record,
} from '../../../../src/hooks/visualization/tfevents.js'
import type { Event } from '../../../../src/hooks/visualization/tfevents.js'

const records = (bytes: Uint8Array) => {
  const r = readRecords(bytes)
  if (E.isLeft(r)) throw new Error(r.left)
  return r.right
}

describe('TensorBoard event records', () => {
  it('masks CRC-32C as TensorFlow does (known values)', () => {
    // CRC-32C("123456789") = 0xe3069283 (RFC 3720 check value); masked: rotate right by 15, add 0xa282ead8.
    const crc = 0xe3069283
    expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0)
    // The empty record TensorFlow writes for zero bytes: length CRC of 8 zero bytes.
    expect(frame(new Uint8Array()).length).toBe(16)
  })

  it('frames any bytes so that the reader gets them back and every CRC checks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (datas) => {
        const bytes = new Uint8Array(datas.reduce((n, d) => n + d.length + 16, 0))
        let at = 0
        for (const d of datas) {
          bytes.set(frame(d), at)
          at += d.length + 16
        }
        expect(records(bytes).map((r) => [...r])).toEqual(datas.map((d) => [...d]))
      }),
    )
  })

  it('refuses a flipped bit in the length, the data or a CRC', () => {
    const good = record({ wallTime: 1, step: 3, values: [{ tag: 'loss', kind: 'scalar', value: 0.5 }] })
    for (const at of [0, 9, 14, good.length - 1]) {
      const bad = good.slice()
      bad[at]! ^= 1
      expect(E.isLeft(readRecords(bad))).toBe(true)
    }
    expect(readRecords(good.subarray(0, good.length - 2))).toEqual(E.left('record 0: truncated data at byte 0'))
  })

  it('encodes scalars, text and images as Event/Summary messages that decode back', () => {
    const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3])
    const events: Event[] = [
      { wallTime: 1_700_000_000.25, step: 0, fileVersion: 'brain.Event:2', values: [] },
      {
        wallTime: 1_700_000_001,
        step: 0,
        values: [{ tag: 'config/text_summary', kind: 'text', text: "lr = 0.1\nname = 'ü'" }],
      },
      {
        wallTime: 1_700_000_002,
        step: 12_345_678_901,
        values: [
          { tag: 'loss', kind: 'scalar', value: 0.25 },
          { tag: 'lr', kind: 'scalar', value: 2 },
        ],
      },
      {
        wallTime: 1_700_000_003,
        step: 7,
        values: [{ tag: 'sample', kind: 'image', image: { height: 2, width: 3, colorspace: 1, png } }],
      },
    ]
    for (const event of events) expect(decodeEvent(encodeEvent(event))).toEqual(event)
  })

  it('writes the exact bytes protobuf defines for a scalar event', () => {
    const bytes = encodeEvent({ wallTime: 0.5, step: 2, values: [{ tag: 'a', kind: 'scalar', value: 1 }] })
    // field 1 double 0.5 | field 2 varint 2 | field 5 len 10 { field 1 len 8 { field 1 "a", field 2 float 1.0 } }
    const expected = [
      0x09, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0x10, 0x02, 0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0x80, 0x3f,
    ]
    expect([...bytes]).toEqual(expected)
  })
})
