/**
 * The fused softmax cross-entropy (`softmaxCrossEntropy.ts`) on the WebGPU
 * backend: one program for the loss and its gradient, where tfjs's
 * log-softmax, one-hot, product, sums and mean, and their gradients, dispatch
 * about seventeen. One workgroup: each thread takes rows (max, log-sum-exp,
 * the row's loss and its gradient row); thread 0 then adds the rows' losses in
 * order, so the sum does not depend on scheduling. That suits a batch of
 * logits (thousands of numbers); it does not spread a very large one over the GPU.
 *
 * The program writes `[loss | gradient]` into one buffer, split by buffer
 * copies. It computes in f32, where the CPU kernel uses float64 and rounds
 * once: they agree within float32 tolerance, not bit for bit.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, splitInto, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 256

const crossEntropyProgram = (n: number, c: number): WebgpuProgram => ({
  outputShape: [1 + n * c],
  shaderKey: 'loopwrightSoftmaxCrossEntropy',
  variableNames: ['logits', 'labels'],
  uniforms: 'rows : i32, classes : i32, ',
  ...flatDispatch(WORKGROUP, WORKGROUP),
  getUserCode: () => `
    var<workgroup> partial : array<f32, ${WORKGROUP}>;
    fn main(index : i32) {
      let t = i32(localId.x);
      let n = uniforms.rows;
      let c = uniforms.classes;
      var mine = 0.0;
      for (var r = t; r < n; r = r + ${WORKGROUP}) {
        let row = r * c;
        var top = logits[row];
        for (var j = 1; j < c; j = j + 1) { top = max(top, logits[row + j]); }
        var sum = 0.0;
        for (var j = 0; j < c; j = j + 1) { sum = sum + exp(logits[row + j] - top); }
        let label = labels[r];
        let inRange = label >= 0 && label < c;
        if (inRange) { mine = mine + (top + log(sum) - logits[row + label]); }
        for (var j = 0; j < c; j = j + 1) {
          let p = select(0.0, exp(logits[row + j] - top) / sum, inRange);
          result[1 + row + j] = (p - select(0.0, 1.0, j == label)) / f32(n);
        }
      }
      partial[t] = mine;
      workgroupBarrier();
      if (t == 0) {
        var total = 0.0;
        for (var k = 0; k < ${WORKGROUP}; k = k + 1) { total = total + partial[k]; }
        result[0] = total / f32(n);
      }
    }
  `,
})

/** The `LoopwrightSoftmaxCrossEntropy` kernel for WebGPU: `[loss, gradient of the mean loss]`, one program. */
export const webgpuSoftmaxCrossEntropyKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo }
  const [n, c] = logits.shape as [number, number]
  const packed = gpu.runWebGPUProgram(crossEntropyProgram(n, c), [logits, labels], 'float32', [
    { type: 'int32', data: [n] },
    { type: 'int32', data: [c] },
  ])
  return splitInto(gpu, packed, [[], [n, c]])
}
