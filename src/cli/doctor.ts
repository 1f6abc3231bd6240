/**
 * `loopwright doctor [--backend NAME] [--json]`: what this machine offers and
 * whether the chosen backend computes what the CPU reference computes. The
 * CPU backend is the reference, so when it is the one chosen there is nothing
 * to compare and no checks run.
 * @module
 */
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs-core'
import * as Effect from 'effect/Effect'
import { describe, selectBackend } from '../tensor/backend.js'
import type { BackendChoice } from '../tensor/backend.js'
import { compareWithCpu } from '../tensor/opConformance.js'
import type { OpResult } from '../tensor/opConformance.js'
import { version } from '../version.js'
import { installCommand } from './installHint.js'

const require = createRequire(import.meta.url)

/** The installed version of a package, or undefined. */
const installed = (name: string): string | undefined => {
  try {
    return (require(`${name}/package.json`) as { version: string }).version
  } catch {
    return undefined
  }
}

const packages = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-node',
  'webgpu',
  '@tensorflow/tfjs-backend-webgpu',
]

export interface DoctorReport {
  readonly loopwright: string
  readonly node: string
  readonly packages: { readonly [name: string]: string | null }
  readonly backend: {
    readonly name: string
    readonly reason: string
    readonly skipped: ReadonlyArray<{ readonly name: string; readonly why: string }>
  }
  readonly checks: ReadonlyArray<OpResult>
}

export const doctor = (
  choice: BackendChoice,
): Effect.Effect<DoctorReport, import('../tensor/backend.js').BackendError> =>
  Effect.gen(function* () {
    // Make sure the CPU reference exists before selecting the backend under test.
    yield* selectBackend('cpu')
    const selected = yield* selectBackend(choice)
    // The CPU backend is the reference: comparing it with itself would prove nothing.
    const checks = selected.name === 'cpu' ? [] : yield* Effect.promise(() => compareWithCpu(tf.getBackend()))
    return {
      loopwright: version,
      node: process.version,
      packages: Object.fromEntries(packages.map((p) => [p, installed(p) ?? null])),
      backend: { name: selected.name, reason: describe(selected), skipped: selected.skipped },
      checks,
    }
  })

/** One line per optional backend that is not installed, with the command that installs it. */
const missingHints = (report: DoctorReport): ReadonlyArray<string> => {
  const missing = (['tensorflow-gpu', 'tensorflow', 'webgpu'] as const).flatMap((backend) => {
    const command = installCommand(backend)
    const packagesOk =
      command
        ?.split(' ')
        .slice(2)
        .every((spec) => report.packages[spec.replace(/(.)@.*$/, '$1')] != null) === true
    return packagesOk || command === undefined ? [] : [`  ${backend.padEnd(15)} ${command}`]
  })
  return missing.length === 0 ? [] : ['', 'optional backends not installed here:', ...missing]
}

export const renderDoctor = (report: DoctorReport): string => {
  const lines = [
    `loopwright ${report.loopwright} on Node ${report.node}`,
    ...Object.entries(report.packages).map(([p, v]) => `  ${p.padEnd(34)} ${v ?? '(not installed)'}`),
    '',
    report.backend.reason,
    '',
    ...(report.backend.name === 'cpu'
      ? ['cpu is the reference backend: no conformance check (choose another with --backend to compare it against cpu)']
      : [
          `conformance of ${report.backend.name} against cpu (forward and gradient of ${report.checks.length} ops):`,
          ...report.checks.map(
            (c) =>
              `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.op.padEnd(34)} max |Δ| ` +
              `${Number.isNaN(c.maxAbsDiff) ? '—' : c.maxAbsDiff.toExponential(1)}` +
              `${c.error === undefined ? '' : `  ${c.error}`}`,
          ),
          '',
          `${report.checks.filter((c) => c.ok).length} of ${report.checks.length} ops agree`,
        ]),
    ...missingHints(report),
  ]
  return lines.join('\n')
}
