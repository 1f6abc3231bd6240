/**
 * Which fields of a scenario are checks (the contract's README: every field
 * outside the descriptive list), and the coverage guard: a field, or a
 * per-iteration key, that no replayer checked is a FAIL, never a silent pass.
 */
import type { Check, Scenario } from './scenario.js'

/** Fields to be read and never checked (the README's descriptive list). */
export const descriptiveFields: ReadonlySet<string> = new Set([
  'scenario',
  'description',
  'mmengine_version',
  'mmengine_tag',
  'mmengine_commit',
  'torch_version',
  'torch_debian_package',
  'numpy_version',
  'python_version',
  'torch_num_threads',
  'device',
  'dtype',
  'notes',
  'external_source',
  'reimplemented',
  'why_not_run',
  'amp_optim_wrapper_error_on_cpu',
  'algorithm',
  'priority_values',
  'hook_stages',
])

/** Keys of a nested record that hold prose for the reader (`summary.note`, `crosscheck.note`), never a value. */
export const proseKeys: ReadonlySet<string> = new Set(['note', 'notes', 'description'])

/** Lists of per-iteration records whose every key is a check of its own (`per_iter.loss`, …). */
const perIterLists = ['per_iter', 'resumed_per_iter'] as const

/** The record field a check is about: `grads-replay.per_iter.params` → `per_iter.params`. */
const fieldOf = (check: Check): string => check.field.replace(/^grads-replay\./, '')

/** The top-level field a check is about: `steps.scale_used` → `steps`, `val_checks[1].epoch` → `val_checks`. */
export const rootOf = (field: string): string => field.split(/[.[]/)[0]!

/**
 * FAIL checks for every field of `scenario` (and every key of its
 * per-iteration records) that none of `checks` is about.
 *
 * @example
 * ```ts
 * uncovered({ scenario: 's', invented: 1 }, [])
 * // [{ status: 'FAIL', field: 'invented', detail: 'no replay checks this field: …' }]
 * ```
 */
export const uncovered = (
  scenario: Scenario,
  checks: ReadonlyArray<Check>,
  alsoDescriptive: ReadonlySet<string> = new Set(),
): Check[] => {
  const fields = new Set(checks.map(fieldOf))
  const roots = new Set([...fields].map(rootOf))
  const out: Check[] = []
  for (const key of Object.keys(scenario)) {
    if (descriptiveFields.has(key) || alsoDescriptive.has(key) || roots.has(key)) continue
    out.push({
      status: 'FAIL',
      field: key,
      detail: 'no replay checks this field: it is not in the contract, or its scenario was not recognised',
    })
  }
  for (const list of perIterLists) {
    const entries = scenario[list]
    if (!Array.isArray(entries)) continue
    const keys = new Set(entries.flatMap((e) => (typeof e === 'object' && e !== null ? Object.keys(e) : [])))
    for (const key of keys) {
      if (!fields.has(`${list}.${key}`))
        out.push({ status: 'FAIL', field: `${list}.${key}`, detail: 'no replay checks this per-iteration key' })
    }
  }
  return out
}
