/**
 * docs/hooks.md lists every registered hook type's declaration; the table is made from the declarations here,
 * so it cannot drift from them.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as Stage from '../../../src/dsl/Stage.js'
import { touchesOf } from '../../../src/hooks/HookType.js'
import { defaultHookTypes } from '../../../src/hooks/registry.js'
import * as Registry from '../../../src/schema/registry.js'

/** Arguments the table is shown for: the class defaults, or a config's where the type needs some. */
const shownWith: { readonly [type: string]: { readonly [arg: string]: unknown } } = {
  EarlyStoppingHook: { monitor: 'accuracy/top1' },
  SimSiamHook: { fix_pred_lr: true, lr: 0.05, adjust_by_epoch: false },
  SwAVHook: { batch_size: 32, frozen_layers_cfg: { prototypes: 5005 } },
  DeepClusterHook: {
    extract_dataloader: {},
    clustering: { type: 'Kmeans', k: 10 },
    unif_sampling: true,
    reweight: false,
    reweight_pow: 0.5,
  },
  ODCHook: {
    centroids_update_interval: 10,
    deal_with_small_clusters_interval: 1,
    evaluate_interval: 50,
    reweight: true,
    reweight_pow: 0.5,
  },
}

const code = (fields: ReadonlyArray<string>) => (fields.length === 0 ? '–' : fields.map((f) => `\`${f}\``).join(', '))

/** The declarations as a Markdown table: one row per hook and group of stages declaring the same. */
const declarationTable = (): string => {
  const rows = ['| hook | stages | reads | writes |', '| --- | --- | --- | --- |']
  for (const name of Registry.names(defaultHookTypes)) {
    const resolved = Registry.resolve(defaultHookTypes, name)
    if (resolved._tag === 'Left') continue
    const hookType = resolved.right
    const args = shownWith[name] ?? {}
    const decoded = hookType.args.decode(args)
    if (decoded._tag === 'Left') throw new Error(`${name}: give it arguments in shownWith`)
    const touches = touchesOf(hookType, decoded.right)
    const groups = new Map<string, Stage.Stage[]>()
    for (const stage of Stage.all) {
      const t = touches[stage]
      if (t === undefined) continue
      const key = `${code(t.reads)} | ${code(t.writes)}`
      groups.set(key, [...(groups.get(key) ?? []), stage])
    }
    const label = name
    if (groups.size === 0) rows.push(`| ${label} | – | – | – |`)
    for (const [key, stages] of groups) rows.push(`| ${label} | ${stages.map((s) => `\`${s}\``).join(', ')} | ${key} |`)
  }
  return rows.join('\n')
}

const START = '<!-- touches-table:start -->'
const END = '<!-- touches-table:end -->'

describe('docs/hooks.md', () => {
  // After changing a declaration: LOOPWRIGHT_UPDATE_DOCS=1 npx vitest run test/unit/hooks/touchesDoc.test.ts
  it("lists every hook type's declaration as the types declare it", () => {
    const doc = readFileSync('docs/hooks.md', 'utf8')
    const start = doc.indexOf(START)
    const end = doc.indexOf(END)
    expect(start, 'docs/hooks.md lacks the touches-table markers').toBeGreaterThan(-1)
    const table = declarationTable()
    if (process.env['LOOPWRIGHT_UPDATE_DOCS'] === '1')
      writeFileSync('docs/hooks.md', `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`)
    else expect(doc.slice(start + START.length, end).trim()).toBe(table)
  })
})
