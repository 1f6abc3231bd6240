/**
 * The exact `npm install` command for an optional backend that is missing.
 * The versions come from loopwright's own `peerDependencies`, so the hint
 * names what this release was tested with.
 * @module
 */
import { createRequire } from 'node:module'
import type { BackendName } from '../tensor/backend.js'

const require = createRequire(import.meta.url)

/** The optional packages each backend needs. */
const packagesOf: { readonly [B in BackendName]?: ReadonlyArray<string> } = {
  'tensorflow-gpu': ['@tensorflow/tfjs-node-gpu'],
  tensorflow: ['@tensorflow/tfjs-node'],
  webgpu: ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
}

const peers = (): { readonly [name: string]: string } => {
  try {
    // src/cli and dist/cli both sit two folders below the package root.
    return (require('../../package.json') as { peerDependencies?: { [name: string]: string } }).peerDependencies ?? {}
  } catch {
    return {}
  }
}

/**
 * `npm install PKG@RANGE …` for a backend with optional packages, else undefined.
 *
 * @example
 * ```ts
 * installCommand('tensorflow') // "npm install @tensorflow/tfjs-node@4.22.0"
 * ```
 */
export const installCommand = (backend: BackendName): string | undefined => {
  const packages = packagesOf[backend]
  if (packages === undefined) return undefined
  const ranges = peers()
  const spec = (name: string): string => {
    const range = ranges[name]
    return range === undefined ? name : `${name}@${/^[\d.]+$/.test(range) ? range : `'${range}'`}`
  }
  return `npm install ${packages.map(spec).join(' ')}`
}

/** A backend error's message, with the install command appended when a package is missing. */
export const withInstallHint = (backend: BackendName, message: string): string => {
  const command = /not installed/.test(message) ? installCommand(backend) : undefined
  return command === undefined ? message : `${message}; install it with: ${command}`
}
