/** What the tensor tests of ops that pick a kernel by backend check: the kernels an op ran, and exact bits. */
import * as tf from '@tensorflow/tfjs-core'

/** The kernels tfjs's engine runs while `f` runs. */
export const kernelsDuring = <A>(f: () => A): { result: A; kernels: string[] } => {
  const engine = tf.engine() as unknown as { runKernelFunc: (p: { kernelName?: string }) => unknown }
  const original = engine.runKernelFunc
  const kernels: string[] = []
  engine.runKernelFunc = function (p) {
    if (p.kernelName !== undefined) kernels.push(p.kernelName)
    return original.call(this, p)
  }
  try {
    return { result: f(), kernels }
  } finally {
    engine.runKernelFunc = original
  }
}

/** A float tensor's values as their float32 bit patterns (so that −0 and NaN payloads count). */
export const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))
