/**
 * What loopwright's WebGPU kernels use of tfjs-backend-webgpu 4.22, declared
 * here so that nothing imports the optional package: the program shape its
 * `runWebGPUProgram` compiles (it writes the bindings, uniforms and index
 * helpers around `getUserCode()`), and the few backend members that split one
 * program's output into several tensors.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'

/** A compute program as tfjs-backend-webgpu compiles it (the members loopwright's programs set). */
export interface WebgpuProgram {
  readonly outputShape: number[]
  /** Names the compiled pipeline in the backend's cache (with the input ranks and dtypes appended). */
  readonly shaderKey: string
  /** The inputs' names in the shader: each a read-only `array<f32>` (or `i32`) binding. */
  readonly variableNames: string[]
  /** Extra uniform fields, WGSL struct syntax, filled from `runWebGPUProgram`'s last argument in order. */
  readonly uniforms?: string
  readonly dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  readonly workgroupSize: [number, number, number]
  /** WGSL defining `fn main(index : i32)`; `result` is the output array. */
  getUserCode(): string
}

/** A uniform value of `runWebGPUProgram`'s program-defined uniforms. */
export interface Uniform {
  readonly type: 'float32' | 'int32'
  readonly data: number[]
}

interface GpuBuffer {
  readonly size: number
}

/** The members of tfjs-backend-webgpu's backend that loopwright's kernels call. */
export interface WebgpuBackend {
  runWebGPUProgram(
    program: WebgpuProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: Uniform[],
  ): tf.TensorInfo
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo
  uploadToGPU(dataId: object): void
  disposeData(dataId: object): boolean
  ensureCommandEncoderReady(): void
  endComputePassEncoder(): void
  /** Data whose buffers a recorded, unsubmitted command uses: their release waits for the submit. */
  readonly commandQueueOwnedIds: Set<object>
  readonly tensorMap: { get(dataId: object): { resource: GpuBuffer } }
  readonly commandEncoder: {
    copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void
  }
}

/** A one-dimensional dispatch of `threads` threads, as tfjs lays out an element-wise program. */
export const flatDispatch = (
  threads: number,
  workgroup: number,
): Pick<WebgpuProgram, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> => ({
  dispatchLayout: { x: [0] },
  dispatch: [Math.ceil(threads / workgroup), 1, 1],
  workgroupSize: [workgroup, 1, 1],
})

/**
 * New float32 tensors of `shapes`, filled from consecutive parts of `packed` by buffer copies recorded after the
 * program that wrote it (so in order); `packed` is freed once the queue has run them.
 */
export const splitInto = (
  gpu: WebgpuBackend,
  packed: tf.TensorInfo,
  shapes: ReadonlyArray<ReadonlyArray<number>>,
): tf.TensorInfo[] => {
  const source = gpu.tensorMap.get(packed.dataId).resource
  let offset = 0
  const parts = shapes.map((shape) => {
    const part = gpu.makeTensorInfo([...shape], 'float32')
    gpu.uploadToGPU(part.dataId)
    const bytes = 4 * shape.reduce((a, b) => a * b, 1)
    // Copies cannot be recorded inside a compute pass.
    gpu.ensureCommandEncoderReady()
    gpu.endComputePassEncoder()
    gpu.commandEncoder.copyBufferToBuffer(source, offset, gpu.tensorMap.get(part.dataId).resource, 0, bytes)
    gpu.commandQueueOwnedIds.add(part.dataId)
    offset += bytes
    return part
  })
  gpu.disposeData(packed.dataId)
  return parts
}

/** A new float32 tensor of `shape` holding `parts` back to back (buffer copies, no program); the parts are freed. */
export const joinInto = (
  gpu: WebgpuBackend,
  parts: ReadonlyArray<tf.TensorInfo>,
  shape: ReadonlyArray<number>,
): tf.TensorInfo => {
  const joined = gpu.makeTensorInfo([...shape], 'float32')
  gpu.uploadToGPU(joined.dataId)
  const target = gpu.tensorMap.get(joined.dataId).resource
  gpu.ensureCommandEncoderReady()
  gpu.endComputePassEncoder()
  let offset = 0
  for (const part of parts) {
    const bytes = 4 * part.shape.reduce((a, b) => a * b, 1)
    gpu.commandEncoder.copyBufferToBuffer(gpu.tensorMap.get(part.dataId).resource, 0, target, offset, bytes)
    offset += bytes
    gpu.disposeData(part.dataId)
  }
  gpu.commandQueueOwnedIds.add(joined.dataId)
  return joined
}
