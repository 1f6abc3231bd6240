/**
 * A full WASM heap as an error instead of a corrupted one. tfjs's WASM heap grows up to 4 GB; past that its
 * `malloc` returns 0 (emscripten's growable heaps do not abort), and tfjs takes 0 for the tensor's address: the
 * next kernel writes its output over the start of the heap (the allocator's own state among it), and the run
 * hangs or computes garbage. A DenseCL run at batch 256 did: nine iterations, then a busy loop that no SIGTERM
 * reached, at 4.4 GB resident.
 *
 * The guard wraps the module's `_malloc`, which tfjs calls for every tensor it allocates, and throws there,
 * before tfjs records the address. (Allocations inside tfjs's compiled code, XNNPACK's, do not pass through it.)
 * @module
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { backendMemory } from './wasmModule.js'

type Malloc = (bytes: number) => number

const guarded = new WeakSet<object>()

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`

/** Make a failed allocation of `backend`'s heap throw a one-line error naming the size; idempotent. */
export const guardWasmHeap = (backend: BackendWasm): void => {
  const module = (backend as unknown as { wasm: { _malloc: Malloc } }).wasm
  if (guarded.has(module)) return
  guarded.add(module)
  const malloc = module._malloc.bind(module)
  const memory = backendMemory(backend) as { readonly buffer: ArrayBuffer }
  module._malloc = (bytes: number): number => {
    const at = malloc(bytes)
    if (at === 0 && bytes !== 0)
      throw new Error(
        `the WASM backend's heap is full: ${mib(bytes)} more do not fit beside the ` +
          `${mib(memory.buffer.byteLength)} it holds (4 GB at most); a smaller batch needs less`,
      )
    return at
  }
}
