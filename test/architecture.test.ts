import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import { version } from '../src/version.js'
import {
  filesUnder,
  importsOf,
  layerOrder,
  rules,
  runtimePackages,
  sourceImports,
  tolerated,
  violations,
} from './support/layers.js'

describe('architecture: the layer rules of design.md §2', () => {
  it('every import under src/ keeps every rule', () => {
    expect(violations(sourceImports())).toEqual([])
  })
  it('every src/ folder has a place in the layer order', () => {
    const folders = new Set(
      filesUnder('src')
        .map((f) => f.split('/'))
        .filter((p) => p.length > 2)
        .map((p) => p[1]!),
    )
    expect([...folders].filter((f) => !(layerOrder as ReadonlyArray<string>).includes(f))).toEqual([])
  })
  // Each rule must be able to fail: feed it an import it forbids and expect one violation naming it.
  it.each(rules.flatMap((r) => r.forbidden.map((to) => [r.folder, to, r] as const)))(
    'the rule for src/%s rejects an import of %s',
    (folder, to, rule) => {
      const isFolder = layerOrder.includes(to as never)
      const specifier = to.includes('*') ? to.replace('*', 'x') : isFolder ? `../${to}/x.js` : to
      const imports = importsOf(`src/${folder}/Synthetic.ts`, `import { x } from '${specifier}'\n`)
      const broken = violations(imports, [rule])
      expect(broken).toHaveLength(1)
      expect(broken[0]).toContain(`src/${folder}/Synthetic.ts imports '${specifier}'`)
    },
  )
  it('an import of a lower layer, or a type-only import where a rule allows it, passes', () => {
    expect(violations(importsOf('src/hooks/H.ts', "import { x } from '../dsl/Hook.js'\n"))).toEqual([])
    const config = (text: string) => violations(importsOf('src/config/C.ts', text))
    expect(config("import type { HookType } from '../hooks/HookType.js'\n")).toEqual([])
    expect(config("import { registry } from '../hooks/registry.js'\n")).toHaveLength(1)
  })
  it('multi-line, re-export and dynamic imports are all seen', () => {
    const text = [
      "import {\n  a,\n  b,\n} from '../optim/a.js'",
      "export { c } from '../optim/c.js'",
      "const d = await import('../optim/d.js')",
    ].join('\n')
    expect(violations(importsOf('src/models/M.ts', text))).toHaveLength(3)
  })
  it('a tolerated exception lets through that one file and nothing else of its folder', () => {
    for (const t of tolerated) {
      const folder = t.file.split('/')[1]!
      expect(layerOrder.indexOf(t.from as never)).toBeLessThan(layerOrder.indexOf(folder as never))
      const exact = `../${t.file.split('/').slice(1).join('/').replace(/\.ts$/, '.js')}`
      expect(violations(importsOf(`src/${t.from}/X.ts`, `import { a } from '${exact}'\n`))).toEqual([])
      expect(violations(importsOf(`src/${t.from}/X.ts`, `import { a } from '../${folder}/Other.js'\n`))).toHaveLength(1)
    }
  })
})

describe('architecture: purity and hygiene', () => {
  it('src/dsl reads no clock and no process', () => {
    for (const file of filesUnder('src/dsl')) {
      const text = readFileSync(file, 'utf8')
      const clock = /Date\.now|performance\.now|new Date\(|process\./.test(text)
      expect({ file, clock }).toEqual({ file, clock: false })
    }
  })
  it('nothing in the project reads ../shared', () => {
    for (const file of [...filesUnder('src'), ...filesUnder('test')]) {
      if (file.endsWith('architecture.test.ts')) continue
      const text = readFileSync(file, 'utf8')
      const shared = text.includes('../shared') || text.includes('/work/shared')
      expect({ file, shared }).toEqual({ file, shared: false })
    }
  })
  // Issue 13 §5: a plan loads no TensorFlow.js; models, optimizers and algorithms plan from pure descriptions.
  it('the dry-run command reaches no @tensorflow package through its imports (training does)', () => {
    const tfjs = (root: string) => [...runtimePackages(root)].filter(([p]) => p.startsWith('@tensorflow/'))
    expect(tfjs('src/cli/dryRun.ts').map(([p, chain]) => `${p} <- ${chain.join(' <- ')}`)).toEqual([])
    expect(tfjs('src/cli/train.ts').map(([p]) => p)).toContain('@tensorflow/tfjs-core')
  })
  it('the version constant matches package.json', () => {
    expect(version).toBe(pkg.version)
  })
})
