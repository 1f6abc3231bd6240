/**
 * How a data-parallel transport averages one flat float32 array: the
 * caller writes into the transport's buffer and reads the mean where it lies.
 * Free of tfjs, so that the one-process communicator (which the dry run
 * uses) does not load it.
 * @module
 */

/**
 * The element-wise mean over the workers of `length` values: `fill` writes this worker's values into the
 * transport's buffer, `read` receives the mean where it lies (valid only while `read` runs). Every worker makes the
 * same calls in the same order.
 */
export type MeanReducer = (
  length: number,
  fill: (target: Float32Array) => void,
  read: (mean: Float32Array) => void,
) => void

/** A {@link MeanReducer} over an in-place all-reduce, through one scratch array kept between calls. */
export const inPlace = (allReduceMean: (values: Float32Array) => void): MeanReducer => {
  let scratch = new Float32Array(0)
  return (length, fill, read) => {
    if (scratch.length < length) scratch = new Float32Array(length)
    const values = scratch.subarray(0, length)
    fill(values)
    allReduceMean(values)
    read(values)
  }
}
