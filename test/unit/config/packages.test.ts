import * as nodePath from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  isPackageBase,
  mergePackages,
  packagesFromEnv,
  parsePackages,
  resolvePackageBase,
} from '../../../src/config/packages.js'

describe('config packages', () => {
  it('parses NAME=DIR entries from flags and the environment; flags win', () => {
    const env = packagesFromEnv(['mmcls=/a', 'mmdet=/d'].join(nodePath.delimiter))
    const flags = parsePackages(['mmcls=/b'], '--config-package')
    if (env._tag === 'Left' || flags._tag === 'Left') throw new Error('expected Right')
    expect([...mergePackages(env.right, flags.right)]).toEqual([
      ['mmcls', '/b'],
      ['mmdet', '/d'],
    ])
    expect(packagesFromEnv(undefined)).toEqual({ _tag: 'Right', right: new Map() })
  })

  it('names the source of a malformed entry', () => {
    expect(parsePackages(['mmcls'], '--config-package')).toEqual({
      _tag: 'Left',
      left: '--config-package: expected NAME=DIR, got "mmcls"',
    })
    expect(packagesFromEnv('=x')._tag).toBe('Left')
  })

  it('maps NAME::a/b.py to DIR/configs/a/b.py and tells apart relative bases', () => {
    expect(isPackageBase('mmpretrain::_base_/x.py')).toBe(true)
    expect(isPackageBase('../_base_/x.py')).toBe(false)
    expect(resolvePackageBase('mmpretrain::_base_/x.py', new Map([['mmpretrain', '/src/mmpretrain']]))).toEqual({
      _tag: 'Right',
      right: nodePath.resolve('/src/mmpretrain/configs/_base_/x.py'),
    })
    expect(resolvePackageBase('mmseg::fcn/a.py', new Map())._tag).toBe('Left')
  })
})
