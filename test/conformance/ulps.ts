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
  const histogram: number[] = []
  for (const { it, params } of gradientReplayTrajectory(scenario)) {
    for (const [name, want] of Object.entries(it.params ?? {})) {
      want.forEach((w, i) => {
        const d = ulps(params[name]![i]!, Math.fround(w))
        elements++
        if (d === 0) identical++
        histogram[d] = (histogram[d] ?? 0) + 1
        if (d > max) {
          max = d
          where = `iter ${it.iter} ${name}[${i}]`
        }
      })
    }
  }
  return { scenario: scenario.scenario, elements, identical, max, where, histogram: Array.from(histogram, (n) => n ?? 0) }
}

const files = (path: string): string[] =>
  statSync(path).isDirectory() ? readdirSync(path).sort().flatMap((e) => files(join(path, e))) : path.endsWith('.json') ? [path] : []

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  await useCpu()
  const paths = process.argv.length > 2 ? process.argv.slice(2) : [join(import.meta.dirname, '..', 'fixtures', 'conformance', 'mmengine')]
  for (const file of paths.flatMap(files)) {
    const report = measure(JSON.parse(readFileSync(file, 'utf8')) as Scenario)
    if (report === undefined) continue
    const share = ((100 * report.identical) / report.elements).toFixed(1)
    process.stdout.write(`${report.scenario}: max ${report.max} ulp (${report.where}); ${share}% of ${report.elements} elements bit-identical; by distance ${JSON.stringify(report.histogram)}\n`)
  }
}
