import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Config from '../../src/config/Config.js'
import { mutation, validConfig } from './configArbitraries.js'
import { defaultRegistries } from '../../src/interpreters/registries.js'

describe('config codec laws', () => {
  it('decode(encode(cfg)) = cfg for generated valid configs', () => {
    const codec = Config.codec(defaultRegistries)
    fc.assert(
      fc.property(validConfig, (cfg) => {
        const decoded = Config.decode(codec.encode(cfg as Config.Config), defaultRegistries)
        if (decoded._tag === 'Left') throw new Error(decoded.left.message)
        expect(decoded.right).toEqual(cfg)
      }),
      { numRuns: 300 },
    )
  })

  it('every generated invalid config is rejected, with an issue at the mutated path', () => {
    fc.assert(
      fc.property(validConfig, mutation, (cfg, m) => {
        const broken = structuredClone(cfg)
        m.apply(broken)
        const decoded = Config.decode(broken, defaultRegistries)
        expect(decoded._tag).toBe('Left')
        if (decoded._tag === 'Left') {
          const paths = decoded.left.issues.map((i) => i.path)
          expect(paths).toContain(m.path)
          for (const issue of decoded.left.issues) expect(issue.message.length).toBeGreaterThan(0)
        }
      }),
      { numRuns: 400 },
    )
  })
})
