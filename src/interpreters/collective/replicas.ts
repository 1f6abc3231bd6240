/**
 * {@link Replicas} over a {@link Communicator}: a tensor is read back, all-gathered as float32 values and built
 * again. Every replica assembles the same arrays in the same order, so every replica gets the same bits.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Replicas } from '../../tensor/Replicas.js'
import type { Communicator } from './Communicator.js'
import { concatFloats } from './concatFloats.js'

const asFloats = (x: tf.Tensor): Float32Array => {
  if (x.dtype !== 'float32' && x.dtype !== 'int32')
    throw new Error(`a cross-replica gather takes float32 or int32 tensors, got ${x.dtype}`)
  const values = x.dataSync()
  return values instanceof Float32Array ? values : Float32Array.from(values)
}

const gathered = (communicator: Communicator, x: tf.Tensor): Float32Array[] => communicator.allGather(asFloats(x))

/** The replicas of `communicator`'s data-parallel run, for the train step's losses. */
export const replicasOf = (communicator: Communicator): Replicas => ({
  rank: communicator.rank,
  worldSize: communicator.worldSize,
  allGather: (x) => {
    const parts = gathered(communicator, x)
    const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1)
    const values = concatFloats(parts)
    const total = values.length
    const shape = [rowSize === 0 ? 0 : total / rowSize, ...x.shape.slice(1)]
    return x.dtype === 'int32' ? tf.tensor(Int32Array.from(values), shape, 'int32') : tf.tensor(values, shape)
  },
  allReduceSum: (x) => {
    const parts = gathered(communicator, x)
    const sum = new Float64Array(parts[0]!.length)
    for (const p of parts) {
      if (p.length !== sum.length)
        throw new Error(`all-reduce: replicas hold ${sum.length} and ${p.length} values; shapes must agree`)
      for (let i = 0; i < p.length; i++) sum[i]! += p[i]!
    }
    return x.dtype === 'int32'
      ? tf.tensor(Int32Array.from(sum), x.shape, 'int32')
      : tf.tensor(Float32Array.from(sum), x.shape)
  },
})
