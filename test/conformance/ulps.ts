/**
 * `npx tsx test/conformance/ulps.ts [PATH...]`: how many float32 ulps
 * loopwright's optimizers are from MMEngine's recorded parameters. The
 * recorded gradients are replayed through the optimizer layer (as the
 * `grads-replay.*` checks do) and every parameter element after every
 * iteration is compared with the record; the report gives, per scenario,
 * the largest distance, the share of elements that are bit-identical, and
 * the iteration and element where the largest distance occurs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { useCpu } from '../../src/tensor/cpu.js'
import { gradientReplayTrajectory } from './replay.js'
import type { Scenario } from './scenario.js'

const bits = new DataView(new ArrayBuffer(4))
/** The position of a float32 on the number line (ordered integers, so that adjacent floats differ by 1). */
const ordinal = (x: number): number => {
  bits.setFloat32(0, x)
  const i = bits.getInt32(0)
  return i < 0 ? -(i & 0x7fffffff) : i
}

/** Distance in float32 ulps between two values already representable in float32. */
export const ulps = (a: number, b: number): number => Math.abs(ordinal(a) - ordinal(b))

export interface UlpReport {
  readonly scenario: string
  readonly elements: number
  readonly identical: number
  readonly max: number
  readonly where: string
  /**
   * The largest distance among elements of magnitude ≥ 0.01 (near zero, cancellation magnifies a 1-ulp step
   * difference).
   */
  readonly maxAwayFromZero: number
  /** The largest absolute difference. */
  readonly maxAbs: number
  /** How many elements are 0, 1, 2, … ulps away. */
  readonly histogram: ReadonlyArray<number>
}

/** The ulp distances of one scenario with recorded gradients, or undefined for a scenario without them. */
export const measure = (scenario: Scenario): UlpReport | undefined => {
  if (!(scenario.per_iter ?? []).some((p) => p.grads !== undefined)) return undefined
  let elements = 0
  let identical = 0
  let max = 0
  let where = ''
  let maxAwayFromZero = 0
  let maxAbs = 0
  const histogram: number[] = []
  for (const { it, params } of gradientReplayTrajectory(scenario)) {
    for (const [name, want] of Object.entries(it.params ?? {})) {
      want.forEach((w, i) => {
        const d = ulps(params[name]![i]!, Math.fround(w))
        elements++
        if (d === 0) identical++
        if (Math.abs(w) >= 0.01) maxAwayFromZero = Math.max(maxAwayFromZero, d)
        maxAbs = Math.max(maxAbs, Math.abs(params[name]![i]! - w))
        histogram[d] = (histogram[d] ?? 0) + 1
        if (d > max) {
          max = d
          where = `iter ${it.iter} ${name}[${i}]`
        }
      })
    }
  }
  return {
    scenario: scenario.scenario,
    elements,
    identical,
    max,
    where,
    maxAwayFromZero,
    maxAbs,
    histogram: Array.from(histogram, (n) => n ?? 0),
  }
}

/**
 * An independent float32 SGD (torch 1.13's single-tensor step, L2 decay and
 * momentum) over the recorded gradients, with ATen's add-with-alpha either
 * fused (`fma(b, α, a)`: the float32 product is exact in float64, so one
 * float64 add rounded to float32 emulates it, but for rare double roundings)
 * or as a separate multiply and add, as tfjs computes it. The largest ulp
 * distance from the recorded parameters, at every iteration, for each form.
 */
export const sgdReferenceUlps = (scenario: Scenario): { readonly fused: number; readonly separate: number } => {
  const f = Math.fround
  const opt = (
    scenario.config['optim_wrapper'] as {
      readonly optimizer: { readonly weight_decay?: number; readonly momentum?: number }
    }
  ).optimizer
  const run = (fused: boolean): number => {
    const addAlpha = (a: number, b: number, alpha: number) => (fused ? f(b * alpha + a) : f(a + f(b * alpha)))
    let params: { [name: string]: number[] } = Object.fromEntries(
      Object.entries(scenario.model ?? {}).map(([n, r]) => [n, r.values.map(f)]),
    )
    const buffers: { [name: string]: number[] } = {}
    let max = 0
    for (const it of scenario.per_iter ?? []) {
      if (it.grads !== undefined) {
        const step = f(-it.lr![0]!)
        params = Object.fromEntries(
          Object.entries(params).map(([n, p]) => {
            const d = it.grads![n]!.map((g, i) => addAlpha(f(g), p[i]!, f(opt.weight_decay ?? 0)))
            const prev = buffers[n]
            buffers[n] = prev === undefined ? d : prev.map((b, i) => f(f(b * f(opt.momentum ?? 0)) + d[i]!))
            return [n, p.map((x, i) => addAlpha(x, buffers[n]![i]!, step))]
          }),
        )
      }
      for (const [n, want] of Object.entries(it.params ?? {}))
        want.forEach((w, i) => {
          max = Math.max(max, ulps(params[n]![i]!, f(w)))
        })
    }
    return max
  }
  return { fused: run(true), separate: run(false) }
}

const sum = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0)

const files = (path: string): string[] =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .flatMap((e) => files(join(path, e)))
    : path.endsWith('.json')
      ? [path]
      : []

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  await useCpu()
  const paths =
    process.argv.length > 2
      ? process.argv.slice(2)
      : [join(import.meta.dirname, '..', 'fixtures', 'conformance', 'mmengine')]
  for (const file of paths.flatMap(files)) {
    const report = measure(JSON.parse(readFileSync(file, 'utf8')) as Scenario)
    if (report === undefined) continue
    const share = ((100 * report.identical) / report.elements).toFixed(1)
    const tail =
      report.histogram.length > 8
        ? `${JSON.stringify(report.histogram.slice(0, 8)).slice(0, -1)}, … ${sum(report.histogram.slice(8))} more]`
        : JSON.stringify(report.histogram)
    const scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario
    const optimizer = (scenario.config['optim_wrapper'] as { readonly optimizer?: { readonly type?: string } })
      .optimizer?.type
    const sgd = optimizer === 'SGD' ? sgdReferenceUlps(scenario) : undefined
    process.stdout.write(
      `${report.scenario}: max ${report.max} ulp (${report.where}), ${report.maxAwayFromZero} ulp where |x| ≥ ` +
        `0.01, max |Δ| ${report.maxAbs.toExponential(1)}; ` +
        `${share}% of ${report.elements} elements bit-identical; elements at 0, 1, 2, … ulp: ${tail}` +
        (sgd === undefined
          ? '\n'
          : `; reference SGD with a fused add: ${sgd.fused} ulp, unfused: ${sgd.separate} ulp\n`),
    )
  }
}
