/**
 * `Dataset`: samples held in memory as flat typed arrays, the form the
 * tensor interpreter gathers batches from. MNIST (60 000 × 28 × 28 bytes)
 * fits comfortably; so do the conformance scenarios' arrays.
 *
 * Inputs keep their stored type (`Uint8Array` pixels stay bytes until a
 * batch is gathered), so normalisation happens per batch in the model's
 * data preprocessor, as in MMEngine.
 * @module
 */
import type { Json } from '../dsl/MessageHub.js'
import type { Pipeline } from './transforms/registry.js'

/** Class labels (`Accuracy`) or regression targets (`MSE`). */
export type Targets =
  | { readonly kind: 'class'; readonly labels: Int32Array; readonly numClasses: number }
  | { readonly kind: 'values'; readonly values: Float32Array; readonly shape: ReadonlyArray<number> }

export interface Dataset {
  /** A name for messages: `'MNIST (train)'`. */
  readonly name: string
  readonly length: number
  /** The shape of one input sample (NHWC for images: `[28, 28, 1]`). */
  readonly sampleShape: ReadonlyArray<number>
  /** Every sample's input, flattened and concatenated: `length × prod(sampleShape)` values. */
  readonly inputs: Uint8Array | Float32Array
  readonly targets: Targets
  /** MMEngine's `metainfo` (e.g. `classes`), when the dataset has one. */
  readonly metainfo?: Json
  /**
   * The config's `pipeline` (random crops, flips, colour changes, views), when it changes the images; the loader runs
   * it per batch.
   */
  readonly pipeline?: Pipeline
}
