/**
 * Metric types by config `type`, and `buildEvaluator(cfg, path)`: a
 * `val_evaluator`/`test_evaluator` may be one metric dict, a list of them,
 * or MMEngine's `dict(type='Evaluator', metrics=[...])`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import { isDict, issuesOf } from '../schema/codec.js'
import * as Registry from '../schema/registry.js'
import { Accuracy } from './Accuracy.js'
import type { Metric, MetricType } from './Metric.js'
import { KNN } from './KNN.js'
import { MSE } from './MSE.js'

const erase = <A>(type: MetricType<A>): MetricType<unknown> => type as unknown as MetricType<unknown>

export const defaultMetricTypes: Registry.Registry<MetricType<unknown>> = Registry.make('metric', [
  erase(Accuracy),
  erase(MSE),
  erase(KNN),
])

/** An evaluator: its metrics, folded together. */
export interface Evaluator {
  readonly metrics: ReadonlyArray<Metric<unknown>>
}

export const buildEvaluator = (
  cfg: unknown,
  path: string,
  types = defaultMetricTypes,
): E.Either<ReadonlyArray<Issue>, Evaluator> => {
  if (isDict(cfg) && cfg['type'] === 'Evaluator') return buildEvaluator(cfg['metrics'], `${path}.metrics`, types)
  const list = Array.isArray(cfg) ? cfg.map((c, i) => [c, `${path}[${i}]`] as const) : [[cfg, path] as const]
  const issues: Issue[] = []
  const metrics: Metric<unknown>[] = []
  for (const [c, at] of list) {
    if (!isDict(c) || typeof c['type'] !== 'string') {
      issues.push({ path: at, message: 'expected a metric dict with a `type`' })
      continue
    }
    const resolved = Registry.resolve(types, c['type'])
    if (resolved._tag === 'Left') {
      issues.push({ path: `${at}.type`, message: resolved.left })
      continue
    }
    const { type: _type, ...rest } = c
    const args = resolved.right.args.decode(rest)
    if (args._tag === 'Left')
      issues.push(
        ...issuesOf(args.left).map((i) => ({ path: i.path === '' ? at : `${at}.${i.path}`, message: i.message })),
      )
    else metrics.push(resolved.right.build(args.right))
  }
  return issues.length > 0 ? E.left(issues) : E.right({ metrics })
}
