/**
 * A data transform as loopwright runs it: on a whole batch of images at once
 * (`[b, h, w, c]` float32 grey levels 0–255, as the dataset stores them), with
 * one random stream per sample. The random parameters (crop boxes, flip
 * flags, jitter factors) are drawn per sample in plain numbers; the pixels
 * are changed by batched tensor ops, never by per-pixel loops.
 *
 * Each sample's stream is a pure function of (seed, epoch, sample index,
 * view) — see {@link sampleStream} — so a resumed run draws exactly the views
 * an uninterrupted one would.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import * as Rng from '../../dsl/Rng.js'

export interface Transform {
  /** The config `type` (MMSelfSup's name). */
  readonly type: string
  /**
   * The transformed batch, a new tensor (the input is neither kept nor
   * disposed); `streams[k]` is sample `k`'s stream for this transform.
   */
  readonly apply: (images: tf.Tensor4D, streams: ReadonlyArray<Rng.Rng>) => tf.Tensor4D
}

/** The label that separates the views' random streams from every other use of the run seed. */
const VIEWS = 0x56494557

/**
 * The random stream of one sample in one epoch: `view` −1 for the transforms
 * before `MultiView` (shared by all views, as MMSelfSup applies them once),
 * `0, 1, …` for each view.
 *
 * @example
 * ```ts
 * sampleStream(0, 3, 1234, 1)  // the stream of view 1 of sample 1234 in epoch 3
 * ```
 */
export const sampleStream = (seed: number, epoch: number, index: number, view: number): Rng.Rng =>
  Rng.split(Rng.split(Rng.split(Rng.split(Rng.make(seed), VIEWS), epoch), index), view + 1)

/** The stream of the `position`-th transform of a list, from a sample's stream. */
export const transformStream = (stream: Rng.Rng, position: number): Rng.Rng => Rng.split(stream, position)

/**
 * A reader of uniform draws in [0, 1) from one stream, in order. Local state
 * only: a transform makes one per sample and throws it away.
 */
export const draws = (
  stream: Rng.Rng,
): {
  readonly uniform: (low?: number, high?: number) => number
  readonly int: (low: number, high: number) => number
} => {
  let rng = stream
  const next = (): number => {
    const [u, after] = Rng.uniform(rng)
    rng = after
    return u
  }
  return {
    uniform: (low = 0, high = 1) => low + (high - low) * next(),
    // Python's random.randint(low, high): both ends included.
    int: (low, high) => Math.min(high, low + Math.floor(next() * (high - low + 1))),
  }
}

/**
 * Apply a list of transforms in order, transform `j` drawing from
 * `transformStream(stream, j)`; intermediates are disposed.
 */
export const compose =
  (transforms: ReadonlyArray<Transform>) =>
  (images: tf.Tensor4D, streams: ReadonlyArray<Rng.Rng>): tf.Tensor4D => {
    let current = images
    transforms.forEach((t, j) => {
      const next = t.apply(
        current,
        streams.map((s) => transformStream(s, j)),
      )
      if (current !== images && current !== next) current.dispose()
      current = next
    })
    return current === images ? (images.clone() as tf.Tensor4D) : current
  }
