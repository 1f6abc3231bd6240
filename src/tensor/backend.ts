/**
 * Backend selection. `auto` takes the fastest backend that works here, in the
 * order of the design: tfjs-node-gpu (CUDA) > WebGPU (Dawn, hardware adapter) >
 * tfjs-node > WASM > CPU. The GPU and native packages are optional peer
 * dependencies, detected at run time; every run reports what it took and why
 * it passed over the others.
 *
 * @example
 * ```ts
 * const selected = await Effect.runPromise(selectBackend('auto'))
 * console.log(describe(selected)) // "backend wasm: …; skipped tensorflow-gpu (not installed), …"
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Data from 'effect/Data'
import * as Effect from 'effect/Effect'
import { installWasmFixes } from './wasmFixes.js'
import { installWebgpuKernels } from './webgpuKernels.js'
import './gradients.js'

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu'
export type BackendChoice = 'auto' | BackendName

export const choices: ReadonlyArray<BackendChoice> = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']

export interface Selected {
  readonly name: BackendName
  /** Why this backend was taken. */
  readonly reason: string
  /** The backends tried before it, with why each was passed over. */
  readonly skipped: ReadonlyArray<{ readonly name: BackendName; readonly why: string }>
}

/** A forced backend is not available, with what to do about it. */
export class BackendError extends Data.TaggedError('BackendError')<{
  readonly backend: BackendName
  readonly message: string
}> {}

/** Import an optional package by a computed name (so neither TS nor a bundler requires it to exist). */
const optional = async (name: string): Promise<unknown | undefined> => {
  try {
    return await import(name)
  } catch (error) {
    // Node says ERR_MODULE_NOT_FOUND; a bundler or Vite, which see the optional peer declared, say "Could not resolve".
    if (
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ||
      /Cannot find (module|package)|Could not resolve/.test(String(error))
    )
      return undefined
    throw error
  }
}

type Attempt = { readonly ok: true; readonly reason: string } | { readonly ok: false; readonly why: string }

const tryTensorflow = async (gpu: boolean): Promise<Attempt> => {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'
  try {
    if ((await optional(pkg)) === undefined) return { ok: false, why: `${pkg} is not installed` }
  } catch (error) {
    return { ok: false, why: `${pkg} is installed but failed to load: ${(error as Error).message.split('\n')[0]}` }
  }
  const ok = await tf.setBackend('tensorflow')
  return ok
    ? { ok: true, reason: `${pkg} loaded` }
    : { ok: false, why: `${pkg} loaded but its backend did not initialise` }
}

const tryWebgpu = async (allowSoftware: boolean): Promise<Attempt> => {
  const dawn = (await optional('webgpu').catch(() => undefined)) as
    | { create?: (flags: string[]) => unknown; globals?: object }
    | undefined
  if (dawn?.create === undefined) return { ok: false, why: 'the webgpu package is not installed' }
  Object.assign(globalThis, dawn.globals ?? {})
  const gpu = dawn.create([]) as {
    requestAdapter: () => Promise<{ info?: { isFallbackAdapter?: boolean; device?: string } } | null>
  }
  ;(globalThis as { navigator?: unknown }).navigator = { gpu }
  const adapter = await gpu.requestAdapter().catch(() => null)
  if (adapter === null) return { ok: false, why: 'no WebGPU adapter (no Vulkan driver?)' }
  if (adapter.info?.isFallbackAdapter === true && !allowSoftware)
    return {
      ok: false,
      why: `only a software adapter (${adapter.info.device ?? 'fallback'}); force it with --backend webgpu`,
    }
  if ((await optional('@tensorflow/tfjs-backend-webgpu').catch(() => undefined)) === undefined)
    return { ok: false, why: '@tensorflow/tfjs-backend-webgpu is not installed' }
  const ok = await tf.setBackend('webgpu')
  if (ok) installWebgpuKernels()
  return ok
    ? { ok: true, reason: `WebGPU adapter ${adapter.info?.device ?? ''}`.trim() }
    : { ok: false, why: 'the WebGPU backend did not initialise' }
}

const tryWasm = async (): Promise<Attempt> => {
  await import('@tensorflow/tfjs-backend-wasm')
  const ok = await tf.setBackend('wasm').catch(() => false)
  if (!ok) return { ok: false, why: 'the WASM backend did not initialise' }
  installWasmFixes()
  return { ok: true, reason: 'WASM (SIMD, one thread) with loopwright’s kernel corrections' }
}

const tryCpu = async (): Promise<Attempt> => {
  await import('@tensorflow/tfjs-backend-cpu')
  return (await tf.setBackend('cpu'))
    ? { ok: true, reason: 'the pure-JS reference backend' }
    : { ok: false, why: 'the CPU backend did not initialise' }
}

const attempts: { readonly [K in BackendName]: (forced: boolean) => Promise<Attempt> } = {
  'tensorflow-gpu': () => tryTensorflow(true),
  webgpu: (forced) => tryWebgpu(forced),
  tensorflow: () => tryTensorflow(false),
  wasm: tryWasm,
  cpu: tryCpu,
}

const autoOrder: ReadonlyArray<BackendName> = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']

/** Select and initialise a backend. A forced backend that is not available is an error value, not a fallback. */
export const selectBackend = (choice: BackendChoice): Effect.Effect<Selected, BackendError> =>
  Effect.promise(async (): Promise<Selected | BackendError> => {
    // Debug checks off and no "install tfjs-node" banner.
    tf.env().set('PROD', true)
    if (choice !== 'auto') {
      const result = await attempts[choice](true)
      await tf.ready()
      return result.ok
        ? { name: choice, reason: result.reason, skipped: [] }
        : new BackendError({ backend: choice, message: `--backend ${choice}: ${result.why}` })
    }
    const skipped: Array<{ name: BackendName; why: string }> = []
    for (const name of autoOrder) {
      const result = await attempts[name](false)
      if (result.ok) {
        await tf.ready()
        return { name, reason: result.reason, skipped }
      }
      skipped.push({ name, why: result.why })
    }
    return new BackendError({
      backend: 'cpu',
      message: `no backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}`,
    })
  }).pipe(Effect.flatMap((r) => (r instanceof BackendError ? Effect.fail(r) : Effect.succeed(r))))

/** One line for the run's log: what was taken and why, and what was passed over. */
export const describe = (selected: Selected): string =>
  `backend ${selected.name}: ` +
  `${selected.reason}` +
  (selected.skipped.length === 0 ? '' : `; skipped ${selected.skipped.map((s) => `${s.name} (${s.why})`).join(', ')}`)
