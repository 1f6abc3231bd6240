/**
 * TensorBoard event files (`events.out.tfevents.*`), written without
 * TensorFlow: a sequence of records, each an `Event` protocol buffer.
 *
 * Record framing (TensorFlow's `TFRecord`): the data length as a
 * little-endian uint64, a masked CRC-32C of those 8 bytes, the data, a masked
 * CRC-32C of the data. A masked CRC is `((crc >>> 15) | (crc << 17)) +
 * 0xa282ead8`, so that a CRC of bytes that hold CRCs stays well distributed.
 * The CRC-32C comes from the `crc-32` package, the protocol-buffer wire
 * format from `@bufbuild/protobuf` (docs/dependencies.md says why).
 *
 * The messages (from TensorFlow's `event.proto` and `summary.proto`, the
 * fields used here): `Event { double wall_time = 1; int64 step = 2; string
 * file_version = 3; Summary summary = 5 }`, `Summary { repeated Value value
 * = 1 }`, `Value { string tag = 1; float simple_value = 2; Image image = 4;
 * TensorProto tensor = 8; SummaryMetadata metadata = 9 }`. Text goes in as
 * TensorBoard's text plugin writes it: a one-element `DT_STRING` tensor.
 *
 * Pure: values in, bytes out, and back (the reader checks every CRC).
 * @module
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire'
import CRC32C from 'crc-32/crc32c.js'
import * as E from 'fp-ts/lib/Either.js'

/** The version string of the first event of every file. */
export const FILE_VERSION = 'brain.Event:2'

const MASK_DELTA = 0xa282ead8

/** TensorFlow's masked CRC-32C of `bytes`. */
export const maskedCrc32c = (bytes: Uint8Array): number => {
  const crc = CRC32C.buf(bytes) >>> 0
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0
}

/** One record: length, its masked CRC, the data, the data's masked CRC. */
export const frame = (data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + 4 + data.length + 4)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(data.length), true)
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true)
  out.set(data, 12)
  view.setUint32(12 + data.length, maskedCrc32c(data), true)
  return out
}

/** Split an event file into its records' data, checking both CRCs of every record. */
export const readRecords = (bytes: Uint8Array): E.Either<string, ReadonlyArray<Uint8Array>> => {
  const records: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  while (at < bytes.length) {
    if (at + 12 > bytes.length) return E.left(`record ${records.length}: truncated header at byte ${at}`)
    const length = Number(view.getBigUint64(at, true))
    if (view.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) {
      return E.left(`record ${records.length}: length CRC mismatch at byte ${at}`)
    }
    const end = at + 12 + length
    if (end + 4 > bytes.length) return E.left(`record ${records.length}: truncated data at byte ${at}`)
    const data = bytes.subarray(at + 12, end)
    if (view.getUint32(end, true) !== maskedCrc32c(data)) {
      return E.left(`record ${records.length}: data CRC mismatch at byte ${at}`)
    }
    records.push(data)
    at = end + 4
  }
  return E.right(records)
}

/** An image for an image summary: PNG bytes and what they hold. */
export interface EncodedImage {
  readonly height: number
  readonly width: number
  /** 1 grey, 3 RGB, 4 RGBA. */
  readonly colorspace: number
  readonly png: Uint8Array
}

/** One value of a summary. */
export type SummaryValue =
  | { readonly tag: string; readonly kind: 'scalar'; readonly value: number }
  | { readonly tag: string; readonly kind: 'text'; readonly text: string }
  | { readonly tag: string; readonly kind: 'image'; readonly image: EncodedImage }

/** A decoded event: its time, step, and either the file version or summary values. */
export interface Event {
  readonly wallTime: number
  readonly step: number
  readonly fileVersion?: string
  readonly values: ReadonlyArray<SummaryValue>
}

const DT_STRING = 7
const TEXT_PLUGIN = 'text'

