/**
 * `loopwright doctor [--backend NAME] [--json]`: what this machine offers and
 * whether the chosen backend computes what the CPU reference computes.
 * @module
 */
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { describe, selectBackend } from '../tensor/backend.js'
import type { BackendChoice } from '../tensor/backend.js'
import { compareWithCpu } from '../tensor/opConformance.js'
import type { OpResult } from '../tensor/opConformance.js'
import { version } from '../version.js'

const require = createRequire(import.meta.url)

/** The installed version of a package, or undefined. */
const installed = (name: string): string | undefined => {
  try {
    return (require(`${name}/package.json`) as { version: string }).version
  } catch {
    return undefined
  }
}

const packages = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'webgpu', '@tensorflow/tfjs-backend-webgpu']

export interface DoctorReport {
  readonly loopwright: string
  readonly node: string
  readonly packages: { readonly [name: string]: string | null }
  readonly backend: { readonly name: string; readonly reason: string; readonly skipped: ReadonlyArray<{ readonly name: string; readonly why: string }> }
  readonly checks: ReadonlyArray<OpResult>
}

export const doctor = (choice: BackendChoice): Effect.Effect<DoctorReport, import('../tensor/backend.js').BackendError> =>
  Effect.gen(function* () {
    // Make sure the CPU reference exists before selecting the backend under test.
    yield* selectBackend('cpu')
    const selected = yield* selectBackend(choice)
    const checks = yield* Effect.promise(() => compareWithCpu(tf.getBackend()))
    return {
      loopwright: version,
      node: process.version,
      packages: Object.fromEntries(packages.map((p) => [p, installed(p) ?? null])),
      backend: { name: selected.name, reason: describe(selected), skipped: selected.skipped },
      checks,
    }
  })

export const renderDoctor = (report: DoctorReport): string => {
  const lines = [
    `loopwright ${report.loopwright} on Node ${report.node}`,
    ...Object.entries(report.packages).map(([p, v]) => `  ${p.padEnd(34)} ${v ?? '(not installed)'}`),
    '',
    report.backend.reason,
    '',
    `conformance of ${report.backend.name} against cpu (forward and gradient of ${report.checks.length} ops):`,
    ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.op.padEnd(34)} max |Δ| ${Number.isNaN(c.maxAbsDiff) ? '—' : c.maxAbsDiff.toExponential(1)}${c.error === undefined ? '' : `  ${c.error}`}`),
    '',
    `${report.checks.filter((c) => c.ok).length} of ${report.checks.length} ops agree`,
  ]
  return lines.join('\n')
}
