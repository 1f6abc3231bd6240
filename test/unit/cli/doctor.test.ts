import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { renderDoctor } from '../../../src/cli/doctor.js'
import type { DoctorReport } from '../../../src/cli/doctor.js'
import { installCommand, withInstallHint } from '../../../src/cli/installHint.js'
import { cli } from '../../support/cli.js'

const manifest = createRequire(import.meta.url)('../../../package.json') as { peerDependencies: Record<string, string> }
const peers = manifest.peerDependencies

const report = (backend: string, packages: Record<string, string | null>): DoctorReport => ({
  loopwright: '0.1.0',
  node: 'v20',
  packages,
  backend: { name: backend, reason: `backend ${backend}: chosen`, skipped: [] },
  checks: backend === 'cpu' ? [] : [{ backend, op: 'matMul', ok: true, maxAbsDiff: 0 }],
})

describe('doctor', () => {
  it('names the exact install command of each optional backend, with the declared versions', () => {
    expect(installCommand('tensorflow')).toBe(`npm install @tensorflow/tfjs-node@${peers['@tensorflow/tfjs-node']}`)
    const webgpuBackend = `@tensorflow/tfjs-backend-webgpu@${peers['@tensorflow/tfjs-backend-webgpu']}`
    expect(installCommand('webgpu')).toBe(`npm install webgpu@'${peers['webgpu']}' ${webgpuBackend}`)
    expect(installCommand('wasm')).toBeUndefined()
    const missing = '--backend tensorflow-gpu: @tensorflow/tfjs-node-gpu is not installed'
    expect(withInstallHint('tensorflow-gpu', missing)).toBe(
      `${missing}; install it with: npm install @tensorflow/tfjs-node-gpu@${peers['@tensorflow/tfjs-node-gpu']}`,
    )
    // A backend that is installed but broken gets no install hint.
    const broken = '--backend tensorflow: failed to load: libtensorflow.so'
    expect(withInstallHint('tensorflow', broken)).toBe(broken)
  })

  it('compares with cpu only when the backend is not cpu, and lists only what is missing', () => {
    const missing = {
      '@tensorflow/tfjs-node': null,
      '@tensorflow/tfjs-node-gpu': '4.22.0',
      webgpu: null,
      '@tensorflow/tfjs-backend-webgpu': '4.22.0',
    }
    const cpu = renderDoctor(report('cpu', missing))
    expect(cpu).toContain('cpu is the reference backend: no conformance check')
    expect(cpu).not.toContain('ops agree')
    expect(cpu).toMatch(/^ {2}tensorflow {6}npm install @tensorflow\/tfjs-node@/m)
    expect(cpu).toMatch(/^ {2}webgpu {10}npm install webgpu@/m)
    expect(cpu).not.toMatch(/^ {2}tensorflow-gpu /m)
    const all = { ...missing, '@tensorflow/tfjs-node': '4.22.0', webgpu: '0.6.2' }
    const wasm = renderDoctor(report('wasm', all))
    expect(wasm).toContain('conformance of wasm against cpu')
    expect(wasm).toContain('1 of 1 ops agree')
    expect(wasm).not.toContain('not installed here')
  })

  it('doctor --backend cpu runs no self-comparison', async () => {
    const { code, stdout } = await cli('doctor', '--backend', 'cpu', '--json')
    expect(code).toBe(0)
    const json = JSON.parse(stdout) as { backend: { name: string }; checks: unknown[] }
    expect(json.backend.name).toBe('cpu')
    expect(json.checks).toEqual([])
  })
})
