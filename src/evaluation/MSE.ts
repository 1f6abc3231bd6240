/**
 * `MSE`: the mean squared error over every predicted element of the
 * evaluation set, logged as `mse` (accumulated in float64, so the result
 * does not depend on the batch size).
 *
 * @example
 * ```ts
 * // val_evaluator = dict(type='MSE')  → { mse: 0.0123 }
 * ```
 * @module
 */
import type * as t from 'io-ts'
import { struct } from '../schema/codec.js'
import type { MetricType } from './Metric.js'

const args = struct('MSE arguments (it takes none)', {})

interface Sums {
  readonly squared: number
  readonly count: number
}

export const MSE: MetricType<t.TypeOf<typeof args>> = {
  name: 'MSE',
  args,
  build: () => ({
    name: 'MSE',
    init: { squared: 0, count: 0 } satisfies Sums,
    process: (acc, output, targets) => {
      const sums = acc as Sums
      if (targets.values.length !== output.values.length)
        throw new Error(
          `MSE: the model predicts ${output.values.length} values per batch, the targets have ${targets.values.length}`,
        )
      let squared = sums.squared
      for (let i = 0; i < output.values.length; i++) {
        const d = output.values[i]! - targets.values[i]!
        squared += d * d
      }
      return { squared, count: sums.count + output.values.length } satisfies Sums
    },
    compute: (acc) => {
      const sums = acc as Sums
      return { mse: sums.count === 0 ? 0 : sums.squared / sums.count }
    },
  }),
}
