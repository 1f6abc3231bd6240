/**
 * Drawing one classified image as a PNG, for `NaiveVisualizationHook`: the
 * image upscaled with nearest-neighbour pixels, and under it a strip with the
 * ground-truth label (`GT 7`, white) and the predicted class (`PRED 7`, green
 * when it matches the label, red when not), written in a 3×5 bitmap font.
 *
 * Pure: pixels in, PNG bytes out (encoded by `pngjs`); nothing here touches
 * files or tensors.
 *
 * @example
 * ```ts
 * import { renderSample } from './render.js'
 * const png = renderSample({ height: 28, width: 28, channels: 1, pixels: new Float32Array(784) }, { gt: 7, pred: 3 })
 * png.subarray(1, 4) // 'PNG'
 * ```
 * @module
 */
import { PNG } from 'pngjs'

/** One image to draw: row-major `[height, width, channels]`, values 0–255 (or 0–1, which are scaled up). */
export interface Image {
  readonly height: number
  readonly width: number
  readonly channels: number
  readonly pixels: ArrayLike<number>
}

/** What to write under the image; an absent field is not drawn. */
export interface Caption {
  readonly gt?: number | undefined
  readonly pred?: number | undefined
}

/** 3×5 glyphs, one string of 15 cells per character, row by row. */
const glyphs: { readonly [ch: string]: string } = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  G: '111100101101111',
  T: '111010010010010',
  P: '111101111100100',
  R: '110101110101101',
  E: '111100110100111',
  D: '110101101101110',
  '-': '000000111000000',
  '?': '111001011000010',
  ' ': '000000000000000',
}

/** A colour, 0–255 per channel. */
export type Rgb = readonly [number, number, number]
const WHITE: Rgb = [255, 255, 255]
const GREEN: Rgb = [64, 220, 64]
const RED: Rgb = [240, 64, 64]
const STRIP: Rgb = [24, 24, 24]

/** Upscaling of the image (28 → 112 pixels for MNIST). */
export const IMAGE_SCALE = 4
/** Upscaling of the 3×5 font. */
export const FONT_SCALE = 2
const LINE = 5 * FONT_SCALE + 4
const PAD = 4

/** The width in pixels of `text` in the bitmap font. */
export const textWidth = (text: string): number => text.length * 4 * FONT_SCALE - FONT_SCALE

/** The caption lines and their colours. */
export const captionLines = (caption: Caption): ReadonlyArray<readonly [string, Rgb]> => [
  ...(caption.gt === undefined ? [] : [[`GT ${caption.gt}`, WHITE] as const]),
  ...(caption.pred === undefined
    ? []
    : [
        [`PRED ${caption.pred}`, caption.gt === undefined ? WHITE : caption.pred === caption.gt ? GREEN : RED] as const,
      ]),
]

/** The PNG of one image with its caption. */
export const renderSample = (image: Image, caption: Caption): Uint8Array => {
  const lines = captionLines(caption)
  const imageW = image.width * IMAGE_SCALE
  const imageH = image.height * IMAGE_SCALE
  const width = Math.max(imageW, ...lines.map(([text]) => textWidth(text) + 2 * PAD))
  const height = imageH + (lines.length === 0 ? 0 : lines.length * LINE + PAD)
  const png = new PNG({ width, height, colorType: 2, inputColorType: 6, inputHasAlpha: true })
  const data = png.data
  const put = (x: number, y: number, [r, g, b]: Rgb) => {
    const o = (y * width + x) * 4
    data[o] = r
    data[o + 1] = g
    data[o + 2] = b
    data[o + 3] = 255
  }
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) put(x, y, y < imageH ? [0, 0, 0] : STRIP)
  let peak = 0
  for (let i = 0; i < image.pixels.length; i++) peak = Math.max(peak, image.pixels[i]!)
  const gain = peak <= 1 ? 255 : 1
  const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v * gain)))
  const left = Math.floor((width - imageW) / 2)
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * image.channels
      const first = byte(image.pixels[o]!)
      const rgb: Rgb =
        image.channels >= 3 ? [first, byte(image.pixels[o + 1]!), byte(image.pixels[o + 2]!)] : [first, first, first]
      for (let dy = 0; dy < IMAGE_SCALE; dy++)
        for (let dx = 0; dx < IMAGE_SCALE; dx++) put(left + x * IMAGE_SCALE + dx, y * IMAGE_SCALE + dy, rgb)
    }
  }
  lines.forEach(([text, colour], row) => {
    const top = imageH + PAD + row * LINE
    ;[...text].forEach((ch, k) => {
      const glyph = glyphs[ch] ?? glyphs['?']!
      for (let gy = 0; gy < 5; gy++)
        for (let gx = 0; gx < 3; gx++) {
          if (glyph[gy * 3 + gx] !== '1') continue
          for (let dy = 0; dy < FONT_SCALE; dy++)
            for (let dx = 0; dx < FONT_SCALE; dx++)
              put(PAD + (k * 4 + gx) * FONT_SCALE + dx, top + gy * FONT_SCALE + dy, colour)
        }
    })
  })
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true }))
}
