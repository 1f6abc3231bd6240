import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import { version } from '../src/version.js'

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))

describe('architecture', () => {
  it('src/dsl is pure: no tfjs, no file system, no clock, no process', () => {
    for (const file of filesUnder('src/dsl')) {
      const text = readFileSync(file, 'utf8')
      expect({ file, imports: text.match(/from '(node:[^']+|fs|path|os|@tensorflow[^']*)'/g) }).toEqual({ file, imports: null })
      expect({ file, clock: /Date\.now|performance\.now|new Date\(|process\./.test(text) }).toEqual({ file, clock: false })
    }
  })
  it('nothing in the project reads ../shared', () => {
    for (const file of [...filesUnder('src'), ...filesUnder('test')]) {
      if (file.endsWith('architecture.test.ts')) continue
      expect({ file, shared: readFileSync(file, 'utf8').includes('../shared') || readFileSync(file, 'utf8').includes('/work/shared') }).toEqual({ file, shared: false })
    }
  })
  it('the version constant matches package.json', () => {
    expect(version).toBe(pkg.version)
  })
})
