/**
 * Start a worker thread on a module of this package, from the built `dist/`
 * (a `.js` file: plain node) or from the sources (a `.ts` file: tests and
 * benchmarks), where tsx's loader is registered inside the new thread first —
 * a `--import` flag does not reach worker threads on Node 20.
 * @module
 */
import { createRequire } from 'node:module'
import * as nodePath from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/** `name` (without extension) next to the module at `base`, as the file that runs: `.ts` from sources, `.js` built. */
export const sibling = (name: string, base: string): URL =>
  new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base)

/** A worker thread running `module` with `workerData`. */
export const spawnWorker = (module: URL, workerData: unknown): Worker => {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, { workerData })
  // tsx's ESM API, found through its CommonJS twin in the same folder (`tsx/esm/api` resolves to `index.cjs` here).
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api')
  const api = pathToFileURL(nodePath.join(nodePath.dirname(cjs), 'index.mjs')).href
  const source =
    `import(${JSON.stringify(api)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}) })`
  return new Worker(source, { eval: true, workerData })
}
