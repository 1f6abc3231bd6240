/**
 * `Metric`: MMEngine's `BaseMetric` as a fold. `process` folds one batch of
 * outputs into plain numbers (reading the tensors it needs back, disposing
 * nothing it was given); `compute` turns the fold into named metrics.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'

export interface Metric<S> {
  readonly name: string
  readonly init: S
  readonly process: (acc: S, output: tf.Tensor, targets: tf.Tensor) => S
  /** Metrics by name as MMEngine logs them (`accuracy/top1`). */
  readonly compute: (acc: S) => { readonly [name: string]: number }
}

/** A metric type in the registry: config `type`, argument codec, and how to build it. */
export interface MetricType<A> {
  readonly name: string
  readonly args: t.Decoder<unknown, A>
  readonly build: (args: A) => Metric<unknown>
}