const writeValue = (w: BinaryWriter, v: SummaryValue): void => {
  w.tag(1, WireType.LengthDelimited).fork()
  if (v.kind === 'scalar') w.tag(1, WireType.LengthDelimited).string(v.tag).tag(2, WireType.Bit32).float(v.value)
  else if (v.kind === 'image') {
    w.tag(1, WireType.LengthDelimited).string(v.tag)
    w.tag(4, WireType.LengthDelimited).fork()
    w.tag(1, WireType.Varint).int32(v.image.height).tag(2, WireType.Varint).int32(v.image.width)
    w.tag(3, WireType.Varint).int32(v.image.colorspace).tag(4, WireType.LengthDelimited).bytes(v.image.png)
    w.join()
  } else {
    // The text plugin's layout: tag `<name>/text_summary`, plugin "text", a [1]-shaped string tensor.
    w.tag(1, WireType.LengthDelimited).string(v.tag)
    w.tag(8, WireType.LengthDelimited).fork()
    w.tag(1, WireType.Varint).int32(DT_STRING)
    // tensor_shape { dim { size: 1 } }
    w.tag(2, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).fork()
    w.tag(1, WireType.Varint).int64(1).join().join()
    w.tag(8, WireType.LengthDelimited).bytes(new TextEncoder().encode(v.text))
    w.join()
    w.tag(9, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).fork()
    w.tag(1, WireType.LengthDelimited).string(TEXT_PLUGIN).join().join()
  }
  w.join()
}

/** The bytes of one `Event` message (not framed). */
export const encodeEvent = (event: Event): Uint8Array => {
  const w = new BinaryWriter()
  w.tag(1, WireType.Bit64).double(event.wallTime)
  if (event.step !== 0) w.tag(2, WireType.Varint).int64(event.step)
  if (event.fileVersion !== undefined) w.tag(3, WireType.LengthDelimited).string(event.fileVersion)
  if (event.values.length > 0) {
    w.tag(5, WireType.LengthDelimited).fork()
    for (const value of event.values) writeValue(w, value)
    w.join()
  }
  return w.finish()
}

/** Read the fields of one message: `on(field, wireType, reader)` must consume or skip the field. */
const fields = (bytes: Uint8Array, on: (field: number, wire: WireType, r: BinaryReader) => boolean): void => {
  const r = new BinaryReader(bytes)
  while (r.pos < r.len) {
    const [field, wire] = r.tag()
    if (!on(field, wire, r)) r.skip(wire, field)
  }
}

const readValue = (bytes: Uint8Array): SummaryValue | undefined => {
  let tag = ''
  let scalar: number | undefined
  let image: EncodedImage | undefined
  let text: string | undefined
  fields(bytes, (field, wire, r) => {
    if (field === 1) tag = r.string()
    else if (field === 2 && wire === WireType.Bit32) scalar = r.float()
    else if (field === 4) {
      const img: { height: number; width: number; colorspace: number; png: Uint8Array } = {
        height: 0,
        width: 0,
        colorspace: 0,
        png: new Uint8Array(),
      }
      fields(r.bytes(), (f, _w, ir) => {
        if (f === 1) img.height = ir.int32()
        else if (f === 2) img.width = ir.int32()
        else if (f === 3) img.colorspace = ir.int32()
        else if (f === 4) img.png = ir.bytes()
        else return false
        return true
      })
      image = img
    } else if (field === 8) {
      fields(r.bytes(), (f, _w, tr) => {
        if (f !== 8) return false
        text = new TextDecoder().decode(tr.bytes())
        return true
      })
    } else return false
    return true
  })
  if (scalar !== undefined) return { tag, kind: 'scalar', value: scalar }
  if (image !== undefined) return { tag, kind: 'image', image }
  if (text !== undefined) return { tag, kind: 'text', text }
  return undefined
}

/** Decode one `Event` message (the fields this module writes; others are skipped). */
export const decodeEvent = (bytes: Uint8Array): Event => {
  let wallTime = 0
  let step = 0
  let fileVersion: string | undefined
  const values: SummaryValue[] = []
  fields(bytes, (field, _wire, r) => {
    if (field === 1) wallTime = r.double()
    else if (field === 2) step = Number(r.int64())
    else if (field === 3) fileVersion = r.string()
    else if (field === 5) {
      fields(r.bytes(), (f, _w, sr) => {
        if (f !== 1) return false
        const value = readValue(sr.bytes())
        if (value !== undefined) values.push(value)
        return true
      })
    } else return false
    return true
  })
  return { wallTime, step, ...(fileVersion === undefined ? {} : { fileVersion }), values }
}

/** A framed event, ready to append to an event file. */
export const record = (event: Event): Uint8Array => frame(encodeEvent(event))
