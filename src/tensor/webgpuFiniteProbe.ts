/**
 * The non-finite probe (`finiteProbe.ts`) on the WebGPU backend: one program
 * per seven tensors, where tfjs's composition dispatches a subtraction and a
 * sum (one or two programs) per tensor and a stack. Workgroup i scans tensor i
 * with 256 threads and writes 0, or NaN when one element is NaN or ±∞.
 *
 * It tests the exponent bits rather than `x − x`: WGSL lets a compiler assume
 * that no NaN or infinity occurs, so `x − x` may be folded to 0.
 * A program binds at most eight storage buffers (WebGPU's default limit, which
 * tfjs keeps): the output and seven inputs. More tensors take more programs,
 * whose results buffer copies gather into one tensor.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, joinInto, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 256
/** Inputs per program: WebGPU's default of eight storage buffers per stage, less the output. */
const PER_PROGRAM = 7

const scan = (name: string, i: number, dtype: tf.DataType): string =>
  // Integers and booleans are always finite, but the binding must be used: the pipeline's layout keeps only those.
  dtype !== 'float32'
    ? `if (uniforms.size${i} < 0) { _ = ${name}[0]; }`
    : `if (workgroupId.x == ${i}u) {
        for (var j = i32(localId.x); j < uniforms.size${i}; j = j + ${WORKGROUP}) {
          if ((bitcast<u32>(${name}[j]) & 0x7f800000u) == 0x7f800000u) { atomicOr(&flagged, 1u); }
        }
      }`

const probeProgram = (tensors: ReadonlyArray<tf.TensorInfo>): WebgpuProgram => {
  const names = tensors.map((_, i) => `tensor${i}`)
  return {
    outputShape: [tensors.length],
    shaderKey: `loopwrightFiniteProbe${tensors.length}`,
    variableNames: names,
    uniforms: names.map((_, i) => `size${i} : i32, `).join(''),
    ...flatDispatch(tensors.length * WORKGROUP, WORKGROUP),
    getUserCode: () => `
      var<workgroup> flagged : atomic<u32>;
      fn main(index : i32) {
        if (localId.x == 0u) { atomicStore(&flagged, 0u); }
        workgroupBarrier();
        ${tensors.map((t, i) => scan(names[i]!, i, t.dtype)).join('\n')}
        workgroupBarrier();
        if (localId.x == 0u) {
          result[workgroupId.x] = select(0.0, uniforms.NAN, atomicLoad(&flagged) != 0u);
        }
      }
    `,
  }
}

/** The `LoopwrightFiniteProbe` kernel for WebGPU: one float32 per input tensor, 0 or NaN. */
export const webgpuFiniteProbeKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const tensors = Object.values(inputs) as tf.TensorInfo[]
  const sizeOf = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1)
  // Empty tensors are finite; WebGPU binds no empty buffer, so their slots scan a non-empty one for 0 elements.
  const stand = tensors.find((t) => sizeOf(t) > 0)
  if (stand === undefined) return gpu.makeTensorInfo([tensors.length], 'float32', new Float32Array(tensors.length))
  const parts: tf.TensorInfo[] = []
  for (let start = 0; start < tensors.length; start += PER_PROGRAM) {
    const chunk = tensors.slice(start, start + PER_PROGRAM)
    const sizes = chunk.map((t) => ({ type: 'int32' as const, data: [sizeOf(t)] }))
    const bound = chunk.map((t) => (sizeOf(t) === 0 ? { ...stand, dtype: t.dtype } : t))
    parts.push(gpu.runWebGPUProgram(probeProgram(bound), bound, 'float32', sizes))
  }
  return parts.length === 1 ? parts[0]! : joinInto(gpu, parts, [tensors.length])
}
