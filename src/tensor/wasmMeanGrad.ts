/**
 * `Mean`'s gradient (`meanGrad.ts`) on WASM: one compiled pass over tfjs's heap that writes, for each of the
 * `outer` blocks, the block's row of `inner` values of `dy`, each divided by `reduced` (one float32 division, as
 * tfjs's `RealDiv`), `reduced` times: four values at a time while four remain, then one by one.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import {
  backendMemory,
  type Code,
  F32,
  type FunctionDef,
  I32,
  instantiate,
  type Lanes,
  op,
  scalar,
  V128,
  vector,
} from './wasmModule.js'

// spread(dy, out, outer, reduced, rowBytes, divisor); locals: block, repeat, k, vector end, source row, target row,
// the divisor in four lanes.
const P = { dy: 0, out: 1, outer: 2, reduced: 3, rowBytes: 4, divisor: 5 }
const L = { a: 6, r: 7, k: 8, vectorEnd: 9, from: 10, to: 11, divisors: 12 }

const get = op.get

/** `for (v = 0; v < bound; v++) body` */
const count = (v: number, bound: Code, body: Code): Code => [
  ...op.i32(0),
  ...op.set(v),
  ...op.block(op.loop(get(v), bound, op.i32GeU, op.brIf(1), body, get(v), op.i32(1), op.i32Add, op.set(v), op.br(0))),
]

/** One target row: `to[k] = from[k] / divisor` for k below `end`, from the current k on. */
const divideRow = (lanes: Lanes, end: number): Code => {
  const divisor = lanes === vector ? get(L.divisors) : get(P.divisor)
  return op.block(
    op.loop(
      [...get(L.k), ...get(end), ...op.i32GeU, ...op.brIf(1)],
      [...get(L.to), ...get(L.k), ...op.i32Add],
      [...get(L.from), ...get(L.k), ...op.i32Add, ...lanes.load, ...divisor, ...lanes.div, ...lanes.store],
      [...get(L.k), ...op.i32(lanes.step), ...op.i32Add, ...op.set(L.k), ...op.br(0)],
    ),
  )
}

const repeat: Code = [
  ...[...op.i32(0), ...op.set(L.k)],
  ...divideRow(vector, L.vectorEnd),
  ...divideRow(scalar, P.rowBytes),
  ...[...get(L.to), ...get(P.rowBytes), ...op.i32Add, ...op.set(L.to)],
]

const spread: FunctionDef = {
  name: 'spread',
  params: [I32, I32, I32, I32, I32, F32],
  locals: [I32, I32, I32, I32, I32, I32, V128],
  body: [
    ...[...get(P.divisor), ...op.f32x4Splat, ...op.set(L.divisors)],
    ...[...get(P.rowBytes), ...op.i32(-16), ...op.i32And, ...op.set(L.vectorEnd)],
    ...[...get(P.out), ...op.set(L.to)],
    ...count(L.a, get(P.outer), [
      ...[...get(P.dy), ...get(L.a), ...get(P.rowBytes), ...op.i32Mul, ...op.i32Add, ...op.set(L.from)],
      ...count(L.r, get(P.reduced), repeat),
    ]),
  ],
}

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

/** The `LoopwrightMeanGrad` kernel for the WASM backend. */
export const wasmMeanGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [spread])
    compiled.set(backend, fns)
  }
  const { dy } = inputs as { dy: tf.TensorInfo }
  const { shape, outer, reduced, inner } = attrs as unknown as {
    shape: number[]
    outer: number
    reduced: number
    inner: number
  }
  const out = wasm.makeOutput([...shape], 'float32')
  const address = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  fns['spread']!(address(dy), address(out), outer, reduced, inner * 4, reduced)
  return out
}
