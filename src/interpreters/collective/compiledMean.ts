/**
 * The workers' element-wise mean compiled to WebAssembly SIMD over the
 * shared region itself (its `SharedArrayBuffer` is a shared
 * `WebAssembly.Memory`), for the data-parallel gradient average of
 * `threads.ts`.
 *
 * Each value is the same as the JavaScript loop's, bit for bit: the ranks'
 * float32 values promoted to float64, added in rank order, divided by the
 * number of workers (multiplied by its inverse where that is a power of two,
 * which is exact), rounded once to float32. Two lanes of float64 per
 * instruction, four floats per iteration, then a scalar tail. In a two-worker
 * MLP step a rank's half (135k floats) took ~270 µs in the loop and takes
 * ~70 µs here (docs/distributed.md, "What a step costs beyond one worker's").
 * @module
 */
import {
  type Code,
  type FunctionDef,
  I32,
  type Lanes,
  type Memory,
  V128,
  elementwise,
  instantiate,
  op,
  vector,
} from '../../tensor/wasmModule.js'

/** `target[i] = (Σ_r slot_r[i]) / W` for `bytes / 4` floats: byte addresses in the shared memory. */
export type CompiledMean = (target: number, first: number, bytes: number) => void

// Locals: the parameters, then the loop's two offsets, then v128 temporaries.
const TARGET = 0
const FIRST = 1
const BYTES = 2
const OFFSET = 3
const VECTOR_END = 4
const VALUES = 5
const LOW = 6
const HIGH = 7

/** Lanes 2–3 of a `v128` moved to lanes 0–1 (the other lanes do not matter). */
const highHalf = op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15])
/** Lanes 0–1 of the first vector, then lanes 0–1 of the second. */
const joinLow = op.i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23])

const address = (base: number): Code => [...op.get(base), ...op.get(OFFSET), ...op.i32Add]

/**
 * The body of one iteration for `worldSize` ranks whose slots lie `strideBytes` apart. `lanes` chooses four floats
 * (`vector`) or one (`scalar`); the arithmetic is the same float64 operations either way.
 */
const meanBody = (worldSize: number, strideBytes: number, lanes: Lanes): Code => {
  const powerOfTwo = (worldSize & (worldSize - 1)) === 0
  const factor = powerOfTwo ? 1 / worldSize : worldSize
  const ranks = Array.from({ length: worldSize }, (_, r) => r * strideBytes)
  if (lanes !== vector) {
    const loads = ranks.flatMap((at, r) => [
      ...address(FIRST),
      ...op.f32LoadAt(at),
      ...op.f64PromoteF32,
      ...(r === 0 ? [] : op.f64Add),
    ])
    const scale = [...op.f64(factor), ...(powerOfTwo ? op.f64Mul : op.f64Div)]
    return [...address(TARGET), ...loads, ...scale, ...op.f32DemoteF64, ...op.f32Store]
  }
  const accumulate = (local: number, half: Code, r: number): Code =>
    r === 0
      ? [...op.get(VALUES), ...half, ...op.f64x2PromoteLowF32x4, ...op.set(local)]
      : [...op.get(local), ...op.get(VALUES), ...half, ...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.set(local)]
  const sums = ranks.flatMap((at, r) => [
    ...address(FIRST),
    ...op.v128LoadAt(at),
    ...op.set(VALUES),
    ...accumulate(LOW, [], r),
    ...accumulate(HIGH, [...op.get(VALUES), ...highHalf], r),
  ])
  const scaled = (local: number): Code => [
    ...op.get(local),
    ...op.f64(factor),
    ...op.f64x2Splat,
    ...(powerOfTwo ? op.f64x2Mul : op.f64x2Div),
    ...op.f32x4DemoteF64x2Zero,
  ]
  return [...sums, ...address(TARGET), ...scaled(LOW), ...scaled(HIGH), ...joinLow, ...op.v128Store]
}

/**
 * The mean of `worldSize` slots `strideBytes` apart in the shared `memory` of `maximumPages` pages, compiled for
 * that world size and stride.
 */
export const compileMean = (
  memory: Memory,
  maximumPages: number,
  worldSize: number,
  strideBytes: number,
): CompiledMean => {
  const mean: FunctionDef = {
    name: 'mean',
    params: [I32, I32, I32],
    locals: [I32, I32, V128, V128, V128],
    body: elementwise(BYTES, OFFSET, VECTOR_END, (lanes) => meanBody(worldSize, strideBytes, lanes)),
  }
  return instantiate(memory, [mean], { shared: true, maximumPages }).mean as CompiledMean
}
