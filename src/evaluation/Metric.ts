/**
 * `Metric`: MMEngine's `BaseMetric` as a fold over plain numbers. `process`
 * folds one batch's outputs and targets, already read back from the device,
 * into the metric's accumulator; `compute` turns it into named metrics. No
 * tensors: metrics run the same on every backend.
 * @module
 */
import type * as t from 'io-ts'

/** A tensor's values read back, row-major, with its shape. */
export interface Values {
  readonly values: Float32Array | Int32Array | Uint8Array
  readonly shape: ReadonlyArray<number>
}

export interface Metric<S> {
  readonly name: string
  readonly init: S
  readonly process: (acc: S, output: Values, targets: Values) => S
  /** Metrics by name as MMEngine logs them (`accuracy/top1`). */
  readonly compute: (acc: S) => { readonly [name: string]: number }
}

/** A metric type in the registry: config `type`, argument codec, and how to build it. */
export interface MetricType<A> {
  readonly name: string
  readonly args: t.Decoder<unknown, A>
  readonly build: (args: A) => Metric<unknown>
}
