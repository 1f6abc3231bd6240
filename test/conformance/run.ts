/**
 * `npm run conformance -- PATH...`: replay reference scenarios (files or
 * folders of JSON files; the project's fixtures when no path is given), print
 * one line per check and a closing count, exit non-zero on any failure.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { useCpu } from '../../src/tensor/cpu.js'
import { isComponentScenario, replayComponent } from './mmselfsup.js'
import { replay } from './replay.js'
import type { Scenario } from './scenario.js'

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
export const runConformance = async (paths: ReadonlyArray<string>): Promise<{ readonly lines: string[]; readonly passed: number; readonly failed: number; readonly skipped: number }> => {
  await useCpu()
  const lines: string[] = []
  let passed = 0
  let failed = 0
  let skipped = 0
  for (const file of (paths.length === 0 ? defaultPaths : paths).flatMap(scenarioFiles)) {
    let scenario: Scenario
    try {
      scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario
    } catch (e) {
      lines.push(`FAIL ${basename(file)} file not a readable scenario: ${(e as Error).message}`)
      failed++
      continue
    }
    const name = scenario.scenario ?? basename(file, '.json')
    for (const check of isComponentScenario(scenario) ? await replayComponent(scenario) : await replay(scenario)) {
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
