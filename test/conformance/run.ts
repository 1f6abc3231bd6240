/**
 * `npm run conformance -- PATH...`: replay reference scenarios (files or
 * folders of JSON files; the project's fixtures when no path is given), print
 * one line per check and a closing count, exit non-zero on any failure.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { useCpu } from '../../src/tensor/cpu.js'
import { replay } from './replay.js'
import { finalParamsOfRun } from './runReplay.js'
import type { ReplayContext } from './runReplay.js'
import type { Scenario } from './scenario.js'
import * as E from 'fp-ts/lib/Either.js'

const defaultPaths = [join(import.meta.dirname, '..', 'fixtures', 'conformance')]

const scenarioFiles = (path: string): string[] =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .flatMap((entry) => scenarioFiles(join(path, entry)))
    : path.endsWith('.json')
      ? [path]
      : []

/** Replay every scenario under `paths`; returns the lines to print and the counts. */
export const runConformance = async (
  paths: ReadonlyArray<string>,
): Promise<{
  readonly lines: string[]
  readonly passed: number
  readonly failed: number
  readonly skipped: number
}> => {
  await useCpu()
  const lines: string[] = []
  let passed = 0
  let failed = 0
  let skipped = 0
  const loaded: Array<{ readonly file: string; readonly scenario: Scenario }> = []
  for (const file of (paths.length === 0 ? defaultPaths : paths).flatMap(scenarioFiles)) {
    try {
      loaded.push({ file, scenario: JSON.parse(readFileSync(file, 'utf8')) as Scenario })
    } catch (e) {
      lines.push(`FAIL ${basename(file)} file not a readable scenario: ${(e as Error).message}`)
      failed++
    }
  }
  // `equivalence_vs_<name>` compares with another scenario of the same replay, run once.
  const runs = new Map<string, ReturnType<ReplayContext['finalParamsOf']>>()
  const context: ReplayContext = {
    finalParamsOf: (name) => {
      const other = loaded.find((l) => l.scenario.scenario === name)?.scenario
      if (other === undefined)
        return Promise.resolve(E.left(`scenario ${name} is not among those replayed: give its file too`))
      if (!runs.has(name)) runs.set(name, finalParamsOfRun(other))
      return runs.get(name)!
    },
  }
  for (const { file, scenario } of loaded) {
    const name = scenario.scenario ?? basename(file, '.json')
    for (const check of await replay(scenario, context)) {
      lines.push(`${check.status} ${name} ${check.field}${check.detail === '' ? '' : ` ${check.detail}`}`)
      if (check.status === 'PASS') passed++
      else if (check.status === 'FAIL') failed++
      else skipped++
    }
  }
  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`)
  return { lines, passed, failed, skipped }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  const result = await runConformance(process.argv.slice(2))
  process.stdout.write(`${result.lines.join('\n')}\n`)
  process.exitCode = result.failed > 0 ? 1 : 0
}
